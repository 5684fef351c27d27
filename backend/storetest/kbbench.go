package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// BenchSearchKB measures the knowledge-base search on a desk with n
// entries: Service.SearchKB (staff's search box) and Service.SuggestKB (the
// intake dialog's suggestions), each against a baseline measured in the
// same run, what a search cost before the index (migration 00059): read
// the newest 5,000 entries and score each in Go. It reports the
// milliseconds of both and their ratio (deskbot / scan: under 1 is
// faster), then measures Service.CreateKBEntry on that desk.
//
// The entries are made up from a small vocabulary of the seeds' problems,
// so every query word is in thousands of them: a worst case for an index.
// The oldest entry is the only one about 电子签章; "oldest-found" says
// whether a search for it finds it (1) or not (0). settle, when not nil,
// runs once the entries are stored: what the database would have done
// since in production (Postgres: VACUUM ANALYZE).
//
//	func BenchmarkSearchKB(b *testing.B) { storetest.BenchSearchKB(b, newStore(b), 20000, nil) }
func BenchSearchKB(b *testing.B, store backend.Store, n int, settle func(b *testing.B)) {
	b.Helper()
	ctx := context.Background()
	svc := backend.NewService(store, backend.ServiceConfig{})
	staff := &backend.Person{Name: "bench", Roles: []backend.Role{backend.RoleAssistant}}
	if err := svc.CreatePerson(ctx, staff); err != nil {
		b.Fatal(err)
	}
	const oldest = "电子签章盖章后合同预览空白"
	if _, err := svc.CreateKBEntry(ctx, staff, backend.KBInput{Title: oldest, Body: "升级签章插件到 v3.2 后重新盖章。"}); err != nil {
		b.Fatal(err)
	}
	corpus := KBCorpus(n)
	entries := make([]*backend.KBEntry, n-1)
	for i, in := range corpus[:n-1] {
		entries[i] = &backend.KBEntry{Title: in.Title, Body: in.Body, CategoryPath: in.CategoryPath, AuthorID: staff.ID}
	}
	for chunk := range slices.Chunk(entries, 1000) {
		if err := store.CreateKBEntries(ctx, chunk); err != nil {
			b.Fatal(err)
		}
	}
	if settle != nil {
		settle(b)
	}
	for _, bc := range []struct {
		name, query string
		run         func(query string) ([]*backend.KBEntry, error)
	}{
		{"Search", "放心房 不显示", func(q string) ([]*backend.KBEntry, error) { return svc.SearchKB(ctx, staff, q, 50) }},
		{"Suggest", "我们门店的房产放心房上线后，在后台一直不显示，怎么办？", func(q string) ([]*backend.KBEntry, error) { return svc.SuggestKB(ctx, q, 3) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			got, err := bc.run(bc.query)
			if err != nil {
				b.Fatal(err)
			}
			if len(got) == 0 {
				b.Fatalf("%s(%q) found nothing", bc.name, bc.query)
			}
			found, err := bc.run("合同预览空白，电子签章盖章")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := scanKB(ctx, store, bc.query); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			// Alternate the two in rounds so that a change in the
			// machine's load during the run weighs on both alike.
			const rounds = 10
			var scanDur, ourDur time.Duration
			for r := range rounds {
				n := b.N/rounds + boolInt(r < b.N%rounds)
				start := time.Now()
				for range n {
					if _, err := scanKB(ctx, store, bc.query); err != nil {
						b.Fatal(err)
					}
				}
				scanDur += time.Since(start)
				start = time.Now()
				for range n {
					if _, err := bc.run(bc.query); err != nil {
						b.Fatal(err)
					}
				}
				ourDur += time.Since(start)
			}
			b.StopTimer()
			ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(b.N) }
			b.ReportMetric(ms(scanDur), "scan-ms")
			b.ReportMetric(ms(ourDur), "ms")
			b.ReportMetric(ourDur.Seconds()/scanDur.Seconds(), "ratio")
			b.ReportMetric(float64(boolInt(len(found) > 0 && found[0].Title == oldest)), "oldest-found")
		})
	}
	b.Run("Create", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := svc.CreateKBEntry(ctx, staff, corpus[i%len(corpus)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// scanKB is the baseline of BenchSearchKB, the search before the index:
// it reads the newest 5,000 entries and scores each against query in Go
// (the share of the query's terms in the entry, or of the entry's title's
// in the query), returning how many score 0.2 or more.
func scanKB(ctx context.Context, store backend.Store, query string) (int, error) {
	q := map[string]bool{}
	for _, t := range backend.KBQueryTerms(query) {
		q[t] = true
	}
	hits, seen := 0, 0
	for f := (backend.KBFilter{Limit: 200}); seen < 5000; {
		page, err := store.KBEntries(ctx, f)
		if err != nil {
			return 0, err
		}
		for _, e := range page.Entries {
			terms, nTitle := backend.KBIndexTerms(e.Title, e.Body, e.CategoryPath)
			inQuery := func(terms []string) (n int) {
				for _, t := range terms {
					n += boolInt(q[t])
				}
				return n
			}
			title := float64(inQuery(terms[:nTitle])) / float64(max(nTitle, 1))
			if max(float64(inQuery(terms))/float64(len(q)), title) >= 0.2 {
				hits++
			}
		}
		seen += len(page.Entries)
		if page.NextCursor == 0 {
			break
		}
		f.After = page.NextCursor
	}
	return hits, nil
}

// KBCorpus makes n knowledge-base entries like a busy desk's, the same
// every time: titles name a system and a symptom, bodies say what was
// done in a few sentences, some with a version or an error code.
func KBCorpus(n int) []backend.KBInput {
	systems := []string{"会员中心", "提单系统", "放心房", "房源管理", "门店后台", "订单列表", "发票管理", "短信平台", "价格政策",
		"报表中心", "客服工作台", "积分商城", "优惠券", "支付网关", "退货流程", "库存同步", "App 首页", "小程序", "CRM", "POS 机"}
	symptoms := []string{"不显示", "无法提交", "页面报错", "加载很慢", "一直转圈", "数据不对", "收不到验证码", "重复扣款",
		"登录失败", "导出乱码", "金额显示错误", "状态不更新", "图片上传失败", "打印空白", "权限不足", "搜索不到"}
	fixes := []string{"清理浏览器缓存后重试", "在后台重新同步数据", "重置密码后重新登录", "联系技术部排查接口日志",
		"升级到最新版本", "检查网络和代理设置", "由管理员重新分配权限", "重新发布房源", "核对价格政策的生效时间",
		"更换打印机驱动", "等待夜间批处理完成", "在系统设置里打开开关", "请客户提供订单号和截图", "切换到备用通道"}
	codes := []string{"E1001", "E2040", "500", "v2.3", "iOS 17", "Android", "Chrome", "HTTP 404", "timeout"}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	out := make([]backend.KBInput, n)
	for i := range out {
		title := pick(systems) + pick(symptoms)
		if r.IntN(3) == 0 {
			title += " " + pick(codes)
		}
		var body strings.Builder
		for j := range 2 + r.IntN(5) {
			if j > 0 {
				body.WriteString("；")
			}
			fmt.Fprintf(&body, "%s%s时%s", pick(systems), pick(symptoms), pick(fixes))
			if r.IntN(4) == 0 {
				fmt.Fprintf(&body, "（%s）", pick(codes))
			}
		}
		body.WriteString("。")
		out[i] = backend.KBInput{Title: title, Body: body.String(), CategoryPath: []string{pick([]string{"CRM问题", "产品线问题"})}}
	}
	return out
}

package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/deskbot/deskbot/backend"
)

// BenchSearchKB measures the knowledge-base search on a desk with n
// entries: Service.SearchKB (staff's search box) and Service.SuggestKB (the
// intake dialog's suggestions). The entries are made up from a small
// vocabulary of the seeds' problems, so every query word is in many of
// them; the oldest entry is the only one about 电子签章, and each
// sub-benchmark reports as "oldest-found" whether a search for it finds
// it (1) or not (0).
//
//	func BenchmarkSearchKB(b *testing.B) { storetest.BenchSearchKB(b, newStore(b), 20000) }
func BenchSearchKB(b *testing.B, store backend.Store, n int) {
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
	entries := KBCorpus(n - 1)
	if _, err := RunClients(8, len(entries), func(i int) error {
		_, err := svc.CreateKBEntry(ctx, staff, entries[i])
		return err
	}); err != nil {
		b.Fatal(err)
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
			b.ResetTimer()
			for b.Loop() {
				if _, err := bc.run(bc.query); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(boolInt(len(found) > 0 && found[0].Title == oldest)), "oldest-found")
		})
	}
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

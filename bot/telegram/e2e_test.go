package telegram

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

var (
	alice = telegramtest.User(1001, "Alice", "zh-hans")
	bob   = telegramtest.User(2001, "Bob", "zh-hans")
	eve   = telegramtest.User(3001, "Eve", "en")
)

// TestEndToEnd: a reporter files a ticket with a photo, an assistant
// claims it from the triage group, asks for information, the reporter
// answers by reply, the assistant resolves, and the reporter rates it —
// in poll and in webhook mode.
func TestEndToEnd(t *testing.T) {
	for _, mode := range []string{ModePoll, ModeWebhook} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, mode)
			ctx := context.Background()
			bobP := h.linkAssistant(bob)
			rep := h.follow(alice.ID)
			number := h.fileTicket(alice, rep, false)

			// The ticket is in the database with every field.
			tk, err := h.store.Ticket(ctx, number)
			if err != nil {
				t.Fatal(err)
			}
			aliceP, err := h.store.PersonByAccount(ctx, Platform, itoa(alice.ID))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(pngBytes(t))
			if tk.Summary != "放心房上线后在前台不显示，已经两个小时了" || !slices.Equal(tk.CategoryPath, []string{"product", "house"}) ||
				tk.Region != "north" || tk.Severity != backend.P2 || tk.OrderNumber != "ORD-12345" || tk.Account != "shop_bj_2026" ||
				tk.Contacts.Phone != "13800138000" || tk.Channel != Platform || tk.ReporterID != aliceP.ID || tk.OccurredAt.IsZero() ||
				len(tk.Attachments) != 1 || tk.Attachments[0].SHA256 != hex.EncodeToString(sum[:]) || tk.Attachments[0].ContentType != "image/png" {
				t.Fatalf("ticket fields: %+v", tk)
			}
			if _, err := h.files.Stat(tk.Attachments[0].SHA256); err != nil {
				t.Fatalf("attachment not stored: %v", err)
			}

			// The card appears in the triage group, contacts masked.
			group := h.follow(triageChat)
			card := group.next(number, "138****8000")
			if strings.Contains(card.Text, "13800138000") || strings.Contains(card.Text, "shop_bj_2026") {
				t.Fatalf("card shows personal data: %q", card.Text)
			}
			h.tg.WaitMessage(t, alice.ID, telegramtest.Containing("已提交", number))

			// Claim: the card is edited, the assistant gets the full card.
			h.press(bob, card, "tk:claim:"+number)
			h.tg.Wait(t, 15*time.Second, "the card to show the assignee", func() bool {
				m := h.tg.Message(card.Chat.ID, card.ID)
				return strings.Contains(m.Text, bobP.Name) && telegramtest.ButtonData(m, "受理") == ""
			})
			h.follow(bob.ID).next(number, "13800138000")
			rep.next("已由", "受理")

			// Ask for info: prompt, the assistant replies, the reporter is asked.
			h.press(bob, card, "tk:ask:"+number)
			prompt := group.next("向报告人提问", number)
			h.deliver(h.tg.Reply(bob, prompt, "请提供前台页面的截图和帖子链接"))
			group.next("待补充")
			ask := rep.next("需要您补充信息", "请提供前台页面的截图和帖子链接")
			if s := h.status(number); s != backend.StatusWaitingReporter {
				t.Fatalf("after ask: %s", s)
			}

			// The reporter answers by replying: a comment, the ticket goes
			// back to where it was before the question.
			h.deliver(h.tg.Reply(alice, ask, "帖子链接 https://example.com/p/1，刷新后仍不显示"))
			rep.next("已补充到工单")
			h.follow(bob.ID).next("追问", "刷新后仍不显示")
			if s := h.status(number); s != backend.StatusAssigned {
				t.Fatalf("after the reporter's answer: %s", s)
			}

			// Resolve with a solution; the reporter rates it.
			h.press(bob, card, "tk:resolve:"+number)
			prompt = group.next("解决", number, "解决方案")
			h.deliver(h.tg.Reply(bob, prompt, "索引已重建，放心房已恢复显示"))
			resolved := rep.next("已解决", "索引已重建")
			if telegramtest.ButtonData(resolved, "基本满意") == "" {
				t.Fatalf("no rating buttons on %q", resolved.Text)
			}
			h.press(alice, resolved, "满意")
			h.tg.Wait(t, 15*time.Second, "the rating to be recorded", func() bool {
				tk, err := h.store.Ticket(ctx, number)
				return err == nil && tk.Satisfaction == backend.SatisfactionSatisfied
			})

			// Every update reached the reporter once, in order.
			var got []string
			for _, m := range h.tg.Messages(alice.ID) {
				for _, marker := range []string{"已提交", "已收到您的问题", "已由", "需要您补充信息", "已解决"} {
					if strings.Contains(m.Text, marker) && strings.Contains(m.Text, number) {
						got = append(got, marker)
					}
				}
			}
			// The dialog's 已提交 said it was filed: no receipt says it again.
			if want := []string{"已提交", "已由", "需要您补充信息", "已解决"}; !slices.Equal(got, want) {
				t.Fatalf("reporter's notices: %q, want %q", got, want)
			}
		})
	}
}

func (h *harness) status(number string) backend.Status {
	h.t.Helper()
	tk, err := h.store.Ticket(context.Background(), number)
	if err != nil {
		h.t.Fatal(err)
	}
	return tk.Status
}

// TestDuplicateUpdate: the final press delivered twice (a Telegram retry,
// or two replicas) files one ticket.
func TestDuplicateUpdate(t *testing.T) {
	for _, mode := range []string{ModePoll, ModeWebhook} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, mode)
			number := h.fileTicket(alice, h.follow(alice.ID), true)
			p, err := h.store.PersonByAccount(context.Background(), Platform, itoa(alice.ID))
			if err != nil {
				t.Fatal(err)
			}
			// Let a second copy, if any, be handled: a chat's updates are
			// handled in order, so once an update sent after it is
			// answered, the copy is done with.
			h.tg.WaitMessage(t, triageChat, telegramtest.Containing(number))
			h.deliver(h.tg.Text(alice, "/cancel"))
			h.follow(alice.ID).next("当前没有正在填写的工单")
			page, err := h.store.Tickets(context.Background(), backend.TicketFilter{ReporterID: p.ID, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Tickets) != 1 {
				t.Fatalf("%d tickets filed, want 1", len(page.Tickets))
			}
			filed := 0
			for _, m := range h.tg.Messages(alice.ID) {
				if strings.Contains(m.Text, "已提交") {
					filed++
				}
			}
			if filed != 1 {
				t.Fatalf("%d filed confirmations, want 1", filed)
			}
		})
	}
}

// TestWebhookAuth: a forged or missing secret gets 401 and changes
// nothing; a malformed body gets 400.
func TestWebhookAuth(t *testing.T) {
	h := newHarness(t, ModeWebhook)
	ctx := context.Background()
	url := h.tg.WebhookURL()
	for _, secret := range []string{"wrong", "", "s3cret-Token-and-more"} {
		code, err := h.tg.PostWithSecret(ctx, url, h.tg.Text(alice, "/start"), secret)
		if err != nil || code != 401 {
			t.Fatalf("secret %q: %d %v, want 401", secret, code, err)
		}
	}
	code, err := h.tg.PostRaw(ctx, url, []byte(`{"update_id": 5, "message": {`), "s3cret-Token")
	if err != nil || code != 400 {
		t.Fatalf("malformed: %d %v, want 400", code, err)
	}
	// A good update from the same chat, handled after anything a rejected
	// one might have queued, is the only one answered.
	h.deliver(h.tg.Text(alice, "/cancel"))
	h.follow(alice.ID).next("当前没有正在填写的工单")
	for _, c := range h.tg.CallsTo("sendMessage") {
		if !strings.Contains(c.Params["text"], "当前没有正在填写的工单") {
			t.Fatalf("the bot answered a rejected update: %+v", c)
		}
	}
	if n := len(h.tg.CallsTo("sendMessage")); n != 1 {
		t.Fatalf("%d messages sent, want only the answer to /cancel", n)
	}
	if _, err := h.store.PersonByAccount(ctx, Platform, itoa(alice.ID)); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatalf("a rejected update created a person: %v", err)
	}
}

// TestOutsiderCannotClaim: someone in the group who is not a linked
// assistant presses Claim; they are told no and nothing changes. The
// "no" is a call of its own in webhook mode too: only presses answered
// without a word are answered in the reply to their delivery.
func TestOutsiderCannotClaim(t *testing.T) {
	for _, mode := range []string{ModePoll, ModeWebhook} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, mode)
			number := h.fileTicket(alice, h.follow(alice.ID), false)
			card := h.follow(triageChat).next(number)
			// alice is a reporter, eve is unknown: neither may claim.
			for _, who := range []models.User{eve, alice} {
				ans := h.answerTo(h.press(who, card, "tk:claim:"+number))
				if ans.Params["show_alert"] != "true" || !strings.Contains(ans.Params["text"], "权限") || ans.InWebhookReply {
					t.Fatalf("%s: answer %+v", who.FirstName, ans)
				}
			}
			tk, err := h.store.Ticket(context.Background(), number)
			if err != nil {
				t.Fatal(err)
			}
			if tk.AssigneeID != 0 || tk.Status != backend.StatusNew {
				t.Fatalf("an outsider changed the ticket: %s, assignee %d", tk.Status, tk.AssigneeID)
			}
			if m := h.tg.Message(card.Chat.ID, card.ID); m.EditDate != 0 {
				t.Fatalf("the card was edited: %q", m.Text)
			}
		})
	}
}

// TestWebhookReplyAnswers: in webhook mode a pressed dialog choice is
// answered in the reply to its delivery, so the spinner stops at once, and
// the bot makes no answerCallbackQuery call of its own for it.
func TestWebhookReplyAnswers(t *testing.T) {
	h := newHarness(t, ModeWebhook)
	rep := h.follow(alice.ID)
	q := h.toSecondQuestion(alice, rep, "提单系统保存时一直转圈，无法提交")
	pressed := h.press(alice, q, "cmd:skip")
	q = rep.next("（3/10）")
	h.press(alice, q, "opt:category:product")
	rep.next("具体位置")
	// A chat's updates are handled in order: the first press is done.
	var answers []telegramtest.Call
	for _, c := range h.tg.CallsTo("answerCallbackQuery") {
		if c.Params["callback_query_id"] == pressed.CallbackQuery.ID {
			answers = append(answers, c)
		}
	}
	if len(answers) != 1 || !answers[0].InWebhookReply || answers[0].Status != http.StatusOK {
		t.Fatalf("answers to the press: %+v, want one, in the webhook reply", answers)
	}
}

// TestRateLimitStorm: Telegram answers 429 and 5xx for a while; every
// notification still reaches the reporter once, in order, later.
func TestRateLimitStorm(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	number := h.fileTicket(alice, h.follow(alice.ID), false)
	h.tg.WaitMessage(t, alice.ID, telegramtest.Containing("已提交", number))
	h.tg.WaitMessage(t, triageChat, telegramtest.Containing(number))

	h.tg.FailNext("sendMessage", 3, telegramtest.Fault{Code: 429, RetryAfter: 1})
	h.tg.FailNext("sendMessage", 2, telegramtest.Fault{Code: 502})
	start := time.Now()
	if _, err := h.svc.Claim(ctx, bobP, number); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"第一条回复", "第二条回复", "第三条回复"} {
		if _, err := h.svc.Comment(ctx, bobP, number, body, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.svc.Resolve(ctx, bobP, number, "已处理完毕"); err != nil {
		t.Fatal(err)
	}
	want := []string{"受理", "第一条回复", "第二条回复", "第三条回复", "已处理完毕"}
	var got []string
	h.tg.Wait(t, 30*time.Second, "every notification", func() bool {
		got = got[:0]
		for _, m := range h.tg.Messages(alice.ID) {
			for _, w := range want {
				if strings.Contains(m.Text, w) && strings.Contains(m.Text, number) {
					got = append(got, w)
				}
			}
		}
		return len(got) >= len(want)
	})
	if !slices.Equal(got, want) {
		t.Fatalf("reporter got %q, want %q (once each, in order)", got, want)
	}
	if time.Since(start) < time.Second {
		t.Fatalf("retry_after was not honoured")
	}
	if n := len(h.tg.CallsTo("sendMessage")); n == 0 {
		t.Fatal("no sends")
	}
	time.Sleep(300 * time.Millisecond)
	if n := h.count(alice.ID, "已处理完毕"); n != 1 {
		t.Fatalf("resolution sent %d times", n)
	}
}

// TestBusyTriageGroup: more new tickets at once than the group's rate
// allows, and more than the outbox's attempts. Every card is posted once
// and none is given up: waiting for the rate limit is not a failed
// attempt, and each card waits for a slot of its own.
func TestBusyTriageGroup(t *testing.T) {
	h := newHarness(t, ModePoll, func(c *Config) {
		c.Limits.Group, c.Limits.GroupBurst, c.Limits.MaxWait = 60*time.Millisecond, 1, 5*time.Millisecond
	})
	ctx := context.Background()
	rep, err := h.svc.ReporterFor(ctx, backend.ChatAccount{Platform: Platform, UserID: "1", ChatID: "1"}, "alice", "zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	const tickets = 30 // more than the outbox's 20 attempts, one card a poll
	var numbers []string
	for i := range tickets {
		tk, err := h.svc.CreateTicket(ctx, rep, backend.NewTicket{
			Prefix: "FB", Summary: fmt.Sprintf("前台第 %d 个门店房态不显示", i), CategoryPath: []string{"产品线问题"},
			OccurredAt: time.Now().Add(-time.Hour), Region: "北京", Severity: backend.P3,
			Contacts: backend.Contacts{Phone: "13800138000"}, Channel: Platform,
		})
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, tk.Number)
	}
	var posted []string
	h.tg.Wait(t, 30*time.Second, "every card", func() bool {
		posted = posted[:0]
		for _, m := range h.tg.Messages(triageChat) {
			if n := numberRE.FindString(m.Text); n != "" {
				posted = append(posted, n)
			}
		}
		return len(posted) >= tickets
	})
	time.Sleep(100 * time.Millisecond) // a card sent twice would show now
	posted = posted[:0]
	for _, m := range h.tg.Messages(triageChat) {
		posted = append(posted, numberRE.FindString(m.Text))
	}
	slices.Sort(posted) // the dispatcher sends several at once
	if !slices.Equal(posted, numbers) {
		t.Fatalf("cards posted %q, want each of %q once", posted, numbers)
	}
}

// flakyStart fails the first calls to getMe as if the network were down.
type flakyStart struct {
	mu    sync.Mutex
	fails int
}

func (f *flakyStart) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	fail := strings.HasSuffix(r.URL.Path, "/getMe") && f.fails > 0
	if fail {
		f.fails--
	}
	f.mu.Unlock()
	if fail {
		return nil, errors.New("dial tcp: connection refused")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestStartWhileTelegramIsDown: Telegram cannot be reached when deskbot
// starts; the channel waits it out and then serves.
func TestStartWhileTelegramIsDown(t *testing.T) {
	flaky := &flakyStart{fails: 2}
	h := newHarnessWith(t, ModePoll, func(d *Deps) { d.HTTPClient = &http.Client{Transport: flaky} })
	if got := len(h.tg.CallsTo("getMe")); got != 1 {
		t.Fatalf("getMe reached the server %d times, want once after two failures", got)
	}
	h.deliver(h.tg.Text(alice, "/help"))
	h.follow(alice.ID).next("/new")
}

// submitReview submits the review card and confirms, and returns the
// ticket number.
func (h *harness) submitReview(u models.User, log *chatLog) string {
	h.t.Helper()
	q := log.next("请核对")
	h.press(u, q, "cmd:submit")
	q = log.next("确认提交吗")
	h.press(u, q, "cmd:confirm")
	filed := log.next("已提交")
	n := numberRE.FindString(filed.Text)
	if n == "" {
		h.t.Fatalf("no ticket number in %q", filed.Text)
	}
	return n
}

// TestOtherForms: the suggestion and complaint forms are filed too, with
// the severity their form implies.
func TestOtherForms(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()

	t.Run("Suggestion", func(t *testing.T) {
		log := h.follow(alice.ID)
		q := h.say(alice, log, "/new suggestion", "您希望改进什么", "希望提单系统可以保存草稿，断网后不丢内容", "这条建议属于哪一类")
		h.press(alice, q, "opt:category:feature")
		log.next("怎么联系您")
		h.deliver(h.tg.Text(alice, "alice@example.com"))
		number := h.submitReview(alice, log)
		tk, err := h.store.Ticket(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(number, "SG-") || tk.Form != "suggestion" || tk.Severity != backend.P4 || tk.Contacts.Email != "alice@example.com" {
			t.Fatalf("suggestion filed as %s %s %s %+v", number, tk.Form, tk.Severity, tk.Contacts)
		}
	})
	t.Run("Complaint", func(t *testing.T) {
		carol := telegramtest.User(4001, "Carol", "zh-hans")
		log := h.follow(carol.ID)
		q := h.say(carol, log, "/new complaint", "客户电话", "13900139000", "姓名或公司名称", "华东五金有限公司", "销售订单",
			"20080505003", "投诉的具体内容", "这批螺丝刀杆上有铁锈，客户要求退货", "客户提出了哪些要求",
			"上门处理；查明原因并提出预防措施", "这个投诉紧急吗")
		h.press(carol, q, "opt:urgency:urgent")
		q = log.next("附件")
		h.press(carol, q, "cmd:skip")
		number := h.submitReview(carol, log)
		tk, err := h.store.Ticket(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(number, "CP-") || tk.Form != "complaint" || tk.Severity != backend.P2 || tk.OrderNumber != "20080505003" ||
			tk.Contacts.Phone != "13900139000" || tk.Extra["urgency"] != "urgent" {
			t.Fatalf("complaint filed as %s %s %s %q %+v %v", number, tk.Form, tk.Severity, tk.OrderNumber, tk.Contacts, tk.Extra)
		}
		// The card shows the complaint's own fields: the customer's name
		// masked like contacts in the group, their requests in full (the
		// handler reads them at a glance), a dash for what the form does
		// not ask.
		card := h.tg.WaitMessage(t, triageChat, telegramtest.Containing(number))
		for _, want := range []string{"客户要求：上门处理；查明原因并提出预防措施", "紧急程度：紧急", "客户名称：华**", "发生时间：—"} {
			if !strings.Contains(card.Text, want) {
				t.Errorf("card without %q:\n%s", want, card.Text)
			}
		}
		if strings.Contains(card.Text, "华东五金有限公司") {
			t.Errorf("the group card shows the customer's name:\n%s", card.Text)
		}
	})
}

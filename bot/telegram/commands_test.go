package telegram

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/redis/go-redis/v9"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/redistest"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/bot/botkit/botkittest"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
	"github.com/deskbot/deskbot/dialogs"
)

// directTicket files a P3 ticket for u through the service (as the API
// would: the receipt then reaches u's chat at once) and returns its number.
func (h *harness) directTicket(u models.User, summary string) string {
	h.t.Helper()
	t, err := h.svc.CreateTicket(context.Background(), h.reporterOf(u), backend.NewTicket{Prefix: "FB", Form: "feedback", Summary: summary,
		CategoryPath: []string{"CRM问题", "提单系统"}, OccurredAt: time.Now().Add(-time.Hour), Region: "华北",
		Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "api"})
	if err != nil {
		h.t.Fatal(err)
	}
	return t.Number
}

// reporterOf is the person behind u's private chat, a reporter made on
// first contact.
func (h *harness) reporterOf(u models.User) *backend.Person {
	h.t.Helper()
	p, err := h.svc.ReporterFor(context.Background(), backend.ChatAccount{Platform: Platform, UserID: itoa(u.ID), ChatID: itoa(u.ID)}, u.FirstName, "zh-CN")
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *harness) person(u models.User) *backend.Person {
	h.t.Helper()
	p, err := h.store.PersonByAccount(context.Background(), Platform, itoa(u.ID))
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// TestStatus: /status NUMBER and a message that is only a number, or a
// number with words of asking around it, show the ticket and its latest
// progress; a wrong, missing or someone else's number
// gets a clear answer that does not leak the ticket.
func TestStatus(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	number := h.directTicket(alice, "会员中心余额在到期前被清零了")
	rep := h.follow(alice.ID)
	rep.next("已收到您的问题", number) // the outbox notice comes first

	t.Run("Command", func(t *testing.T) {
		h.deliver(h.tg.Text(alice, "/status "+number))
		m := rep.next("工单 "+number, "状态：待受理", "会员中心余额在到期前被清零了", "最新进度：已收到，等待受理。")
		if m.ReplyMarkup != nil && len(m.ReplyMarkup.InlineKeyboard) > 0 {
			t.Fatalf("an open ticket's status has buttons: %+v", m.ReplyMarkup)
		}
	})
	t.Run("LowerCaseAndBotName", func(t *testing.T) {
		h.deliver(h.tg.Text(alice, "/status@deskbot_test_bot "+strings.ToLower(number)))
		rep.next("工单 "+number, "状态：待受理")
	})
	t.Run("PlainNumber", func(t *testing.T) {
		h.deliver(h.tg.Text(alice, "  "+number+" "))
		rep.next("工单 "+number, "最新进度")
		if active, err := h.ch.engine.Active(ctx, sessionKey(alice.ID, alice.ID)); err != nil || active {
			t.Fatalf("a number started a dialog: %v %v", active, err)
		}
	})
	t.Run("NumberInAQuestion", func(t *testing.T) {
		for _, text := range []string{"查一下 " + strings.ToLower(number) + " 的进度", "工单" + number} {
			h.deliver(h.tg.Text(alice, text))
			rep.next("工单 "+number, "最新进度")
		}
		if active, err := h.ch.engine.Active(ctx, sessionKey(alice.ID, alice.ID)); err != nil || active {
			t.Fatalf("a question started a dialog: %v %v", active, err)
		}
	})
	t.Run("LatestProgress", func(t *testing.T) {
		if _, err := h.svc.Claim(ctx, bobP, number); err != nil {
			t.Fatal(err)
		}
		rep.next("已由", number)
		if _, err := h.svc.Comment(ctx, bobP, number, "正在排查会员中心的结算任务", true); err != nil {
			t.Fatal(err)
		}
		rep.next("正在排查会员中心的结算任务")
		if _, err := h.svc.Comment(ctx, bobP, number, "内部备注：疑似定时任务配置错误", false); err != nil {
			t.Fatal(err)
		}
		h.deliver(h.tg.Text(alice, number))
		m := rep.next("工单 "+number, "已分派", "正在排查会员中心的结算任务")
		if strings.Contains(m.Text, "内部备注") {
			t.Fatalf("the reporter sees an internal note: %q", m.Text)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		h.deliver(h.tg.Text(alice, "/status"))
		rep.next("请在命令后写工单号")
		h.deliver(h.tg.Text(alice, "/status 12345"))
		rep.next("请在命令后写工单号")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		h.deliver(h.tg.Text(alice, "/status FB-20200101-0001"))
		rep.next("没有找到这个工单")
	})
	t.Run("ErrSomeoneElses", func(t *testing.T) {
		// Eve is a stranger: the ticket is "not found", in her language.
		h.deliver(h.tg.Text(eve, number))
		m := h.follow(eve.ID).next("No such ticket")
		if strings.Contains(m.Text, "会员中心") {
			t.Fatalf("leaked: %q", m.Text)
		}
	})
	t.Run("ResolvedHasRating", func(t *testing.T) {
		if _, err := h.svc.Resolve(ctx, bobP, number, "结算任务已修复，余额已恢复"); err != nil {
			t.Fatal(err)
		}
		rep.next("已解决", "结算任务已修复")
		h.deliver(h.tg.Text(alice, "/status "+number))
		m := rep.next("工单 "+number, "结算任务已修复")
		if telegramtest.ButtonData(m, "基本满意") != "rt:basically:"+number {
			t.Fatalf("no rating buttons on a resolved ticket: %+v", m.ReplyMarkup)
		}
		h.press(alice, m, "基本满意")
		h.tg.Wait(t, 15*time.Second, "the rating", func() bool {
			tk, err := h.store.Ticket(ctx, number)
			return err == nil && tk.Satisfaction == backend.SatisfactionBasically
		})
		h.deliver(h.tg.Text(alice, "/status "+number))
		m = rep.next("工单 "+number, "已完成")
		if m.ReplyMarkup != nil && len(m.ReplyMarkup.InlineKeyboard) > 0 {
			t.Fatalf("a rated ticket still offers rating: %+v", m.ReplyMarkup)
		}
	})
}

// TestMyTickets: /my and the "My tickets" button list my open tickets with
// a button each that shows the ticket; an assistant sees the tickets
// assigned to them.
func TestMyTickets(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	rep := h.follow(alice.ID)

	h.deliver(h.tg.Text(alice, "/my"))
	rep.next("您目前没有未完成的工单")

	first := h.directTicket(alice, "第一个问题：提单系统无法保存草稿")
	second := h.directTicket(alice, "第二个问题：会员中心头像上传失败")
	closed := h.directTicket(alice, "第三个问题：已经解决的旧问题")
	h.directTicket(eve, "Eve's own problem that Alice must not see")
	bobP := h.linkAssistant(bob)
	if _, err := h.svc.Resolve(ctx, bobP, closed, "已处理"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Claim(ctx, bobP, second); err != nil {
		t.Fatal(err)
	}

	h.deliver(h.tg.Text(alice, "/my"))
	list := rep.next("您有 2 个未完成的工单")
	for _, n := range []string{first, second} {
		if !strings.Contains(list.Text, n) || telegramtest.ButtonData(list, n) != "vw:"+n {
			t.Fatalf("%s missing from %q / %+v", n, list.Text, list.ReplyMarkup)
		}
	}
	if strings.Contains(list.Text, closed) || strings.Contains(list.Text, "Eve") {
		t.Fatalf("/my lists a closed or someone else's ticket: %q", list.Text)
	}
	if !strings.Contains(list.Text, "已分派") || !strings.Contains(list.Text, "待受理") {
		t.Fatalf("statuses missing: %q", list.Text)
	}

	// A button shows that ticket.
	h.press(alice, list, second)
	rep.next("工单 "+second, "已分派", "头像上传失败")
	if h.tg.Message(list.Chat.ID, list.ID).ReplyMarkup == nil {
		t.Fatal("the list lost its buttons")
	}

	// A reply to the list must say which ticket it is about.
	h.deliver(h.tg.Reply(alice, list, "这个怎么样了？"))
	rep.next("几个工单", first, second)
	h.deliver(h.tg.Reply(alice, list, first+" 这个怎么样了？"))
	rep.next("已补充到工单 " + first)
	_, events, err := h.svc.Thread(ctx, bobP, first)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(events, func(e *backend.Event) bool {
		return e.Kind == backend.EventComment && strings.Contains(e.Body, "这个怎么样了")
	}) {
		t.Fatalf("the reply naming %s is not its comment: %+v", first, events)
	}

	// The persistent keyboard's button does the same as /my.
	h.deliver(h.tg.Text(alice, "📋 我的工单"))
	rep.next("您有 2 个未完成的工单")

	// An assistant's /my: the tickets assigned to them.
	h.deliver(h.tg.Text(bob, "/my"))
	mine := h.follow(bob.ID).next("1 个未完成的工单")
	if !strings.Contains(mine.Text, second) || strings.Contains(mine.Text, first) {
		t.Fatalf("assistant's /my: %q", mine.Text)
	}
}

// TestLang: /lang offers the languages as buttons; the choice is kept on
// the person, applies to the running dialog, and /lang en sets it at once.
func TestLang(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	rep := h.follow(alice.ID)

	h.deliver(h.tg.Text(alice, "/lang"))
	choose := rep.next("请选择语言")
	if telegramtest.ButtonData(choose, "English") != "lg:en" || telegramtest.ButtonData(choose, "中文") != "lg:zh-CN" {
		t.Fatalf("language buttons: %+v", choose.ReplyMarkup)
	}
	h.press(alice, choose, "English")
	rep.next("Language set to English.")
	h.tg.Wait(t, 15*time.Second, "the choice's buttons to go", func() bool {
		m := h.tg.Message(choose.Chat.ID, choose.ID)
		return m.ReplyMarkup == nil || len(m.ReplyMarkup.InlineKeyboard) == 0
	})
	if p := h.person(alice); p.Locale != "en" {
		t.Fatalf("locale = %q, want en", p.Locale)
	}
	h.deliver(h.tg.Text(alice, "/help"))
	rep.next("How to use:")

	// In the middle of a dialog: the question is asked again in Chinese.
	h.deliver(h.tg.Text(alice, "/new"))
	rep.next("(1/10)")
	h.deliver(h.tg.Text(alice, "/lang 中文"))
	rep.next("已切换为中文。")
	rep.next("（1/10）")
	if p := h.person(alice); p.Locale != "zh-CN" {
		t.Fatalf("locale = %q, want zh-CN", p.Locale)
	}
	// The dialog goes on where it was.
	h.deliver(h.tg.Text(alice, "提单系统保存时一直转圈，无法提交"))
	rep.next("（2/10）")
	if active, err := h.ch.engine.Active(ctx, sessionKey(alice.ID, alice.ID)); err != nil || !active {
		t.Fatalf("the dialog ended: %v %v", active, err)
	}
}

// TestCancel: /cancel ends a dialog without a ticket; with none running it
// says so.
func TestCancel(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	rep := h.follow(alice.ID)

	h.deliver(h.tg.Text(alice, "/cancel"))
	rep.next("当前没有正在填写的工单")

	h.deliver(h.tg.Text(alice, "/start"))
	rep.next("问题概述")
	h.deliver(h.tg.Text(alice, "提单系统保存时一直转圈，无法提交"))
	rep.next("（2/10）")
	h.deliver(h.tg.Text(alice, "/cancel"))
	q := rep.next("确定取消吗")
	h.press(alice, q, "是，取消")
	rep.next("已取消，本次没有提交工单")
	if active, err := h.ch.engine.Active(ctx, sessionKey(alice.ID, alice.ID)); err != nil || active {
		t.Fatalf("still active after /cancel: %v %v", active, err)
	}
	h.deliver(h.tg.Text(alice, "/cancel"))
	rep.next("当前没有正在填写的工单")
	page, err := h.store.Tickets(ctx, backend.TicketFilter{ReporterID: h.person(alice).ID, Limit: 10})
	if err != nil || len(page.Tickets) != 0 {
		t.Fatalf("tickets after cancel: %v %v", page, err)
	}
}

// TestHelp: reporters get the reporter's help; linked staff also get the
// assistant's; in the triage group /help is the assistant's help.
func TestHelp(t *testing.T) {
	h := newHarness(t, ModePoll)
	h.deliver(h.tg.Text(alice, "/help"))
	m := h.follow(alice.ID).next("使用方法", "/status")
	if strings.Contains(m.Text, "助理使用方法") {
		t.Fatalf("a reporter gets the staff help: %q", m.Text)
	}
	if len(h.tg.CallsTo("sendMessage")) == 0 || !strings.Contains(h.tg.CallsTo("sendMessage")[0].Params["reply_markup"], "提交问题") {
		t.Fatalf("no main keyboard with the help")
	}
	h.linkAssistant(bob)
	h.deliver(h.tg.Text(bob, "/help"))
	h.follow(bob.ID).next("使用方法", "助理使用方法")
	h.deliver(h.tg.TextIn(bob, triageChat, "/help@deskbot_test_bot"))
	h.follow(triageChat).next("助理使用方法")
}

// TestRefusedFiles: during the screenshots question, a file over the size
// limit, a photo whose every size is over it, and a file of a refused type
// each get a clear message; nothing entered before is lost and the next
// good file is taken. A file outside a dialog is explained.
func TestRefusedFiles(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	rep := h.follow(alice.ID)

	h.deliver(h.tg.Document(alice, []byte("%PDF-1.4 whatever"), "report.pdf", "application/pdf", 0))
	rep.next("收到文件，但现在没有正在填写的工单")

	h.toScreenshots(alice, rep)
	getFiles := len(h.tg.CallsTo("getFile"))

	// Announced over the limit: refused before downloading.
	h.deliver(h.tg.Document(alice, []byte("big"), "huge.png", "image/png", 30<<20))
	rep.next("文件太大，最大 20 MB", "已填写的内容都还在")
	if n := len(h.tg.CallsTo("getFile")); n != getFiles {
		t.Fatalf("an announced-too-big file was fetched (%d getFile calls)", n-getFiles)
	}
	// A photo whose every size is over the limit.
	big := h.tg.Photo(alice, pngBytes(t), "")
	for i := range big.Message.Photo {
		big.Message.Photo[i].FileSize = 21 << 20
	}
	h.deliver(big)
	rep.next("文件太大")
	// A program disguised as a PNG: the type is sniffed from the bytes.
	h.deliver(h.tg.Document(alice, []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), "shot.png", "image/png", 0))
	rep.next("不支持这种文件", "application/octet-stream", "已填写的内容都还在")

	// The dialog is still at the screenshots, with none received.
	h.deliver(h.tg.Photo(alice, pngBytes(t), "前台截图"))
	q := rep.next("已收到 1 个文件")
	h.press(alice, q, "cmd:done")
	number := h.fromOrderNumber(alice, rep, false)

	tk, err := h.store.Ticket(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Summary != "放心房上线后在前台不显示，已经两个小时了" || tk.Region != "north" || tk.Severity != backend.P2 ||
		len(tk.Attachments) != 1 || tk.Attachments[0].ContentType != "image/png" {
		t.Fatalf("ticket after refused files: %+v", tk)
	}
}

// TestChoicesFold: a pressed choice is marked on its question and the next
// question goes into the same message, with its own buttons, by one edit
// and no new message; where the question cannot be edited, the next one
// comes as a new message and nothing is lost.
func TestChoicesFold(t *testing.T) {
	h := newHarness(t, ModePoll)
	rep := h.follow(alice.ID)
	q := h.toSecondQuestion(alice, rep, "提单系统保存时一直转圈，无法提交")
	skip := labelOf(q, telegramtest.ButtonData(q, "cmd:skip"))
	sends := len(h.tg.CallsTo("sendMessage"))
	h.answerTo(h.press(alice, q, "cmd:skip"))
	folded := rep.next("（3/10）")
	if folded.ID != q.ID || !strings.Contains(folded.Text, "（2/10）") || !strings.Contains(folded.Text, "→ "+skip) {
		t.Fatalf("the next question did not go into the pressed one: message %d (pressed %d): %q", folded.ID, q.ID, folded.Text)
	}
	if telegramtest.ButtonData(folded, "cmd:skip") != "" || labelOf(folded, telegramtest.ButtonData(folded, "opt:category:product")) == "" {
		t.Fatalf("buttons after the fold: %+v", folded.ReplyMarkup)
	}

	// The question cannot be edited any more: the answer is a new message.
	h.tg.FailNext("editMessageText", 1, telegramtest.Fault{Code: 400, Description: "Bad Request: message can't be edited"})
	h.answerTo(h.press(alice, folded, "opt:category:product"))
	sub := rep.next("具体位置")
	if sub.ID == folded.ID {
		t.Fatalf("the answer went into a message that could not be edited")
	}
	// Updates of a chat are handled in order, so the folded turn is over:
	// this answer is the only message sent since the first press.
	if n := len(h.tg.CallsTo("sendMessage")); n != sends+1 {
		t.Fatalf("%d messages sent for two choices, want 1", n-sends)
	}
	// The choice is still marked on the question, once it can be edited.
	h.tg.Wait(t, 15*time.Second, "the choice marked on the question", func() bool {
		m := h.tg.Message(alice.ID, folded.ID)
		return strings.Contains(m.Text, "→ "+labelOf(folded, telegramtest.ButtonData(folded, "opt:category:product"))) && (m.ReplyMarkup == nil || len(m.ReplyMarkup.InlineKeyboard) == 0)
	})
	h.press(alice, sub, "opt:category:product/house")
	rep.next("（4/10）")
}

// TestDoubleTap: a choice tapped twice, the second time on the question
// as it looked before the first tap was answered, records the first
// choice only; the question keeps showing it, and the second tap gets the
// current question again in a message of its own.
func TestDoubleTap(t *testing.T) {
	h := newHarness(t, ModePoll)
	rep := h.follow(alice.ID)
	region := h.toRegion(alice, rep)
	h.press(alice, region, "opt:region:north")
	folded := rep.next("（6/10）")
	stale := h.tg.Press(alice, region, telegramtest.ButtonData(region, "opt:region:south")) // the copy from before the first tap
	h.deliver(stale)
	again := rep.next("（6/10）", h.ch.T("zh-CN", "dialog.err.stale_button", nil))
	if again.ID == folded.ID {
		t.Fatalf("the stale tap was folded into the question: %q", again.Text)
	}
	h.answerTo(stale)
	if m := h.tg.Message(alice.ID, folded.ID); m.Text != folded.Text || labelOf(m, telegramtest.ButtonData(m, "opt:severity:P2")) == "" {
		t.Fatalf("the stale tap changed the question: %q", m.Text)
	}
	if strings.Contains(folded.Text, "→ "+labelOf(region, telegramtest.ButtonData(region, "opt:region:south"))) {
		t.Fatalf("the question shows the stale choice: %q", folded.Text)
	}
}

// TestEditedMessage: an edit changes nothing, and the reporter is told
// how to correct an answer instead.
func TestEditedMessage(t *testing.T) {
	h := newHarness(t, ModePoll)
	rep := h.follow(alice.ID)
	h.deliver(h.tg.Text(alice, "/new"))
	rep.next("（1/10）")
	upd := h.tg.Text(alice, "前台房态不显示，已经两个小时了")
	edited := upd.Message
	upd.EditedMessage, upd.Message = edited, nil
	h.deliver(upd)
	rep.next("修改过的消息不会被采用")
	// The same message edited again, or an edit without text (a live
	// location moving), gets no answer.
	again := *edited
	again.Text = "前台房态不显示，已经三个小时了"
	h.deliver(&models.Update{EditedMessage: &again})
	moved := *edited
	moved.Text, moved.ID = "", edited.ID+100
	h.deliver(&models.Update{EditedMessage: &moved})
	h.deliver(h.tg.Text(alice, "放心房上线后在前台不显示，已经两个小时了"))
	rep.next("（2/10）")
	if n := h.count(alice.ID, "修改过的消息不会被采用"); n != 1 {
		t.Fatalf("%d answers to edits, want 1", n)
	}
}

// TestSessionStoreDown: with Redis unreachable, starting a form says the
// system is briefly unavailable (not "unknown form", not a crash).
func TestSessionStoreDown(t *testing.T) {
	h := newHarnessWith(t, ModePoll, func(d *Deps) {
		down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
		t.Cleanup(func() { down.Close() })
		cat, forms := botkittest.Forms(t)
		var err error
		d.Engine, err = dialogs.NewEngine(dialogs.Config{Forms: forms, Catalog: cat, Sessions: dialogs.NewRedisStore(down, "down:", 0),
			Filer: &botkit.Filer{Service: d.Service, Files: d.Files}})
		if err != nil {
			t.Fatal(err)
		}
	})
	h.deliver(h.tg.Text(alice, "/new"))
	h.follow(alice.ID).next("系统暂时不可用")
}

// TestReplyWaitsOut429: a reply Telegram refuses with a longer
// retry_after is sent once the wait is over, not dropped.
func TestReplyWaitsOut429(t *testing.T) {
	h := newHarness(t, ModePoll)
	h.tg.FailNext("sendMessage", 1, telegramtest.Fault{Code: 429, RetryAfter: 6})
	start := time.Now()
	h.deliver(h.tg.Text(alice, "/help"))
	h.tg.Wait(t, 20*time.Second, "the help after the wait", func() bool { return len(h.tg.Messages(alice.ID)) > 0 })
	if d := time.Since(start); d < 6*time.Second {
		t.Fatalf("sent after %s, before retry_after", d)
	}
}

// TestExpiredFormNotice: the answer to a form that expired idle is met
// with the notice that it expired, in the user's language, and does not
// start anything.
func TestExpiredFormNotice(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	h := newHarnessWith(t, ModePoll, func(d *Deps) {
		cat, forms := botkittest.Forms(t)
		var err error
		d.Engine, err = dialogs.NewEngine(dialogs.Config{Forms: forms, Catalog: cat, Sessions: dialogs.NewRedisStore(rdb, prefix, 0),
			Filer: &botkit.Filer{Service: d.Service, Files: d.Files}})
		if err != nil {
			t.Fatal(err)
		}
	})
	rep := h.follow(eve.ID)
	h.say(eve, rep, "/new", "(1/10)")
	// Redis lets the idle session go; its marker outlives it.
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, prefix+"s:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("session keys %v: %v", keys, err)
	}
	rdb.Del(ctx, keys[0])
	h.say(eve, rep, "The ranking does not refresh", "Your previous form expired")
	if n := h.count(eve.ID, "expired"); n != 1 {
		t.Fatalf("%d expiry notices", n)
	}
}

// TestExpiryNoticeUnasked: a form left idle is reported in the reporter's
// chat when it expires (botkit.TellExpired over the Redis session store),
// in their language, naming the form, with the buttons to start again;
// their next message does not report it a second time.
func TestExpiryNoticeUnasked(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	var tell func(botkit.NoticeSender)
	h := newHarnessWith(t, ModePoll, func(d *Deps) {
		d.Engine, tell = botkittest.ExpiringEngine(t, d.Service, d.Files, rdb, prefix, time.Second)
	})
	tell(h.ch)
	rep := h.follow(eve.ID)
	h.say(eve, rep, "/new", "(1/10)")
	m := rep.next("Your “problem report” form expired after a long pause and was not filed")
	if kb := m.ReplyMarkup; kb == nil || len(kb.InlineKeyboard) == 0 || !strings.HasPrefix(kb.InlineKeyboard[0][0].CallbackData, "start:") {
		t.Fatalf("the notice has no buttons to start again: %#v", m.ReplyMarkup)
	}
	h.say(eve, rep, "The ranking does not refresh", "What would you like to file")
	if n := h.count(eve.ID, "expired"); n != 1 {
		t.Fatalf("%d expiry notices", n)
	}
}

// TestTypedRating: a reporter who types 不满意 instead of pressing the
// button rates their resolved ticket (reopening it); typed again once the
// ticket is rated, they hear why nothing changed.
func TestTypedRating(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	number := h.directTicket(alice, "提单系统保存草稿后草稿丢失了")
	rep := h.follow(alice.ID)
	rep.next("已收到您的问题", number)
	if _, err := h.svc.Resolve(ctx, bobP, number, "草稿保存问题已修复"); err != nil {
		t.Fatal(err)
	}
	rep.next("已解决", "草稿保存问题已修复")
	h.deliver(h.tg.Text(alice, "不满意！"))
	rep.next("已记录您的评价「不满意」", number, "重新打开")
	tk, err := h.store.Ticket(ctx, number)
	if err != nil || tk.Satisfaction != backend.SatisfactionUnsatisfied || tk.Status != backend.StatusReopened {
		t.Fatalf("after 不满意: %+v %v", tk, err)
	}
	if _, err := h.svc.Resolve(ctx, bobP, number, "已彻底修复并补发草稿"); err != nil {
		t.Fatal(err)
	}
	// The second answer is rated afresh (seed 002: 不满意 starts the
	// handling over), with the buttons and by words.
	second := rep.next("已解决", "已彻底修复并补发草稿")
	if telegramtest.ButtonData(second, "满意") != "rt:satisfied:"+number {
		t.Fatalf("the second answer has no rating buttons: %+v", second.ReplyMarkup)
	}
	h.deliver(h.tg.Text(alice, "满意"))
	rep.next("感谢您的评价", number, "满意")
	if tk, err := h.store.Ticket(ctx, number); err != nil || tk.Satisfaction != backend.SatisfactionSatisfied || tk.Status != backend.StatusResolved {
		t.Fatalf("after the second rating: %+v %v", tk, err)
	}
	h.deliver(h.tg.Text(alice, "满意"))
	rep.next(number, "已经评价过")

	// Two resolved tickets wait: a word cannot say which, so nothing is
	// rated and the reporter is asked to use the buttons.
	var waiting []string
	for _, summary := range []string{"会员中心头像上传一直失败", "订单导出的文件是空的"} {
		n := h.directTicket(alice, summary)
		rep.next("已收到您的问题", n)
		if _, err := h.svc.Resolve(ctx, bobP, n, "已修复："+summary); err != nil {
			t.Fatal(err)
		}
		rep.next("已解决", n)
		waiting = append(waiting, n)
	}
	h.deliver(h.tg.Text(alice, "基本满意"))
	rep.next("多个工单等待评价", waiting[0], waiting[1])
	for _, n := range waiting {
		if tk, err := h.store.Ticket(ctx, n); err != nil || tk.Satisfaction != backend.SatisfactionNone {
			t.Fatalf("%s rated by a word that could mean either: %+v %v", n, tk, err)
		}
	}
}

// TestIncidentFollowerReply: someone who joined an incident from the chat
// hears its updates through another reporter's ticket; a reply to such an
// update neither reaches that ticket nor names it.
func TestIncidentFollowerReply(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	staff := h.linkAssistant(bob)
	number := h.directTicket(alice, "帮帮余额未到期被清零，客户要求恢复")
	inc, err := h.svc.CreateIncident(ctx, staff, "帮帮余额被清零")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.LinkIncident(ctx, staff, number, inc.ID); err != nil {
		t.Fatal(err)
	}
	follower, err := h.svc.ReporterFor(ctx, backend.ChatAccount{Platform: Platform, UserID: itoa(eve.ID), ChatID: itoa(eve.ID)}, eve.FirstName, "zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.JoinIncident(ctx, follower, inc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.UpdateIncident(ctx, staff, inc.ID, "已恢复余额，请客户重新登录查看", false); err != nil {
		t.Fatal(err)
	}
	update := h.tg.WaitMessage(t, eve.ID, telegramtest.Containing("已恢复余额"))
	if strings.Contains(update.Text, number) {
		t.Fatalf("the follower's update names another reporter's ticket: %q", update.Text)
	}
	h.tg.Wait(t, 10*time.Second, "the update to be remembered", func() bool {
		_, err := h.store.ChatMessage(ctx, Platform, itoa(eve.ID), itoa(int64(update.ID)))
		return err == nil
	})
	h.deliver(h.tg.Reply(eve, update, "我的客户也是这样，能加急吗"))
	hint := h.tg.WaitMessage(t, eve.ID, telegramtest.Containing("集中问题的进展通知"))
	if strings.Contains(hint.Text, number) {
		t.Fatalf("the hint names the other reporter's ticket: %q", hint.Text)
	}
	_, events, err := h.svc.Thread(ctx, staff, number)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Kind == backend.EventComment && strings.Contains(e.Body, "能加急吗") {
			t.Fatal("the follower's reply became a comment on another reporter's ticket")
		}
	}
}

// TestAddToOwnTicket: a reporter starting to report again the problem of
// their ticket still open is offered that ticket after the summary; 补充到
// puts the description on it as their comment, which reaches the one who
// holds it, and files nothing.
func TestAddToOwnTicket(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	bobP := h.linkAssistant(bob)
	number := h.directTicket(alice, "提单系统保存草稿后草稿丢失了")
	if _, err := h.svc.Claim(ctx, bobP, number); err != nil {
		t.Fatal(err)
	}
	rep := h.follow(alice.ID)
	rep.next("已收到您的问题", number)
	h.deliver(h.tg.Text(alice, "/new"))
	rep.next("（1/10）")
	h.deliver(h.tg.Text(alice, "提单系统保存草稿后草稿又丢失了"))
	offer := rep.next("您提交过的工单 "+number, "已分派")
	h.answerTo(h.press(alice, offer, "补充到 "+number))
	rep.next("已把您的描述补充到工单 " + number)
	h.follow(bob.ID).next(number, "提单系统保存草稿后草稿又丢失了")
	tk, err := h.store.Ticket(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	page, err := h.store.Tickets(ctx, backend.TicketFilter{ReporterID: tk.ReporterID, Limit: 10})
	if err != nil || len(page.Tickets) != 1 {
		t.Fatalf("%d tickets of alice (%v), want the first alone", len(page.Tickets), err)
	}
}

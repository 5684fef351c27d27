package telegram

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/telegram/telegramtest"
)

// TestComplaintFromDirectory: the account manager's complaint starts from
// the customer's phone; the directory fills the name, offers the
// customer's orders as buttons and lists their earlier complaints, and
// the chosen order's details reach the handler's card (seed 001). Another
// reporter typing the same number learns nothing of the customer.
func TestComplaintFromDirectory(t *testing.T) {
	h := newHarness(t, ModePoll)
	ctx := context.Background()
	dave := telegramtest.User(5001, "Dave", "zh-hans")
	manager, err := h.svc.ReporterFor(ctx, backend.ChatAccount{Platform: Platform, UserID: itoa(dave.ID), ChatID: itoa(dave.ID)}, "Dave", "zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	admin := &backend.Person{Name: "Admin", Roles: []backend.Role{backend.RoleAdmin}}
	if err := h.store.CreatePerson(ctx, admin); err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(2 * time.Hour) // 10:00 in Shanghai
	}
	if _, err := h.svc.ImportCustomers(ctx, admin,
		[]*backend.Customer{{Code: "C-1001", Name: "华东五金有限公司", Phones: []string{"139 1234 5678"}, OwnerID: manager.ID}},
		[]*backend.Order{
			{Number: "20080505003", CustomerCode: "C-1001", Product: "螺丝刀 × 5000", Status: "已出货", OrderedAt: day("2008-05-05"), ShippedAt: day("2008-05-20"), WarrantyUntil: day("2009-05-20")},
			{Number: "20261101007", CustomerCode: "C-1001", Product: "扳手 × 200", Status: "已下单", OrderedAt: day("2026-11-01")},
		}); err != nil {
		t.Fatal(err)
	}

	log := h.follow(dave.ID)
	h.say(dave, log, "/new complaint", "客户电话")
	h.deliver(h.tg.Text(dave, "13912345678"))
	q := log.next("客户目录中找到：华东五金有限公司", "20080505003 · 螺丝刀 × 5000 · 已出货 · 2008-05-05 下单 · 2008-05-20 出货 · 已过保修期（2009-05-20）",
		"当前答案：华东五金有限公司")
	h.press(dave, q, "cmd:keep")
	q = log.next("销售订单", "点选下面客户的订单")
	h.press(dave, q, "20080505003 · 螺丝刀 × 5000")
	log.next("订单信息：螺丝刀 × 5000", "投诉的具体内容")
	q = h.say(dave, log, "这批螺丝刀杆上有铁锈，客户要求退货", "客户提出了哪些要求",
		"上门处理；查明原因并提出预防措施", "这个投诉紧急吗")
	h.press(dave, q, "opt:urgency:urgent")
	q = log.next("附件")
	h.press(dave, q, "cmd:skip")
	number := h.submitReview(dave, log)
	tk, err := h.store.Ticket(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Extra["customer"] != "华东五金有限公司" || tk.OrderNumber != "20080505003" || !strings.Contains(tk.Extra["order_number_detail"], "已过保修期（2009-05-20）") {
		t.Fatalf("complaint %s filed with customer %q order %q detail %q", number, tk.Extra["customer"], tk.OrderNumber, tk.Extra["order_number_detail"])
	}
	card := h.tg.WaitMessage(t, triageChat, telegramtest.Containing(number))
	if !strings.Contains(card.Text, "订单信息：螺丝刀 × 5000 · 已出货") {
		t.Fatalf("the handler's card lacks the order's details:\n%s", card.Text)
	}

	// The next complaint about the customer lists this one.
	h.say(dave, log, "/new complaint", "客户电话", "13912345678", "最近投诉：\n• "+number+" · 待受理 · 这批螺丝刀杆上有铁锈")

	// Eve is no one's account manager: the number finds nobody.
	eve := telegramtest.User(5002, "Eve", "zh-hans")
	elog := h.follow(eve.ID)
	h.say(eve, elog, "/new complaint", "客户电话")
	h.deliver(h.tg.Text(eve, "13912345678"))
	m := elog.next("客户目录中没有这个号码")
	if strings.Contains(m.Text, "华东五金") || strings.Contains(m.Text, "20080505003") {
		t.Fatalf("another reporter was shown the customer:\n%s", m.Text)
	}
}

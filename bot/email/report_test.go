package email

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/reportsend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// TestSendReport: a report is one mail with the text, the chart as PNG
// and the CSV; its Message-ID is the delivery's; a delivery sent already
// is not mailed again.
func TestSendReport(t *testing.T) {
	srv := newSMTPServer(t)
	cfg, err := ParseURL("smtp://" + srv.ln.Addr().String() + "?from=desk@example.com")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	s := New(cfg, &botkit.Renderer{Cat: cat})
	cst := time.FixedZone("CST", 8*3600)
	week := backend.PeriodOf(backend.PeriodWeek, time.Date(2026, 11, 18, 12, 0, 0, 0, cst), cst)
	rep := &backend.Report{Period: week, Previous: week.Prev(), TeamID: 3, TeamName: "技术组", Total: 4, Resolved: 2,
		Subcategories: []backend.CategoryCount{{Path: []string{"CRM问题", "会员中心"}, Count: backend.Count{Count: 3, Share: 0.75}},
			{Path: []string{"提单系统"}, Count: backend.Count{Count: 1, Share: 0.25}}}}
	var png bytes.Buffer
	if err := rep.Chart(&png); err != nil {
		t.Fatal(err)
	}
	var parts []int
	m := reportsend.Message{
		Delivery: &backend.ReportDelivery{ID: 9, Period: week.String()},
		Person:   &backend.Person{ID: 7, Locale: "zh-CN"},
		Account:  backend.ChatAccount{Platform: Platform, UserID: "mia@example.com"},
		Report:   rep, Chart: png.Bytes(),
		Sent:    func(_ context.Context, n int) error { parts = append(parts, n); return nil },
		Console: "https://desk.example.com/",
	}
	if err := s.SendReport(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if len(srv.mails) != 1 || srv.mails[0].to != "mia@example.com" || len(parts) != 1 || parts[0] != 1 {
		t.Fatalf("mails %d, parts recorded %v", len(srv.mails), parts)
	}
	msg, err := mail.ReadMessage(strings.NewReader(srv.mails[0].data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != "deskbot 报表 2026-W47 · 技术组" || msg.Header.Get("Message-Id") != "<report-9@deskbot>" {
		t.Fatalf("subject %q, id %q", subject, msg.Header.Get("Message-Id"))
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		if err != nil {
			t.Fatal(err)
		}
		got[cmpOr(p.FileName(), p.Header.Get("Content-Type"))] = data
	}
	text := string(got["text/plain; charset=utf-8"])
	for _, want := range []string{"周报 2026-W47（2026-11-16 至 2026-11-22） · 技术组", "1. CRM问题 / 会员中心：3（75.0%）",
		"https://desk.example.com/console/reports?period=2026-W47&team=3", "CSV 见附件"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if !bytes.Equal(got["report-2026-W47-team-3.png"], png.Bytes()) {
		t.Errorf("the chart attachment is not the chart (%d bytes)", len(got["report-2026-W47-team-3.png"]))
	}
	if csv := string(got["report-2026-W47-team-3.csv"]); !strings.Contains(csv, "会员中心") {
		t.Errorf("CSV attachment:\n%s", csv)
	}

	m.Delivery.Parts = 1 // sent before: a retry mails nothing
	if err := s.SendReport(t.Context(), m); err != nil || len(srv.mails) != 1 {
		t.Fatalf("a sent delivery was mailed again (%v, %d mails)", err, len(srv.mails))
	}
	m.Delivery.Parts = 0
	m.Account.UserID = "not an address"
	var perm *notify.PermanentError
	if err := s.SendReport(t.Context(), m); !errors.As(err, &perm) {
		t.Fatalf("a bad address gave %v, want a permanent error", err)
	}
}

// TestDotLine: a line that starts with a dot arrives as written (net/smtp
// stuffs dots; the message must not stuff them too).
func TestDotLine(t *testing.T) {
	srv := newSMTPServer(t)
	cfg, err := ParseURL("smtp://" + srv.ln.Addr().String() + "?from=desk@example.com")
	if err != nil {
		t.Fatal(err)
	}
	s := New(cfg, nil)
	msg := buildMessage("desk@example.com", "a@example.com", "s", "first\n.hidden\n..two", time.Now(), "<x@deskbot>")
	if err := s.deliver(t.Context(), "a@example.com", msg); err != nil {
		t.Fatal(err)
	}
	if data := srv.mails[0].data; !strings.Contains(data, "\n.hidden\n..two\n") {
		t.Fatalf("dot lines changed:\n%q", data)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

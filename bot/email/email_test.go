package email

import (
	"context"
	"errors"
	"mime"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// smtpServer is a small SMTP server speaking the real protocol
// (RFC 5321 subset: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT).
type smtpServer struct {
	ln     net.Listener
	mu     sync.Mutex
	mails  []received
	refuse string // RCPT of this address gets 550
	auth   string // the AUTH PLAIN line seen
}

type received struct {
	from, to string
	data     string
}

func newSMTPServer(tb testing.TB) *smtpServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	tp.PrintfLine("220 test ESMTP")
	var m received
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			tp.PrintfLine("250-test")
			tp.PrintfLine("250 AUTH PLAIN")
		case "AUTH":
			s.mu.Lock()
			s.auth = arg
			s.mu.Unlock()
			tp.PrintfLine("235 ok")
		case "MAIL":
			m = received{from: strings.Trim(strings.TrimPrefix(arg, "FROM:"), "<>")}
			tp.PrintfLine("250 ok")
		case "RCPT":
			m.to = strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>")
			if m.to == s.refuse {
				tp.PrintfLine("550 no such user")
				continue
			}
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go on")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m.data = string(b)
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 unknown")
		}
	}
}

func TestSendEscalationMail(t *testing.T) {
	srv := newSMTPServer(t)
	cfg, err := ParseURL("smtp://desk:secret@" + srv.ln.Addr().String() + "?from=desk@example.com")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host = "127.0.0.1" // PLAIN auth over plain text is allowed to localhost only
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	s := New(cfg, &botkit.Renderer{Cat: cat})
	s.Now = func() time.Time { return time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC) }
	m := notify.Message{
		Outbox:    &backend.OutboxMessage{ID: 42, Audience: backend.AudiencePerson, RecipientID: 7},
		Ticket:    &backend.Ticket{Number: "FB-20261123-0001", Severity: backend.P1, Summary: "会员中心无法下单"},
		Event:     &backend.Event{Kind: backend.EventEscalation, Body: "confirm breached; step 3: manager", Data: backend.EventData{Clock: "confirm", Step: 3, Due: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)}},
		Recipient: &backend.Person{ID: 7, Locale: "zh-CN"},
		Account:   backend.ChatAccount{Platform: Platform, UserID: "wang@example.com"},
	}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	got := srv.mails
	auth := srv.auth
	srv.mu.Unlock()
	if len(got) != 1 || got[0].to != "wang@example.com" || got[0].from != "desk@example.com" {
		t.Fatalf("mails %+v", got)
	}
	if !strings.HasPrefix(auth, "PLAIN ") {
		t.Fatalf("auth %q", auth)
	}
	data := got[0].data
	for _, want := range []string{"To: wang@example.com", "Message-ID: <outbox-42.42@deskbot>", "Content-Type: text/plain; charset=utf-8", "升级第 3 级：直接主管", "2026-11-23 11:00"} {
		if !strings.Contains(data, want) {
			t.Errorf("mail lacks %q:\n%s", want, data)
		}
	}
	var subject string
	for _, l := range strings.Split(data, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "Subject: "); ok {
			subject, _ = new(mime.WordDecoder).DecodeHeader(v)
		}
	}
	if !strings.Contains(subject, "FB-20261123-0001") || !strings.Contains(subject, "P1") {
		t.Errorf("subject %q", subject)
	}

	t.Run("ErrRefused", func(t *testing.T) {
		srv.refuse = "gone@example.com"
		m.Account.UserID = "gone@example.com"
		var perm *notify.PermanentError
		if err := s.Send(context.Background(), m); !errors.As(err, &perm) {
			t.Fatalf("550 gave %v, want a permanent error", err)
		}
	})
	t.Run("ErrDown", func(t *testing.T) {
		down := cfg
		down.Port = "1"
		var perm *notify.PermanentError
		if err := New(down, &botkit.Renderer{Cat: cat}).Send(context.Background(), m); err == nil || errors.As(err, &perm) {
			t.Fatalf("a closed port gave %v, want a retryable error", err)
		}
	})
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"smtp://mail.example.com?from=a@example.com", ""},
		{"smtps://u:p@mail.example.com?from=a@example.com", ""},
		{"http://mail.example.com?from=a@example.com", "scheme"},
		{"smtp://mail.example.com", "?from="},
		{"smtp://?from=a@example.com", "host"},
	} {
		_, err := ParseURL(tc.in)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("ParseURL(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
	c, _ := ParseURL("smtps://u:p@mail.example.com?from=a@example.com")
	if !c.TLS || c.Port != "465" || c.Password != "p" {
		t.Errorf("smtps: %+v", c)
	}
}

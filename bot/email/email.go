package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/bot/botkit"
)

// Platform is the chat-account platform of e-mail addresses.
const Platform = "email"

// Config is an SMTP server, parsed from SMTP_URL:
//
//	smtp://user:password@mail.example.com:587?from=desk@example.com
//	smtps://…:465 (TLS from the start); smtp:// uses STARTTLS when offered
type Config struct {
	Host     string
	Port     string
	User     string
	Password string
	From     string
	TLS      bool // implicit TLS (smtps)
	// Insecure skips certificate checks (tests only).
	Insecure bool
}

// ParseURL reads an SMTP_URL. Errors say what is wrong without echoing
// the password.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, errors.New("not a URL like smtp://user:pass@host:587?from=desk@example.com")
	}
	c := Config{Host: u.Hostname(), Port: u.Port(), From: u.Query().Get("from")}
	switch u.Scheme {
	case "smtp":
		if c.Port == "" {
			c.Port = "587"
		}
	case "smtps":
		c.TLS = true
		if c.Port == "" {
			c.Port = "465"
		}
	default:
		return Config{}, fmt.Errorf("scheme %q must be smtp or smtps", u.Scheme)
	}
	if c.Host == "" {
		return Config{}, errors.New("the host is missing")
	}
	if u.User != nil {
		c.User = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return Config{}, errors.New("?from= must be the sender's address, like ?from=desk@example.com")
	}
	return c, nil
}

// Sender mails outbox messages to people's "email" accounts.
type Sender struct {
	cfg  Config
	text *botkit.Renderer
	// Now dates the mails. Default time.Now.
	Now func() time.Time
}

// New returns a sender over cfg that renders with text.
func New(cfg Config, text *botkit.Renderer) *Sender {
	return &Sender{cfg: cfg, text: text, Now: time.Now}
}

// Platform implements notify.Sender.
func (s *Sender) Platform() string { return Platform }

var _ notify.SecondRoute = (*Sender)(nil)

// SecondRoute implements notify.SecondRoute: messages that name no
// platform go to the person's chat first.
func (s *Sender) SecondRoute() bool { return true }

// Send mails one message. A refused recipient is permanent; connection
// trouble is retried by the dispatcher.
func (s *Sender) Send(ctx context.Context, m notify.Message) error {
	to := m.Account.UserID
	if _, err := mail.ParseAddress(to); err != nil {
		return &notify.PermanentError{Err: fmt.Errorf("email: bad address for person %d", m.Outbox.RecipientID)}
	}
	loc := botkit.Locale(m.Recipient)
	body := s.text.Notice(ctx, m)
	subject := s.text.Cat.T(loc, "sla.email.subject", map[string]any{
		"Number": m.Ticket.Number, "Severity": s.text.Severity(loc, m.Ticket.Severity), "Title": firstLine(body)})
	msg := buildMessage(s.cfg.From, to, subject, body, s.Now(), fmt.Sprintf("<%s.%d@deskbot>", m.Outbox.Key(), m.Outbox.ID))
	return s.deliver(ctx, to, msg)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	r := []rune(s)
	if len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return s
}

// buildMessage is an RFC 5322 plain-text mail with UTF-8 headers encoded.
func buildMessage(from, to, subject, body string, date time.Time, id string) []byte {
	var b strings.Builder
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", from)
	h("To", to)
	h("Subject", mime.BEncoding.Encode("utf-8", subject))
	h("Date", date.Format(time.RFC1123Z))
	h("Message-ID", id) // the same outbox message always has the same ID
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	// No dot-stuffing here: net/smtp's DATA writer does it.
	for _, line := range strings.Split(body, "\n") {
		b.WriteString(line + "\r\n")
	}
	return []byte(b.String())
}

func (s *Sender) deliver(ctx context.Context, to string, msg []byte) error {
	addr := net.JoinHostPort(s.cfg.Host, s.cfg.Port)
	d := net.Dialer{Timeout: 15 * time.Second}
	var conn net.Conn
	var err error
	tlsCfg := &tls.Config{ServerName: s.cfg.Host, InsecureSkipVerify: s.cfg.Insecure} //nolint:gosec // tests only
	if s.cfg.TLS {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsCfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("email: connect %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(time.Minute))
	}
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("email: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !s.cfg.TLS {
		if err := c.StartTLS(tlsCfg); err != nil {
			return fmt.Errorf("email: starttls: %w", err)
		}
	}
	if s.cfg.User != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.User, s.cfg.Password, s.cfg.Host)); err != nil {
			return &notify.PermanentError{Err: fmt.Errorf("email: login refused: %w", err)}
		}
	}
	if err := c.Mail(s.cfg.From); err != nil {
		return classify(err)
	}
	if err := c.Rcpt(to); err != nil {
		return classify(err)
	}
	w, err := c.Data()
	if err != nil {
		return classify(err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("email: %w", err)
	}
	if err := w.Close(); err != nil {
		return classify(err)
	}
	return c.Quit()
}

// classify makes 5xx replies permanent; 4xx and the rest are retried.
func classify(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return &notify.PermanentError{Err: fmt.Errorf("email: %w", err)}
	}
	return fmt.Errorf("email: %w", err)
}

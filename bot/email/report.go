package email

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/reportsend"
	"github.com/deskbot/deskbot/bot/botkit"
)

var _ reportsend.Sender = (*Sender)(nil)

// SendReport mails a report (DESIGN §7) as one message: the text, the
// chart as an inline PNG and the figures as a CSV attachment. A mail is
// one part; the same delivery always has the same Message-ID, so a mail
// server that saw it already can drop the copy.
func (s *Sender) SendReport(ctx context.Context, m reportsend.Message) error {
	if m.Delivery.Parts >= 1 {
		return nil
	}
	to := m.Account.UserID
	if _, err := mail.ParseAddress(to); err != nil {
		return &notify.PermanentError{Err: fmt.Errorf("email: bad address for person %d", m.Person.ID)}
	}
	cat, loc, r := s.text.Cat, botkit.Locale(m.Person), m.Report
	body := botkit.ReportText(cat, loc, r, m.Console)
	if len(r.Subcategories) > 0 {
		body += "\n\n" + botkit.ReportCaption(cat, loc, r)
	}
	body += "\n" + cat.T(loc, "report.chat.csv", map[string]any{"Period": r.Period.String()})
	var csv bytes.Buffer
	if err := r.WriteCSV(&csv); err != nil {
		return &notify.PermanentError{Err: fmt.Errorf("email: report CSV: %w", err)}
	}
	name := "report-" + r.Period.String()
	if r.TeamID != 0 {
		name += fmt.Sprintf("-team-%d", r.TeamID)
	}
	subject := cat.T(loc, "report.chat.subject", map[string]any{"Period": r.Period.String()})
	if r.TeamName != "" {
		subject += " · " + r.TeamName
	}
	msg, err := buildMixed(s.cfg.From, to, subject, body, s.Now().Format(time.RFC1123Z),
		fmt.Sprintf("<%s@deskbot>", m.Delivery.Key()), []attachment{
			{name: name + ".png", ctype: "image/png", data: m.Chart, skip: len(r.Subcategories) == 0},
			{name: name + ".csv", ctype: "text/csv; charset=utf-8", data: csv.Bytes()},
		})
	if err != nil {
		return &notify.PermanentError{Err: err}
	}
	if err := s.deliver(ctx, to, msg); err != nil {
		return err
	}
	return m.Sent(ctx, 1)
}

type attachment struct {
	name, ctype string
	data        []byte
	skip        bool
}

// buildMixed is a multipart/mixed mail: a UTF-8 text part and the
// attachments, base64-encoded with lines of 76 characters.
func buildMixed(from, to, subject, body, date, id string, files []attachment) ([]byte, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", from)
	h("To", to)
	h("Subject", mime.BEncoding.Encode("utf-8", subject))
	h("Date", date)
	h("Message-ID", id)
	h("MIME-Version", "1.0")
	h("Content-Type", `multipart/mixed; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	text, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"base64"}})
	if err != nil {
		return nil, err
	}
	writeBase64(text, []byte(strings.ReplaceAll(body, "\n", "\r\n")))
	for _, f := range files {
		if f.skip {
			continue
		}
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {f.ctype},
			"Content-Transfer-Encoding": {"base64"},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": f.name})}})
		if err != nil {
			return nil, err
		}
		writeBase64(w, f.data)
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeBase64 writes data base64-encoded in lines of 76 characters.
func writeBase64(w io.Writer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		io.WriteString(w, enc[:76]+"\r\n")
		enc = enc[76:]
	}
	io.WriteString(w, enc+"\r\n")
}

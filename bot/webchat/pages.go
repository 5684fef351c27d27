package webchat

import (
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/size"
	"github.com/deskbot/deskbot/backend/web"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs"
)

type formLink struct{ ID, Title string }

type chatData struct {
	*visitor
	V       *visitor
	Title   string
	Entries []entry
	Forms   []formLink
	Tickets []*backend.Ticket
	Active  bool
}

func (c *Chat) chatData(r *http.Request, v *visitor) (*chatData, error) {
	d := &chatData{visitor: v, V: v, Title: c.cat.T(v.Loc, "web.chat.title", nil), Entries: c.logs.list(r.Context(), v.ID)}
	for _, f := range c.cfg.Forms {
		d.Forms = append(d.Forms, formLink{ID: f, Title: c.cat.T(v.Loc, "form."+f+".title", nil)})
	}
	active, err := c.cfg.Engine.Active(r.Context(), v.Key())
	if err != nil {
		return nil, err
	}
	d.Active = active
	if v.Person != nil {
		page, err := c.svc.Tickets(r.Context(), v.Person, backend.TicketFilter{Limit: 20})
		if err != nil {
			return nil, err
		}
		d.Tickets = page.Tickets
	}
	return d, nil
}

func (c *Chat) page(w http.ResponseWriter, r *http.Request, v *visitor) {
	d, err := c.chatData(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.pages.Render(w, http.StatusOK, "chat", "page", d)
}

func (c *Chat) logFragment(w http.ResponseWriter, r *http.Request, v *visitor) {
	d, err := c.chatData(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.pages.Render(w, http.StatusOK, "chat", "log", d)
}

func (c *Chat) events(w http.ResponseWriter, r *http.Request, v *visitor) {
	web.ServeEvents(w, r, c.hub, userTopic(v.ID))
}

// uploadSlack is what a multipart request may carry beyond the file.
const uploadSlack = 1 << 20

// refusal is a file refused before it was stored: not wanted now, or too
// many lately. Key and Data are the reporter's text.
type refusal struct {
	Status int
	Key    string
	Data   map[string]any
}

func (e *refusal) Error() string { return "webchat: upload refused: " + e.Key }

// upload reads the optional file of a multipart form into Files. The
// visitor's uploads are limited per minute, and wanted, when given,
// refuses a file the visitor's page does not take now; either refusal is
// a *refusal and comes before anything is stored. A refused file (too
// big, wrong type) is a *botkit.FileError.
func (c *Chat) upload(r *http.Request, v *visitor, wanted func() error) (*backend.Attachment, error) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return nil, nil
	}
	max := c.cfg.Files.MaxSize()
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &botkit.FileError{Code: "too_big", Size: r.ContentLength, Max: max}
		}
		return nil, backend.Invalid("bad upload", "file", err.Error(), backend.Problem{Key: "upload"})
	}
	fh := firstFile(r.MultipartForm, "file")
	if fh == nil {
		return nil, nil
	}
	if fh.Size > max {
		return nil, &botkit.FileError{Code: "too_big", Size: fh.Size, Max: max}
	}
	if wait := c.limit.allow(r.Context(), v.ID, c.cfg.Now()); wait > 0 {
		return nil, &refusal{Status: http.StatusTooManyRequests, Key: "web.chat.file.rate",
			Data: map[string]any{"Max": c.cfg.UploadsPerMinute, "Seconds": int(wait.Round(time.Second) / time.Second)}}
	}
	if wanted != nil {
		if err := wanted(); err != nil {
			return nil, err
		}
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := c.cfg.Files.Put(f, fh.Filename)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

func firstFile(f *multipart.Form, name string) *multipart.FileHeader {
	if f == nil || len(f.File[name]) == 0 || f.File[name][0].Size == 0 && f.File[name][0].Filename == "" {
		return nil
	}
	return f.File[name][0]
}

// fileWanted refuses a file the visitor's dialog would not take now: no
// form open, a step that takes none (the review), or the screenshots
// field full. Stored, it would only fill the disk.
func (c *Chat) fileWanted(ctx context.Context, v *visitor) error {
	room, err := c.cfg.Engine.FileRoom(ctx, v.Key())
	switch {
	case err != nil:
		return err
	case room > 0:
		return nil
	}
	active, err := c.cfg.Engine.Active(ctx, v.Key())
	if err != nil {
		return err
	}
	if !active {
		return &refusal{Status: http.StatusUnprocessableEntity, Key: "web.chat.file.no_dialog"}
	}
	return &refusal{Status: http.StatusUnprocessableEntity, Key: "web.chat.file.not_now"}
}

// fileProblem is the reporter's text for a refused upload, or "" if err
// is not about the file.
func (c *Chat) fileProblem(loc string, err error) string {
	if re, ok := errors.AsType[*refusal](err); ok {
		return c.cat.T(loc, re.Key, re.Data)
	}
	fe, ok := errors.AsType[*botkit.FileError](err)
	if !ok {
		return ""
	}
	if fe.Code == "too_big" {
		return c.cat.T(loc, "web.chat.file.too_big", map[string]any{"Max": size.Text(fe.Max)})
	}
	return c.cat.T(loc, "web.chat.file.type", map[string]any{"Type": fe.ContentType})
}

// say passes one input (typed text, a pressed button, an uploaded file)
// to the dialog and adds the replies to the page.
func (c *Chat) say(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	now := c.cfg.Now()
	att, err := c.upload(r, v, func() error { return c.fileWanted(ctx, v) })
	if err != nil {
		msg := c.fileProblem(v.Loc, err)
		if msg == "" {
			msg = web.ErrorText(c.cat, v.Loc, err)
		}
		status := http.StatusUnprocessableEntity
		if re, ok := errors.AsType[*refusal](err); ok {
			status = re.Status
		}
		// The dialog is not touched: every answer so far is kept.
		c.logs.add(ctx, v.ID, entry{Kind: "problem", Text: msg, At: now})
		c.done(w, r, v, status)
		return
	}
	in := dialogs.Input{Text: strings.TrimSpace(r.PostFormValue("text")), Button: r.PostFormValue("button"), Locale: v.Loc}
	if len(in.Button) > 64 {
		in.Button = ""
	}
	var mine []string
	if in.Text != "" {
		mine = append(mine, in.Text)
	}
	if in.Button != "" {
		label := label(c.logs.list(ctx, v.ID), in.Button)
		if form, ok := strings.CutPrefix(in.Button, "start:"); ok && label == "" {
			label = c.cat.T(v.Loc, "form."+form+".title", nil)
		}
		if label == "" {
			label = in.Button
		}
		mine = append(mine, label)
	}
	if att != nil {
		in.Files = []dialogs.FileRef{{ID: att.SHA256, Name: att.Name, ContentType: att.ContentType, Size: att.Size}}
		mine = append(mine, "📎 "+att.Name)
	}
	if in.Text == "" && in.Button == "" && len(in.Files) == 0 {
		c.done(w, r, v, http.StatusOK)
		return
	}
	if _, err := c.reporter(ctx, v); err != nil {
		c.logs.add(ctx, v.ID, entry{Kind: "problem", Text: web.ErrorText(c.cat, v.Loc, err), At: now})
		c.done(w, r, v, web.StatusOf(err))
		return
	}
	c.logs.add(ctx, v.ID, entry{Kind: "me", Text: strings.Join(mine, "\n"), At: now})
	if number, rating, ok := rateButton(in.Button); ok {
		// A rating button of a resolved notice, whatever the dialog is doing.
		c.rateTicket(ctx, v, number, rating, now)
		c.done(w, r, v, http.StatusOK)
		return
	}
	if number, solved, ok := confirmButton(in.Button); ok {
		// An answer to a solution put to them, likewise.
		c.confirmTicket(ctx, v, number, solved, now)
		c.done(w, r, v, http.StatusOK)
		return
	}
	var out dialogs.Output
	if form, ok := strings.CutPrefix(in.Button, "start:"); ok {
		out, err = c.cfg.Engine.Start(ctx, v.Key(), form, v.Loc)
	} else {
		// A dialog in progress takes the input; outside one, text may be
		// a ticket number or a follow-up on the ticket the chat is about.
		var active bool
		out, active, err = c.cfg.Engine.Continue(ctx, v.Key(), in)
		if err == nil && !active {
			if c.outsideDialog(ctx, v, in, now) {
				c.done(w, r, v, http.StatusOK)
				return
			}
			out, err = c.cfg.Engine.Handle(ctx, v.Key(), in)
		}
	}
	if err != nil {
		c.log.Warn("webchat: dialog failed", "err", err)
		c.logs.add(ctx, v.ID, entry{Kind: "problem", Text: c.cat.T(v.Loc, "web.err.internal", nil), At: now})
		c.done(w, r, v, http.StatusInternalServerError)
		return
	}
	var es []entry
	for _, rep := range out.Replies {
		es = append(es, entry{Kind: "bot", Text: rep.Text, Buttons: rep.Buttons, ExpectFile: rep.ExpectFile, At: now})
	}
	if out.TicketNumber != "" && len(es) > 0 {
		// The dialog's 已提交 is the one message about the new ticket:
		// it links to it, and the outbox's receipt is not shown after it.
		es[len(es)-1].Number = out.TicketNumber
		c.filed(ctx, v, out.TicketNumber)
	}
	c.logs.add(ctx, v.ID, es...)
	c.done(w, r, v, http.StatusOK)
}

// kindFiled is the chat message kind recording that the dialog told the
// reporter their ticket was filed.
const kindFiled = "filed"

// filed records that the dialog's answer told v their ticket was filed,
// so that Send skips the outbox's receipt, which would say it again
// (botkit.DialogReceipt). It is recorded in the store, not the
// transcript, because any replica may deliver the receipt.
func (c *Chat) filed(ctx context.Context, v *visitor, number string) {
	t, err := c.svc.Store().Ticket(ctx, number)
	if err == nil {
		err = c.svc.Store().SaveChatMessage(ctx, &backend.ChatMessage{Platform: Platform, ChatID: v.ID,
			MessageID: kindFiled + ":" + number, TicketID: t.ID, Kind: kindFiled})
	}
	if err != nil {
		// The receipt then goes out after botkit.ReceiptWait: said twice, not lost.
		c.log.Warn("webchat: recording the filing", "ticket", number, "err", err)
	}
}

// outsideDialog answers text typed while no form is open, as the chat's
// messages promise: a rating word rates the latest resolved ticket, 已解决
// or 未解决 answers the solution put to them; a
// ticket number, alone or with words of asking around it (查一下 FB-… 的
// 进度), shows that ticket; other text, after
// a filing or a notice about a ticket that is still open, is a follow-up
// (追问) on it. It reports false when the text is neither (the dialog
// engine then offers the forms).
func (c *Chat) outsideDialog(ctx context.Context, v *visitor, in dialogs.Input, now time.Time) bool {
	if in.Text == "" || in.Button != "" || len(in.Files) > 0 || v.Person == nil {
		return false
	}
	if number, answer, err := c.words.AnswerTyped(ctx, c.svc, c.cat, v.Person, in.Text); number != "" {
		if err != nil {
			c.logs.add(ctx, v.ID, entry{Kind: "problem", Text: c.problemText(v.Loc, err), At: now})
			return true
		}
		c.logs.add(ctx, v.ID, entry{Kind: "bot", Number: number, At: now, Text: answer})
		return true
	}
	if n, ok := c.words.AskedNumber(in.Text); ok {
		t, err := c.svc.Ticket(ctx, v.Person, n)
		if err != nil {
			c.logs.add(ctx, v.ID, entry{Kind: "problem", Text: c.problemText(v.Loc, err), At: now})
			return true
		}
		text := c.cat.T(v.Loc, "web.chat.status",
			map[string]any{"Number": t.Number, "Status": c.cat.T(v.Loc, "status."+string(t.Status), nil), "Summary": t.Summary})
		if progress := c.render.TaskProgress(ctx, c.svc, v.Person, v.Loc, t, now); progress != "" {
			text += "\n" + progress // a complaint's tasks: 任务 2/3 已完成
		}
		c.logs.add(ctx, v.ID, entry{Kind: "bot", Number: t.Number, At: now, Text: text})
		return true
	}
	number := lastNumber(c.logs.list(ctx, v.ID))
	if number == "" {
		return false
	}
	t, err := c.svc.Ticket(ctx, v.Person, number)
	if err != nil || t.ReporterID != v.Person.ID || !t.Status.Open() {
		return false
	}
	if _, err := c.svc.Comment(ctx, v.Person, number, in.Text, true); err != nil {
		c.logs.add(ctx, v.ID, entry{Kind: "problem", Text: web.ErrorText(c.cat, v.Loc, err), At: now})
		return true
	}
	c.logs.add(ctx, v.ID, entry{Kind: "bot", Number: number, At: now, Text: c.cat.T(v.Loc, "web.chat.followup", map[string]any{"Number": number})})
	return true
}

// ratingButtons are 满意 / 基本满意 / 不满意 for ticket number.
func (c *Chat) ratingButtons(loc, number string) [][]dialogs.Button {
	var row []dialogs.Button
	for _, r := range []backend.Satisfaction{backend.SatisfactionSatisfied, backend.SatisfactionBasically, backend.SatisfactionUnsatisfied} {
		row = append(row, dialogs.Button{ID: "rate:" + number + ":" + string(r), Label: c.cat.T(loc, "rating."+string(r), nil)})
	}
	return [][]dialogs.Button{row}
}

// rateButton reads a button of ratingButtons.
func rateButton(id string) (number string, rating backend.Satisfaction, ok bool) {
	rest, ok := strings.CutPrefix(id, "rate:")
	if !ok {
		return "", "", false
	}
	number, r, ok := strings.Cut(rest, ":")
	rating = backend.Satisfaction(r)
	return number, rating, ok && backend.ValidNumber(number) && rating.Valid()
}

// rateTicket records the reporter's rating of number through the same
// service call as the ticket page's buttons, and says how it went.
func (c *Chat) rateTicket(ctx context.Context, v *visitor, number string, rating backend.Satisfaction, now time.Time) {
	if _, err := c.svc.RecordSatisfaction(ctx, v.Person, number, rating, ""); err != nil {
		c.logs.add(ctx, v.ID, entry{Kind: "problem", Text: c.problemText(v.Loc, err), At: now})
		return
	}
	c.logs.add(ctx, v.ID, entry{Kind: "bot", Number: number, At: now, Text: botkit.RatedText(c.cat, v.Loc, number, rating)})
}

// confirmButtons are 已解决 / 仍未解决 for ticket number, pending the
// reporter's confirmation.
func (c *Chat) confirmButtons(loc, number string) [][]dialogs.Button {
	return [][]dialogs.Button{{
		{ID: "confirm:" + number + ":y", Label: botkit.ConfirmLabel(c.cat, loc, true)},
		{ID: "confirm:" + number + ":n", Label: botkit.ConfirmLabel(c.cat, loc, false)},
	}}
}

// confirmButton reads a button of confirmButtons.
func confirmButton(id string) (number string, solved, ok bool) {
	rest, ok := strings.CutPrefix(id, "confirm:")
	if !ok {
		return "", false, false
	}
	number, answer, ok := strings.Cut(rest, ":")
	return number, answer == "y", ok && backend.ValidNumber(number) && (answer == "y" || answer == "n")
}

// confirmTicket records the reporter's answer to the solution of number
// through the same service call as the ticket page's buttons, and says
// what it did.
func (c *Chat) confirmTicket(ctx context.Context, v *visitor, number string, solved bool, now time.Time) {
	if _, err := c.svc.ConfirmSolution(ctx, v.Person, number, solved, ""); err != nil {
		c.logs.add(ctx, v.ID, entry{Kind: "problem", Text: c.problemText(v.Loc, err), At: now})
		return
	}
	c.logs.add(ctx, v.ID, entry{Kind: "bot", Number: number, At: now, Text: botkit.ConfirmedText(c.cat, v.Loc, number, solved)})
}

// problemText is the chat's answer to a failed action; another
// reporter's ticket reads as one that does not exist.
func (c *Chat) problemText(loc string, err error) string {
	if backend.ErrorCode(err) == backend.EFORBIDDEN {
		return c.cat.T(loc, "web.chat.not_found", nil)
	}
	return web.ErrorText(c.cat, loc, err)
}

// done answers a chat POST: the log for htmx, a redirect for a plain form.
func (c *Chat) done(w http.ResponseWriter, r *http.Request, v *visitor, status int) {
	if r.Header.Get("HX-Request") == "" {
		// The outcome, good or bad, is in the log the page shows.
		http.Redirect(w, r, "/chat/#log-end", http.StatusSeeOther)
		return
	}
	d, err := c.chatData(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.pages.Render(w, status, "chat", "log", d)
}

// --- a reporter's ticket ---

type ticketData struct {
	*visitor
	V       *visitor
	Title   string
	T       *backend.Ticket
	Events  []eventView
	CanRate bool
	// CanConfirm: the solution is put to them (pending confirmation).
	CanConfirm bool
	Error      string
	Text       string
}

type eventView struct {
	E    *backend.Event
	Line string
}

func (c *Chat) loadTicket(r *http.Request, v *visitor) (*ticketData, error) {
	if v.Person == nil {
		return nil, backend.Errorf(backend.ENOTFOUND, "ticket not found")
	}
	t, events, err := c.svc.Thread(r.Context(), v.Person, r.PathValue("number"))
	if err != nil {
		return nil, err
	}
	if t.ReporterID != v.Person.ID {
		// Staff who also chat see only their own tickets here.
		return nil, backend.Errorf(backend.ENOTFOUND, "ticket not found")
	}
	names := map[int64]string{}
	name := func(id int64) string {
		if id == 0 {
			return c.cat.T(v.Loc, "web.system", nil)
		}
		if id == v.Person.ID {
			return c.cat.T(v.Loc, "web.chat.you", nil)
		}
		if n, ok := names[id]; ok {
			return n
		}
		n := "#" + strconv.FormatInt(id, 10)
		if p, err := c.svc.Store().Person(r.Context(), id); err == nil {
			n = p.Name
		}
		names[id] = n
		return n
	}
	d := &ticketData{visitor: v, V: v, Title: t.Number, T: t,
		CanRate:    t.Status == backend.StatusResolved && t.Satisfaction == backend.SatisfactionNone,
		CanConfirm: t.Status == backend.StatusPendingConfirmation}
	for _, e := range events {
		if e.Kind == backend.EventNotificationSent {
			continue
		}
		d.Events = append(d.Events, eventView{E: e, Line: web.EventLineIn(c.cat, v.Loc, v.Zone, e, name)})
	}
	return d, nil
}

func (c *Chat) ticket(w http.ResponseWriter, r *http.Request, v *visitor) {
	d, err := c.loadTicket(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.pages.Render(w, http.StatusOK, "ticket", "page", d)
}

func (c *Chat) ticketLive(w http.ResponseWriter, r *http.Request, v *visitor) {
	d, err := c.loadTicket(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.pages.Render(w, http.StatusOK, "ticket", "live", d)
}

func (c *Chat) ticketEvents(w http.ResponseWriter, r *http.Request, v *visitor) {
	d, err := c.loadTicket(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	web.ServeEvents(w, r, c.hub, web.TicketTopic(d.T.ID))
}

func (c *Chat) file(w http.ResponseWriter, r *http.Request, v *visitor) {
	d, err := c.loadTicket(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	web.ServeAttachment(w, r, c.cfg.Files, d.T, r.PathValue("sum"))
}

// comment adds the reporter's follow-up and/or file to their ticket.
func (c *Chat) comment(w http.ResponseWriter, r *http.Request, v *visitor) {
	d, err := c.loadTicket(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	ctx := r.Context()
	att, err := c.upload(r, v, nil)
	text := strings.TrimSpace(r.PostFormValue("text"))
	msg := ""
	if err != nil {
		if msg = c.fileProblem(v.Loc, err); msg == "" {
			msg = web.ErrorText(c.cat, v.Loc, err)
		}
	} else {
		if att != nil {
			if _, err = c.svc.AddAttachment(ctx, v.Person, d.T.Number, *att); err != nil {
				msg = web.ErrorText(c.cat, v.Loc, err)
			}
		}
		if err == nil && text != "" {
			if _, err = c.svc.Comment(ctx, v.Person, d.T.Number, text, true); err != nil {
				msg = web.ErrorText(c.cat, v.Loc, err)
			}
		}
		if err == nil && att == nil && text == "" {
			err = backend.Invalid("empty", "text", "required", backend.Problem{Key: "required"})
			msg = c.cat.T(v.Loc, "web.chat.comment.empty", nil)
		}
	}
	c.ticketDone(w, r, v, d.T.Number, err, msg, text)
}

func (c *Chat) rate(w http.ResponseWriter, r *http.Request, v *visitor) {
	d, err := c.loadTicket(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	_, err = c.svc.RecordSatisfaction(r.Context(), v.Person, d.T.Number, backend.Satisfaction(r.PostFormValue("rating")), r.PostFormValue("text"))
	msg := ""
	if err != nil {
		msg = web.ErrorText(c.cat, v.Loc, err)
	}
	c.ticketDone(w, r, v, d.T.Number, err, msg, "")
}

// confirm answers the solution put to the reporter from the ticket page
// (solved=y or n, and what they add).
func (c *Chat) confirm(w http.ResponseWriter, r *http.Request, v *visitor) {
	d, err := c.loadTicket(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	switch r.PostFormValue("solved") {
	case "y", "n":
		_, err = c.svc.ConfirmSolution(r.Context(), v.Person, d.T.Number, r.PostFormValue("solved") == "y", r.PostFormValue("text"))
	default:
		err = backend.Invalid("no answer", "solved", "must be y or n", backend.Problem{Key: "required"})
	}
	msg := ""
	if err != nil {
		msg = web.ErrorText(c.cat, v.Loc, err)
	}
	c.ticketDone(w, r, v, d.T.Number, err, msg, "")
}

// ticketDone answers a POST on a ticket page: the live part for htmx (with
// the error, if any), else a redirect or the page with the error.
func (c *Chat) ticketDone(w http.ResponseWriter, r *http.Request, v *visitor, number string, err error, msg, text string) {
	if err == nil && r.Header.Get("HX-Request") == "" {
		http.Redirect(w, r, "/chat/t/"+url.PathEscape(number), http.StatusSeeOther)
		return
	}
	d, lerr := c.loadTicket(r, v)
	if lerr != nil {
		c.fail(w, r, v, lerr)
		return
	}
	status := http.StatusOK
	if err != nil {
		status = web.StatusOf(err)
		if _, ok := errors.AsType[*botkit.FileError](err); ok {
			status = http.StatusUnprocessableEntity
		}
		if re, ok := errors.AsType[*refusal](err); ok {
			status = re.Status
		}
		if status == http.StatusInternalServerError {
			c.log.Error("webchat: ticket action failed", "ticket", number, "err", err)
		}
		d.Error, d.Text = msg, text
	}
	if r.Header.Get("HX-Request") != "" {
		c.pages.Render(w, status, "ticket", "live", d)
		return
	}
	c.pages.Render(w, status, "ticket", "page", d)
}

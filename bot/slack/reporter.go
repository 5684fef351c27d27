package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/size"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// account is a Slack user's chat account. Slack delivers a message posted
// to a user id into the bot's DM with them, so the user id is the chat.
func account(user string) backend.ChatAccount {
	return backend.ChatAccount{Platform: Platform, UserID: user, ChatID: user}
}

// reporter returns the person behind a Slack user, created as a reporter
// (with their Slack name and locale) on first contact.
func (c *Channel) reporter(ctx context.Context, user string) (*backend.Person, error) {
	p, err := c.store.PersonByAccount(ctx, Platform, user)
	if err == nil || backend.ErrorCode(err) != backend.ENOTFOUND {
		return p, err
	}
	name, loc := c.profile(ctx, user)
	return c.svc.ReporterFor(ctx, account(user), name, loc)
}

// profile is a Slack user's display name and locale (users.info); empty
// when Slack does not say.
func (c *Channel) profile(ctx context.Context, user string) (name, loc string) {
	u, err := c.api.GetUserInfoContext(ctx, user, slack.GetUserInfoOptionIncludeLocale(true))
	if err != nil {
		c.log.Debug("slack: users.info", "user", user, "err", err)
		return "", ""
	}
	name = u.RealName
	if name == "" {
		name = u.Name
	}
	if u.Locale != "" {
		loc = catalog.Normalize(u.Locale)
	}
	return name, loc
}

// T is a catalog text.
func (c *Channel) T(loc, key string, data map[string]any) string { return c.cat.T(loc, key, data) }

// onDM serves a direct message to the bot: a reply in a ticket's thread
// goes into the ticket; an invite code links staff; a ticket number shows
// the ticket; anything else (and shared files) goes to the dialog.
func (c *Channel) onDM(ctx context.Context, m inMessage) {
	if m.thread != "" {
		if cm, err := c.store.ChatMessage(ctx, Platform, m.channel, m.thread); err == nil {
			c.onDMThreadReply(ctx, m, cm)
			return
		}
	}
	if backend.IsInviteCode(m.text) {
		c.redeem(ctx, m)
		return
	}
	p, err := c.reporter(ctx, m.user)
	if err != nil {
		c.post(ctx, m.channel, c.errorText(catalog.ZhCN, err), nil, "")
		return
	}
	loc := botkit.Locale(p)
	key := c.sessionKey(m.user)
	active, err := c.engine.Active(ctx, key)
	if err != nil {
		c.post(ctx, m.channel, c.errorText(loc, err), nil, "")
		return
	}
	if len(m.files) > 0 {
		if !active {
			c.post(ctx, m.channel, c.T(loc, "slack.file.no_dialog", nil), nil, "")
			return
		}
		var refs []dialogs.FileRef
		for _, sf := range m.files {
			ref, err := c.fetch(ctx, sf)
			if err != nil {
				c.post(ctx, m.channel, c.fileProblem(loc, err), nil, "")
				continue
			}
			refs = append(refs, ref)
		}
		if len(refs) == 0 {
			return
		}
		c.dialog(ctx, m.channel, key, dialogs.Input{Files: refs, Text: m.text})
		return
	}
	if !active {
		// A ticket number, alone or in 查一下 FB-… 的进度, asks its status.
		if n, ok := c.words.AskedNumber(m.text); ok {
			text, blocks := c.status(ctx, p, n)
			c.post(ctx, m.channel, text, blocks, "")
			return
		}
		// 满意 typed instead of pressed rates the latest resolved ticket;
		// 已解决 answers the solution put to them.
		if number, answer, err := c.words.AnswerTyped(ctx, c.svc, c.cat, p, m.text); number != "" {
			if err != nil {
				answer = c.errorText(loc, err)
			}
			c.post(ctx, m.channel, answer, nil, "")
			return
		}
		c.dialog(ctx, m.channel, key, dialogs.Input{Text: m.text, Locale: loc})
		return
	}
	c.dialog(ctx, m.channel, key, dialogs.Input{Text: m.text})
}

// onDMThreadReply takes a message in the thread of a bot message in a DM.
// The ticket's reporter replying under their notices adds to the ticket.
// Staff replying under an assignee's notice follow the card thread's
// rules: a reply to the reporter, or with "//" an internal note. Under an
// escalation ping or a reminder (a digest, the P4 batch, an SLA notice)
// nothing is recorded or sent: the writer is told where to act instead.
func (c *Channel) onDMThreadReply(ctx context.Context, m inMessage, cm *backend.ChatMessage) {
	p, err := c.store.PersonByAccount(ctx, Platform, m.user)
	if err != nil && backend.ErrorCode(err) != backend.ENOTFOUND {
		c.post(ctx, m.channel, c.errorText(c.cfg.TriageLocale, err), nil, m.thread)
		return
	} else if err != nil {
		p = nil // nobody we know: refused below, unless it is a reminder
	}
	t, terr := c.store.TicketByID(ctx, cm.TicketID)
	if terr != nil {
		c.post(ctx, m.channel, c.errorText(c.cfg.TriageLocale, terr), nil, m.thread)
		return
	}
	switch {
	case cm.Kind == kindIncident && (p == nil || p.ID != t.ReporterID):
		loc := c.cfg.TriageLocale
		if p != nil {
			loc = botkit.Locale(p)
		}
		c.post(ctx, m.channel, c.T(loc, "slack.reply.incident", nil), nil, m.thread)
	case cm.Kind != kindDM && cm.Kind != kindNotice:
		loc := c.cfg.TriageLocale
		if p != nil {
			loc = botkit.Locale(p)
		}
		c.post(ctx, m.channel, c.T(loc, "slack.reply.reminder", map[string]any{"Number": t.Number}), nil, m.thread)
	case p != nil && p.ID == t.ReporterID:
		c.onTicketReply(ctx, m, p, t, false)
	case p == nil || !p.Handles():
		c.notAllowed(ctx, m.channel, m.user) // anyone but the reporter is staff here, or is refused
	default:
		c.onTicketReply(ctx, m, p, t, true)
	}
}

// dialog passes one input to the dialog engine and posts its replies.
func (c *Channel) dialog(ctx context.Context, channel string, key dialogs.SessionKey, in dialogs.Input) {
	o, err := c.engine.Handle(ctx, key, in)
	if err != nil {
		c.post(ctx, channel, c.errorText(in.Locale, err), nil, "")
		return
	}
	c.postOutput(ctx, channel, o)
}

// postOutput posts the dialog's replies. The one that says a ticket was
// filed becomes the ticket's thread in the DM: its notices follow there,
// and a reply under it goes into the ticket.
func (c *Channel) postOutput(ctx context.Context, channel string, o dialogs.Output) error {
	var last postedAt
	for _, r := range o.Replies {
		at, err := c.post(ctx, channel, r.Text, dialogBlocks(r), "")
		if err != nil {
			return err
		}
		last = at
	}
	if o.TicketNumber == "" || last.ts == "" {
		return nil
	}
	if t, err := c.store.Ticket(ctx, o.TicketNumber); err == nil {
		c.remember(ctx, &backend.ChatMessage{Platform: Platform, ChatID: last.channel, MessageID: last.ts, TicketID: t.ID, Kind: kindDM})
	}
	return nil
}

// SendNotice implements botkit.NoticeSender: the dialog's notice (its form
// expired) goes to the user's DM with the bot.
func (c *Channel) SendNotice(ctx context.Context, n dialogs.Notice) error {
	return c.postOutput(ctx, n.Key.UserID, n.Out)
}

// dialogBlocks renders a dialog reply: its text and its buttons, one
// actions block per row. A button carries the dialog's button id.
func dialogBlocks(r dialogs.Reply) []slack.Block {
	if len(r.Buttons) == 0 {
		return nil
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(r.Text), nil, nil)}
	for i, row := range r.Buttons {
		var els []slack.BlockElement
		for j, b := range row {
			if j == 25 {
				break
			}
			els = append(els, slack.NewButtonBlockElement("dlg:"+strconv.Itoa(i)+":"+strconv.Itoa(j), b.ID, plainN(b.Label, 75)))
		}
		if len(els) > 0 {
			blocks = append(blocks, slack.NewActionBlock("dlg"+strconv.Itoa(i), els...))
		}
	}
	return blocks
}

// onDialogButton passes a pressed dialog button to the engine.
func (c *Channel) onDialogButton(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.User.ID
	}
	o, err := c.engine.Handle(ctx, c.sessionKey(cb.User.ID), dialogs.Input{Button: a.Value, Locale: cb.User.Locale})
	if err != nil {
		c.post(ctx, channel, c.errorText(catalog.Normalize(cb.User.Locale), err), nil, "")
		return
	}
	c.postOutput(ctx, channel, o)
}

// onTicketReply adds a message written in a ticket's thread to t, as p:
// the reporter in their DM, or staff (staff is set; the caller checked)
// in the triage channel or a DM thread they follow. Shared files become
// attachments.
func (c *Channel) onTicketReply(ctx context.Context, m inMessage, p *backend.Person, t *backend.Ticket, staff bool) {
	loc := c.cfg.TriageLocale
	if !staff {
		loc = botkit.Locale(p)
	}
	note, internal := strings.CutPrefix(m.text, botkit.InternalPrefix)
	internal = internal && staff
	if internal && len(m.files) > 0 {
		// A file cannot be internal (the reporter gets every file of
		// their ticket): refused, not attached.
		c.post(ctx, m.channel, c.T(loc, "slack.comment.internal_file", nil), nil, m.thread)
		return
	}
	for _, sf := range m.files {
		ref, err := c.fetch(ctx, sf)
		if err != nil {
			c.post(ctx, m.channel, c.fileProblem(loc, err), nil, m.thread)
			continue
		}
		a, err := c.files.StatNamed(ref.ID, ref.Name)
		if err == nil {
			_, err = c.svc.AddAttachment(ctx, p, t.Number, a)
		}
		if err != nil {
			c.post(ctx, m.channel, c.errorText(loc, err), nil, m.thread)
		}
	}
	text, public := m.text, true
	if internal {
		// Staff talking among themselves under the card: kept on the
		// ticket, not sent to the reporter.
		text, public = strings.TrimSpace(note), false
	}
	if text == "" {
		return
	}
	if _, err := c.svc.Comment(ctx, p, t.Number, text, public); err != nil {
		c.post(ctx, m.channel, c.errorText(loc, err), nil, m.thread)
		return
	}
	c.react(ctx, m.channel, m.ts)
}

// redeem links the user as staff with an invite code sent in a DM.
func (c *Channel) redeem(ctx context.Context, m inMessage) {
	name, loc := c.profile(ctx, m.user)
	if loc == "" {
		loc = catalog.ZhCN
	}
	p, err := c.svc.RedeemInvite(ctx, m.text, account(m.user), name, loc)
	switch backend.ErrorCode(err) {
	case "":
	case backend.ENOTFOUND, backend.ECONFLICT:
		c.post(ctx, m.channel, c.T(loc, "slack.invite.bad", nil), nil, "")
		return
	default:
		c.post(ctx, m.channel, c.errorText(loc, err), nil, "")
		return
	}
	loc = botkit.Locale(p)
	var roles []string
	for _, r := range p.Roles {
		if r != backend.RoleReporter {
			roles = append(roles, string(r))
		}
	}
	c.log.Info("slack: account linked by invite", "person", p.ID, "roles", roles)
	c.post(ctx, m.channel, c.T(loc, "slack.invite.ok", map[string]any{"Name": p.Name, "Roles": strings.Join(roles, ", ")}), nil, "")
}

// status is a ticket and its latest progress as p may see it. For its
// reporter, blocks carry the answer the ticket waits for from them, as the
// notices do: the rating of a resolved ticket not rated yet, 已解决 /
// 仍未解决 for a solution put to them; nil otherwise.
func (c *Channel) status(ctx context.Context, p *backend.Person, number string) (text string, blocks []slack.Block) {
	loc := botkit.Locale(p)
	t, events, err := c.svc.Thread(ctx, p, number)
	if err != nil {
		return c.errorText(loc, err), nil
	}
	text = c.T(loc, "slack.status.show", map[string]any{
		"Number": t.Number, "Status": c.render.Status(loc, t.Status), "Severity": c.render.Severity(loc, t.Severity),
		"Summary": clip(t.Summary, 300), "Latest": c.latest(ctx, p, t, events),
	})
	if progress := c.render.TaskProgress(ctx, c.svc, p, loc, t, c.now()); progress != "" {
		text += "\n" + progress // a complaint's tasks: 任务 2/3 已完成
	}
	switch {
	case t.ReporterID != p.ID:
	case t.Status == backend.StatusResolved && t.Satisfaction == backend.SatisfactionNone:
		blocks = c.ratingBlocks(loc, text, t.Number)
	case t.Status == backend.StatusPendingConfirmation:
		blocks = c.confirmBlocks(loc, text, t.Number)
	}
	return text, blocks
}

// latest is the newest progress on a ticket that p may read, as a notice
// text. events come from Service.Thread; a non-public event is skipped for
// the reporter all the same.
func (c *Channel) latest(ctx context.Context, p *backend.Person, t *backend.Ticket, events []*backend.Event) string {
	loc := botkit.Locale(p)
	audience := backend.AudienceReporter
	if t.ReporterID != p.ID {
		audience = backend.AudienceAssignee
	}
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if !e.Public && audience == backend.AudienceReporter {
			continue
		}
		if e.Kind != backend.EventNotificationSent && e.Kind != backend.EventCreated {
			return c.render.Notice(ctx, notify.Message{Outbox: &backend.OutboxMessage{Audience: audience}, Ticket: t, Event: e, Recipient: p})
		}
	}
	return c.T(loc, "slack.status.no_progress", nil)
}

func (c *Channel) commandStatus(ctx context.Context, user, channel, number string) {
	p, err := c.reporter(ctx, user)
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(catalog.ZhCN, err))
		return
	}
	if !backend.ValidNumber(number) {
		c.ephemeral(ctx, channel, user, c.T(botkit.Locale(p), "slack.status.usage", map[string]any{"Command": c.cfg.Command}))
		return
	}
	text, blocks := c.status(ctx, p, number)
	if blocks == nil {
		c.ephemeral(ctx, channel, user, text)
		return
	}
	c.ephemeralBlocks(ctx, channel, user, text, blocks) // task.go
}

// openStatuses are the statuses "my" and the App Home list.
var openStatuses = func() []backend.Status {
	var s []backend.Status
	for _, st := range backend.Statuses {
		if st.Open() {
			s = append(s, st)
		}
	}
	return s
}()

// myTickets lists p's open tickets (an assistant's: assigned to them).
func (c *Channel) myTickets(ctx context.Context, p *backend.Person, limit int) ([]*backend.Ticket, error) {
	f := backend.TicketFilter{Status: openStatuses, Limit: limit}
	if p.Handles() {
		f.AssigneeID = p.ID
	}
	page, err := c.svc.Tickets(ctx, p, f)
	if err != nil {
		return nil, err
	}
	return page.Tickets, nil
}

func (c *Channel) commandMy(ctx context.Context, user, channel string) {
	p, err := c.reporter(ctx, user)
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(catalog.ZhCN, err))
		return
	}
	loc := botkit.Locale(p)
	ts, err := c.myTickets(ctx, p, 10)
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(loc, err))
		return
	}
	if len(ts) == 0 {
		c.ephemeral(ctx, channel, user, c.T(loc, "slack.my.none", map[string]any{"Command": c.cfg.Command}))
		return
	}
	lines := []string{c.T(loc, "slack.my.title", map[string]any{"Count": len(ts)})}
	for _, t := range ts {
		lines = append(lines, c.T(loc, "slack.my.line", map[string]any{"Number": t.Number, "Status": c.render.Status(loc, t.Status), "Summary": clip(t.Summary, 60)}))
	}
	c.ephemeral(ctx, channel, user, strings.Join(lines, "\n"))
}

func (c *Channel) commandHelp(ctx context.Context, user, channel string) {
	p, err := c.reporter(ctx, user)
	loc := catalog.ZhCN
	if err == nil {
		loc = botkit.Locale(p)
	}
	text := c.T(loc, "slack.help.reporter", map[string]any{"Command": c.cfg.Command})
	if err == nil && p.Handles() {
		text += "\n\n" + c.T(loc, "slack.help.staff", nil)
	}
	c.ephemeral(ctx, channel, user, text)
}

// commandLang changes the user's language ("/ticket lang en"), and the
// running dialog's.
func (c *Channel) commandLang(ctx context.Context, user, channel, arg string) {
	p, err := c.reporter(ctx, user)
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(catalog.ZhCN, err))
		return
	}
	loc := ""
	switch strings.ToLower(strings.TrimSpace(arg)) {
	case "en", "english", "英文", "英语":
		loc = catalog.En
	case "zh", "zh-cn", "cn", "中文", "chinese", "汉语":
		loc = catalog.ZhCN
	}
	if loc == "" {
		c.ephemeral(ctx, channel, user, c.T(botkit.Locale(p), "slack.lang.usage", map[string]any{"Command": c.cfg.Command}))
		return
	}
	p.Locale = loc
	if err := c.store.UpdatePerson(ctx, p); err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(loc, err))
		return
	}
	if active, err := c.engine.Active(ctx, c.sessionKey(user)); err == nil && active {
		_, _ = c.engine.Handle(ctx, c.sessionKey(user), dialogs.Input{Button: "cmd:lang:" + loc})
	}
	c.ephemeral(ctx, channel, user, c.T(loc, "slack.lang.set", nil))
}

// publishHome shows the user's open complaint tasks, each with its
// Complete button, and open tickets, with status and the latest update,
// on the bot's App Home tab.
func (c *Channel) publishHome(ctx context.Context, user string) {
	p, err := c.reporter(ctx, user)
	if err != nil {
		c.log.Warn("slack: app home", "user", user, "err", err)
		return
	}
	loc := botkit.Locale(p)
	blocks := []slack.Block{
		slack.NewHeaderBlock(plainN(c.T(loc, "slack.home.title", nil), 150)),
		slack.NewActionBlock("home", slack.NewButtonBlockElement("home:new", "new", plainN(c.T(loc, "slack.home.new", nil), 75))),
	}
	blocks = append(blocks, c.homeTasks(ctx, p)...)
	ts, err := c.myTickets(ctx, p, 20)
	if err != nil {
		c.log.Warn("slack: app home", "user", user, "err", err)
		return
	}
	if len(ts) == 0 {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(c.T(loc, "slack.home.none", nil)), nil, nil))
	}
	for _, t := range ts {
		// latest shows a reporter only public events: never a staff-only note.
		events, err := c.store.Events(ctx, t.ID)
		if err != nil {
			c.log.Warn("slack: app home", "user", user, "ticket", t.Number, "err", err)
			continue
		}
		blocks = append(blocks, slack.NewDividerBlock(), slack.NewSectionBlock(mrkdwn(c.T(loc, "slack.home.ticket", map[string]any{
			"Number": t.Number, "Status": c.render.Status(loc, t.Status), "Severity": c.render.Severity(loc, t.Severity),
			"Summary": clip(t.Summary, 200), "Latest": clip(c.latest(ctx, p, t, events), 500),
		})), nil, nil))
	}
	if len(blocks) > 100 {
		blocks = blocks[:100]
	}
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
	if _, err := c.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: view}); err != nil {
		c.log.Warn("slack: views.publish failed", "user", user, "err", err)
	}
}

// fetch downloads a file shared with the bot into Files (the bot token
// authorises the private URL). A refused file is a *botkit.FileError.
func (c *Channel) fetch(ctx context.Context, sf slack.File) (dialogs.FileRef, error) {
	max := c.files.MaxSize()
	if int64(sf.Size) > max {
		return dialogs.FileRef{}, &botkit.FileError{Code: "too_big", Size: int64(sf.Size), Max: max}
	}
	url := sf.URLPrivateDownload
	if url == "" {
		url = sf.URLPrivate
	}
	if url == "" {
		info, _, _, err := c.api.GetFileInfoContext(ctx, sf.ID, 0, 0)
		if err != nil {
			return dialogs.FileRef{}, fmt.Errorf("files.info: %w", err)
		}
		sf, url = *info, info.URLPrivateDownload
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return dialogs.FileRef{}, errors.New("download: bad URL")
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.BotToken)
	resp, err := c.http.Do(req)
	if err != nil {
		return dialogs.FileRef{}, fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return dialogs.FileRef{}, fmt.Errorf("download: HTTP %d", resp.StatusCode)
	}
	name := sf.Name
	if name == "" {
		name = sf.Title
	}
	a, err := c.files.Put(resp.Body, name)
	if err != nil {
		return dialogs.FileRef{}, err
	}
	return dialogs.FileRef{ID: a.SHA256, Name: a.Name, ContentType: a.ContentType, Size: a.Size}, nil
}

func (c *Channel) fileProblem(loc string, err error) string {
	var fe *botkit.FileError
	if errors.As(err, &fe) {
		if fe.Code == "too_big" {
			return c.T(loc, "slack.file.too_big", map[string]any{"Max": size.Text(fe.Max)})
		}
		return c.T(loc, "slack.file.type", map[string]any{"Type": fe.ContentType})
	}
	c.log.Warn("slack: file download failed", "err", err)
	return c.T(loc, "slack.file.failed", nil)
}

// errorText maps error codes to what the user reads, in one place;
// internals are logged, not shown.
func (c *Channel) errorText(loc string, err error) string {
	return botkit.ErrorText(c.cat, c.log, "slack", loc, err)
}

// commandConsole answers "/ticket console": a linked staff member gets a
// one-time sign-in link to the web console, shown only to them
// (ephemeral), wherever they typed it.
func (c *Channel) commandConsole(ctx context.Context, user, channel string) {
	p, err := c.reporter(ctx, user)
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(catalog.ZhCN, err))
		return
	}
	text, err := botkit.ConsoleReply(ctx, c.cat, c.console, p)
	if err != nil {
		text = c.errorText(botkit.Locale(p), err)
	}
	c.ephemeral(ctx, channel, user, text)
}

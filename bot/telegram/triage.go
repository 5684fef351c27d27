package telegram

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Kinds of remembered messages (backend.ChatMessage.Kind).
const (
	kindCard   = "card"
	kindNotice = "notice"
	// kindFiled is the dialog's answer that a ticket was filed; the
	// outbox's receipt is not sent after it.
	kindFiled = "filed"
	// kindPrivateCard is the full card in the assignee's private chat,
	// edited as the ticket moves like the triage card.
	kindPrivateCard = "card:private"
	kindPrompt      = "prompt:" // + an action of botkit.Act
	// kindReminder is a message to one person that is not about talking
	// to the reporter: a seed 004 notice, a digest, the P4 batch.
	kindReminder = "reminder"
	// kindIncident is an incident's update to someone who joined it from
	// the chat: it rides on another reporter's ticket, which a reply must
	// neither reach nor name.
	kindIncident = "incident"
)

// target is the ticket a reply is about, and what the replied-to message
// was. A reply to a message naming several tickets (a /my list) that does
// not say which is about none of them: choices lists them.
type target struct {
	number     string
	kind       string
	reporterID int64 // of the ticket (0 when it was not found)
	choices    []string
	// byText: deskbot has no record of the replied-to message (a database
	// error right after the send), the number was read in its text. It
	// may be a ping or a reminder, which is not about talking to the
	// reporter.
	byText bool
}

// replyTarget finds the ticket a message replies to: a remembered bot
// message, or a bot message that names one ticket number. When it names
// several, the reply must name one of them.
func (c *Channel) replyTarget(ctx context.Context, m *models.Message) (target, bool) {
	r := m.ReplyToMessage
	if r == nil || r.From == nil || r.From.ID != c.botID {
		return target{}, false
	}
	cm, err := c.store.ChatMessage(ctx, Platform, itoa(m.Chat.ID), strconv.Itoa(r.ID))
	if err == nil {
		if t, err := c.store.TicketByID(ctx, cm.TicketID); err == nil {
			return target{number: t.Number, kind: cm.Kind, reporterID: t.ReporterID}, true
		}
	}
	byText := func(number string) target {
		tg := target{number: number, byText: true}
		if t, err := c.store.Ticket(ctx, number); err == nil {
			tg.reporterID = t.ReporterID
		}
		return tg
	}
	named := slices.Compact(slices.Sorted(slices.Values(numberRE.FindAllString(r.Text+"\n"+r.Caption, -1))))
	switch len(named) {
	case 0:
		return target{}, false
	case 1:
		return byText(named[0]), true
	}
	var picked []string
	for _, n := range slices.Compact(slices.Sorted(slices.Values(numberRE.FindAllString(m.Text+"\n"+m.Caption, -1)))) {
		if slices.Contains(named, n) {
			picked = append(picked, n)
		}
	}
	if len(picked) == 1 {
		return byText(picked[0]), true
	}
	return target{choices: named}, true
}

// onGroupMessage serves the triage group and the teams' own groups:
// replies to the bot's messages about a ticket, /help, and /console
// (refused: links go in private).
func (c *Channel) onGroupMessage(ctx context.Context, m *models.Message) {
	// Only commands and replies to the bot matter in a group: the rest
	// (all the group's talk, with privacy mode off) costs no lookup.
	_, _, isCmd := parseCommand(m.Text)
	if r := m.ReplyToMessage; !isCmd && (r == nil || r.From == nil || r.From.ID != c.botID) {
		return
	}
	// The staff groups are served; in any other group the bot is in,
	// people may report a message of theirs (source.go).
	staff, err := c.servesGroup(ctx, m.Chat.ID)
	switch {
	case err != nil:
		c.log.Warn("telegram: is this group a team's?", "chat", m.Chat.ID, "err", err)
		return // not answered as the wrong kind of group
	case !staff:
		c.onSourceGroup(ctx, m)
		return
	}
	if cmd, _, ok := parseCommand(m.Text); ok {
		switch cmd {
		case "help":
			c.say(ctx, m.Chat.ID, c.T(c.cfg.TriageLocale, "telegram.help.staff", nil))
			return
		case "console": // never a sign-in link where the whole group sees it
			c.say(ctx, m.Chat.ID, c.T(c.cfg.TriageLocale, "telegram.console.private_only", nil))
			return
		}
	}
	if tg, ok := c.replyTarget(ctx, m); ok {
		c.onReply(ctx, m, tg)
	}
}

// actor is the person behind a message: in a private chat a reporter is
// created on first contact; in a group only a linked account counts.
func (c *Channel) actor(ctx context.Context, u *models.User, chat *models.Chat) (*backend.Person, error) {
	if chat.Type == models.ChatTypePrivate {
		return c.reporter(ctx, u, chat.ID)
	}
	return c.store.PersonByAccount(ctx, Platform, itoa(u.ID))
}

func (c *Channel) localeIn(chat *models.Chat, p *backend.Person) string {
	if chat.Type != models.ChatTypePrivate {
		return c.cfg.TriageLocale
	}
	return botkit.Locale(p)
}

// onReply handles a reply to a bot message about a ticket: the answer to a
// prompt (return reason, question, solution), or a comment — from the
// reporter to the assistant, or from staff to the reporter.
func (c *Channel) onReply(ctx context.Context, m *models.Message, tg target) {
	chat := m.Chat.ID
	p, err := c.actor(ctx, m.From, &m.Chat)
	if err != nil {
		if backend.ErrorCode(err) == backend.ENOTFOUND {
			c.reply(ctx, out{chat: chat, text: c.T(c.cfg.TriageLocale, "telegram.triage.not_allowed", nil), replyTo: m.ID})
			return
		}
		c.fail(ctx, chat, c.cfg.TriageLocale, err)
		return
	}
	loc := c.localeIn(&m.Chat, p)
	if m.Chat.Type != models.ChatTypePrivate && !p.Handles() {
		// In the triage group only staff act; nothing is downloaded or
		// recorded for anyone else.
		c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.triage.not_allowed", nil), replyTo: m.ID})
		return
	}
	if tg.number == "" {
		c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.reply.which", map[string]any{"Numbers": tg.choices}), replyTo: m.ID})
		return
	}
	text := strings.TrimSpace(m.Text)
	if text == "" {
		text = strings.TrimSpace(m.Caption)
	}
	if tg.kind == kindIncident && p.ID != tg.reporterID {
		c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.reply.incident", nil), replyTo: m.ID})
		return
	}
	if (tg.kind == kindReminder || botkit.IsPingMessage(tg.kind)) && p.ID != tg.reporterID {
		// A manager answering a ping is not talking to the reporter.
		c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.reply.reminder", map[string]any{"Number": tg.number}), replyTo: m.ID})
		return
	}
	if tg.byText && p.ID != tg.reporterID && m.Chat.Type == models.ChatTypePrivate {
		// A bot message deskbot has no record of, in a private chat: it
		// may be a ping or a reminder, so only the ticket's reporter talks
		// through it. (In the triage group the bot's messages about one
		// ticket are its card and the triage notices: staff answer there.)
		c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.reply.unrecorded", map[string]any{"Number": tg.number}), replyTo: m.ID})
		return
	}
	if ref, ok := strings.CutPrefix(tg.kind, kindObjectPrompt); ok {
		// An objection to a complaint's task (seed 001), by its owner.
		c.objectTask(ctx, m, p, loc, ref, text) // task.go
		return
	}
	if ref, ok := strings.CutPrefix(tg.kind, kindTaskPrompt); ok {
		// The result of a complaint's task; the service says who may.
		c.completeTask(ctx, m, p, loc, ref, text) // task.go
		return
	}
	if action, ok := strings.CutPrefix(tg.kind, kindPrompt); ok {
		if !p.Handles() {
			c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.triage.not_allowed", nil), replyTo: m.ID})
			return
		}
		if text == "" {
			c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.comment.empty", nil), replyTo: m.ID})
			return
		}
		t, err := botkit.Act(ctx, c.svc, p, tg.number, action, text)
		if err != nil {
			c.reply(ctx, out{chat: chat, text: c.errorText(loc, err), replyTo: m.ID})
			return
		}
		done, _, _ := strings.Cut(action, "=") // transfer=<team>
		c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.done."+done, map[string]any{"Number": t.Number, "ID": backend.IncidentRef(t.IncidentID)}), replyTo: m.ID})
		c.refreshCard(ctx, t)
		return
	}
	// Staff talking among themselves under the card ("// …"): kept on the
	// ticket as an internal note, not sent to the reporter. A file cannot
	// be internal (the reporter gets every file of their ticket), so one
	// sent so is refused, not attached.
	note, internal := strings.CutPrefix(text, botkit.InternalPrefix)
	internal = internal && p.Handles() && p.ID != tg.reporterID
	hasFile := len(m.Photo) > 0 || m.Document != nil
	if internal && hasFile {
		c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.comment.internal_file", nil), replyTo: m.ID})
		return
	}
	if hasFile {
		ref, ok := c.receiveFile(ctx, m, loc)
		if !ok {
			return
		}
		a, err := c.files.StatNamed(ref.ID, ref.Name)
		if err == nil {
			_, err = c.svc.AddAttachment(ctx, p, tg.number, a)
		}
		if err != nil {
			c.reply(ctx, out{chat: chat, text: c.errorText(loc, err), replyTo: m.ID})
			return
		}
		if text == "" {
			c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.file.attached", map[string]any{"Number": tg.number}), replyTo: m.ID})
			return
		}
	}
	if text == "" {
		c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.comment.empty", nil), replyTo: m.ID})
		return
	}
	public := !internal
	if internal {
		if text = strings.TrimSpace(note); text == "" {
			c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.comment.empty", nil), replyTo: m.ID})
			return
		}
	}
	t, err := c.svc.Comment(ctx, p, tg.number, text, public)
	if err != nil {
		c.reply(ctx, out{chat: chat, text: c.errorText(loc, err), replyTo: m.ID})
		return
	}
	key := "telegram.comment.sent.reporter"
	switch {
	case !public:
		key = "telegram.comment.sent.internal"
	case p.ID != t.ReporterID:
		key = "telegram.comment.sent.staff"
	}
	c.reply(ctx, out{chat: chat, text: c.T(loc, key, map[string]any{"Number": t.Number}), replyTo: m.ID})
}

// onCallback routes a pressed inline button.
func (c *Channel) onCallback(ctx context.Context, q *models.CallbackQuery) {
	msg := q.Message.Message
	if msg == nil {
		c.answer(ctx, q, "", false)
		return
	}
	prefix, rest, _ := strings.Cut(q.Data, ":")
	switch prefix {
	case "tk":
		c.onTriageButton(ctx, q, msg, rest)
	case "rt":
		c.onRating(ctx, q, msg, rest)
	case "cf":
		c.onConfirm(ctx, q, msg, rest)
	case "sl":
		c.onPingButton(ctx, q, msg, rest)
	case "tc":
		c.onTaskButton(ctx, q, msg, rest) // task.go
	case "to":
		c.onObjectButton(ctx, q, msg, rest) // task.go
	case "fu":
		c.onFollowUpButton(ctx, q, msg, rest) // followup.go
	case "lg":
		c.answer(ctx, q, "", false)
		p, err := c.actor(ctx, &q.From, &msg.Chat)
		if err != nil {
			c.fail(ctx, msg.Chat.ID, catalog.Normalize(q.From.LanguageCode), err)
			return
		}
		c.editMarkup(ctx, msg.Chat.ID, msg.ID, nil)
		c.setLang(ctx, msg.Chat.ID, sessionKey(msg.Chat.ID, q.From.ID), p, catalog.Normalize(rest))
	case "rs":
		c.onReportSubscription(ctx, q, msg, rest)
	case "vw":
		c.answer(ctx, q, "", false)
		p, err := c.actor(ctx, &q.From, &msg.Chat)
		if err != nil {
			c.fail(ctx, msg.Chat.ID, catalog.Normalize(q.From.LanguageCode), err)
			return
		}
		c.showStatus(ctx, msg.Chat.ID, p, rest)
	default:
		c.onDialogButton(ctx, q, msg)
	}
}

// onDialogButton passes a dialog choice to the engine. The question it
// answered is edited to show the choice; the answer to the choice goes
// into the same message where it reads well (see fold).
func (c *Channel) onDialogButton(ctx context.Context, q *models.CallbackQuery, msg *models.Message) {
	if msg.Chat.Type != models.ChatTypePrivate {
		c.answer(ctx, q, "", false)
		return
	}
	key := sessionKey(msg.Chat.ID, q.From.ID)
	o, err := c.engine.Handle(ctx, key, dialogs.Input{Button: q.Data, Locale: catalog.Normalize(q.From.LanguageCode)})
	if err != nil {
		c.answer(ctx, q, "", false)
		c.fail(ctx, msg.Chat.ID, catalog.Normalize(q.From.LanguageCode), err)
		return
	}
	if o.Stale {
		// A button of an earlier question (a double tap, an old message):
		// nothing was recorded, so the pressed message stays as it is.
		c.answer(ctx, q, "", false)
		c.sendOutput(ctx, msg.Chat.ID, o)
		return
	}
	label := labelOf(msg, q.Data)
	if text, ok := fold(msg.Text, label, o.Replies); ok {
		r := o.Replies[0]
		if c.edit(ctx, msg.Chat.ID, msg.ID, text, keyboard(r.Buttons)) == nil {
			c.answer(ctx, q, "", false)
			if len(o.Replies) == 1 {
				c.filed(ctx, msg.Chat.ID, msg.ID, o.TicketNumber)
			}
			c.sendOutput(ctx, msg.Chat.ID, dialogs.Output{Replies: o.Replies[1:], TicketNumber: o.TicketNumber})
			return
		}
		// Not editable (too old, deleted): the answer comes as a new message.
	}
	// The answer first; stopping the spinner and marking the choice on
	// the question can follow.
	c.sendOutput(ctx, msg.Chat.ID, o)
	c.answer(ctx, q, "", false)
	if label != "" {
		c.edit(ctx, msg.Chat.ID, msg.ID, msg.Text+"\n\n→ "+label, nil)
	}
}

// foldLimit is how long, in characters, a question may grow by taking in
// the answers to its choices.
const foldLimit = 1500

// fold is the text of a pressed question that takes in the choice and the
// first reply to it, so that a run of choices reads as one message that
// grows, and costs one edit per choice instead of an edit and a new
// message (Telegram counts both against the chat's limit). It is false
// when there is nothing to fold or the message would grow too long; the
// reply then comes as a new message.
func fold(question, label string, replies []dialogs.Reply) (string, bool) {
	if label == "" || len(replies) == 0 || replies[0].Summary != nil {
		return "", false
	}
	text := question + "\n→ " + label + "\n\n" + replies[0].Text
	return text, utf8.RuneCountInString(text) <= foldLimit
}

// onRating records the reporter's satisfaction from the buttons under a
// resolution notice.
func (c *Channel) onRating(ctx context.Context, q *models.CallbackQuery, msg *models.Message, rest string) {
	rating, number, _ := strings.Cut(rest, ":")
	p, err := c.actor(ctx, &q.From, &msg.Chat)
	if err != nil {
		c.answer(ctx, q, c.errorText(catalog.Normalize(q.From.LanguageCode), err), true)
		return
	}
	loc := botkit.Locale(p)
	if _, err := c.svc.RecordSatisfaction(ctx, p, number, backend.Satisfaction(rating), ""); err != nil {
		c.answer(ctx, q, c.errorText(loc, err), true)
		return
	}
	c.answer(ctx, q, c.T(loc, "telegram.rating.thanks", nil), false)
	c.edit(ctx, msg.Chat.ID, msg.ID, msg.Text+"\n\n"+c.T(loc, "telegram.rating.given", map[string]any{"Rating": c.T(loc, "rating."+rating, nil)}), nil)
}

// onConfirm records the reporter's answer from the buttons under a
// solution put to them (pending confirmation): "y:<number>" solved,
// "n:<number>" not solved.
func (c *Channel) onConfirm(ctx context.Context, q *models.CallbackQuery, msg *models.Message, rest string) {
	answer, number, _ := strings.Cut(rest, ":")
	p, err := c.actor(ctx, &q.From, &msg.Chat)
	if err != nil {
		c.answer(ctx, q, c.errorText(catalog.Normalize(q.From.LanguageCode), err), true)
		return
	}
	loc, solved := botkit.Locale(p), answer == "y"
	if _, err := c.svc.ConfirmSolution(ctx, p, number, solved, ""); err != nil {
		c.answer(ctx, q, c.errorText(loc, err), true)
		return
	}
	c.answer(ctx, q, botkit.ConfirmedText(c.cat, loc, number, solved), false)
	c.edit(ctx, msg.Chat.ID, msg.ID, msg.Text+"\n\n→ "+botkit.ConfirmLabel(c.cat, loc, solved), nil)
}

// confirmKeyboard is 已解决 / 仍未解决 under a solution put to the reporter.
func (c *Channel) confirmKeyboard(loc, number string) *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		button(botkit.ConfirmLabel(c.cat, loc, true), "cf:y:"+number),
		button(botkit.ConfirmLabel(c.cat, loc, false), "cf:n:"+number),
	}}}
}

// ratingKeyboard is 满意 / 基本满意 / 不满意.
func (c *Channel) ratingKeyboard(loc, number string) *models.InlineKeyboardMarkup {
	var row []models.InlineKeyboardButton
	for _, r := range []backend.Satisfaction{backend.SatisfactionSatisfied, backend.SatisfactionBasically, backend.SatisfactionUnsatisfied} {
		row = append(row, button(c.T(loc, "rating."+string(r), nil), "rt:"+string(r)+":"+number))
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{row}}
}

// onTriageButton runs a card button. Only linked staff may press; anyone
// else is told so and nothing changes.
func (c *Channel) onTriageButton(ctx context.Context, q *models.CallbackQuery, msg *models.Message, rest string) {
	action, number, _ := strings.Cut(rest, ":")
	p, err := c.store.PersonByAccount(ctx, Platform, itoa(q.From.ID))
	if err != nil || !p.Handles() {
		loc := c.cfg.TriageLocale
		if msg.Chat.Type == models.ChatTypePrivate {
			loc = catalog.Normalize(q.From.LanguageCode)
		}
		if err != nil && backend.ErrorCode(err) != backend.ENOTFOUND {
			c.log.Warn("telegram: looking up who pressed", "err", err)
		}
		c.answer(ctx, q, c.T(loc, "telegram.triage.not_allowed", nil), true)
		return
	}
	loc := c.localeIn(&msg.Chat, p)
	chat := msg.Chat.ID
	var t *backend.Ticket
	switch {
	case action == "claim":
		// The assignee's Claim on a ticket dispatched to them (the
		// button reads 确认接收 / Accept then) accepts it (seed 002);
		// they have its private card already.
		prev, _ := c.svc.Ticket(ctx, p, number)
		accepting := prev != nil && prev.AssigneeID == p.ID
		t, err = c.svc.Claim(ctx, p, number)
		switch {
		case err == nil && accepting:
			c.answer(ctx, q, c.T(loc, "telegram.triage.accepted", map[string]any{"Number": number}), false)
		case err == nil:
			c.answer(ctx, q, c.T(loc, "telegram.triage.claimed", map[string]any{"Number": number}), false)
			c.sendPrivateCard(ctx, p, t)
		}
	case botkit.NeedsText(action):
		c.answer(ctx, q, "", false)
		c.prompt(ctx, chat, msg.ID, loc, action, number)
		return
	case action == "kb":
		// The solution as it is; the console edits an entry.
		e, err := c.svc.KBFromTicket(ctx, p, number, nil)
		if err != nil {
			c.answer(ctx, q, c.errorText(loc, err), true)
			return
		}
		c.answer(ctx, q, c.T(loc, "telegram.kb.filed", map[string]any{"ID": e.Ref()}), true)
		return
	case action == "files":
		t, err = c.svc.Ticket(ctx, p, number)
		if err == nil {
			n, err := c.sendFiles(ctx, p, t)
			switch {
			case errors.Is(err, errNoPrivateChat):
				c.answer(ctx, q, c.T(loc, "telegram.files.private_first", nil), true)
			case err != nil:
				c.answer(ctx, q, c.errorText(loc, err), true)
			default:
				c.answer(ctx, q, c.T(loc, "telegram.files.sent", map[string]any{"Count": n}), false)
			}
			return
		}
	case action == "status" || action == "sev" || action == "ms" || action == "xfer" || action == "consult" || action == "back":
		t, err = c.svc.Ticket(ctx, p, number)
		var kb *models.InlineKeyboardMarkup
		if err == nil {
			switch action {
			case "status":
				kb = c.statusKeyboard(loc, t)
			case "sev":
				kb = c.severityKeyboard(loc, t)
			case "ms":
				kb = c.milestoneKeyboard(loc, t, c.recordedMilestones(ctx, t))
			case "xfer":
				kb, err = c.teamKeyboard(ctx, loc, t, "tm")
			case "consult":
				kb, err = c.teamKeyboard(ctx, loc, t, "cs")
			default:
				kb = c.cardKeyboard(loc, t)
			}
		}
		if err == nil {
			c.answer(ctx, q, "", false)
			c.editMarkup(ctx, chat, msg.ID, kb)
			return
		}
	case strings.HasPrefix(action, "tm="):
		// A team picked for a transfer: the reason is asked for.
		c.answer(ctx, q, "", false)
		c.prompt(ctx, chat, msg.ID, loc, "transfer="+strings.TrimPrefix(action, "tm="), number)
		return
	case strings.HasPrefix(action, "cs="):
		// A team picked for its opinion: the question is asked for.
		c.answer(ctx, q, "", false)
		c.prompt(ctx, chat, msg.ID, loc, "consult="+strings.TrimPrefix(action, "cs="), number)
		return
	case strings.HasPrefix(action, "st="):
		to := backend.Status(strings.TrimPrefix(action, "st="))
		if needs := botkit.TextActions[to]; needs != "" {
			c.answer(ctx, q, "", false)
			c.prompt(ctx, chat, msg.ID, loc, needs, number)
			return
		}
		t, err = c.svc.Transition(ctx, p, number, to, "")
		if err == nil {
			c.answer(ctx, q, c.T(loc, "telegram.triage.done", nil), false)
		}
	case strings.HasPrefix(action, "sv="):
		t, err = c.svc.ChangeSeverity(ctx, p, number, backend.Severity(strings.TrimPrefix(action, "sv=")))
		if err == nil {
			c.answer(ctx, q, c.T(loc, "telegram.triage.done", nil), false)
		}
	case strings.HasPrefix(action, "ms="):
		t, err = c.svc.RecordMilestone(ctx, p, number, backend.Milestone(strings.TrimPrefix(action, "ms=")))
		if err == nil {
			c.answer(ctx, q, c.T(loc, "telegram.triage.done", nil), false)
		}
	default:
		c.answer(ctx, q, "", false)
		return
	}
	if err != nil {
		c.answer(ctx, q, c.errorText(loc, err), true)
		return
	}
	c.refreshCard(ctx, t)
	if msg.Chat.Type == models.ChatTypePrivate {
		c.editPrivateCard(ctx, &backend.ChatMessage{ChatID: itoa(chat), MessageID: strconv.Itoa(msg.ID)}, t)
	}
}

// errNoPrivateChat: the person has not started a private chat with the bot.
var errNoPrivateChat = errors.New("telegram: no private chat with the bot")

// sendFiles sends t's attachments (botkit.SendFiles) to p's private chat with the bot (not
// to the group: contacts and screenshots stay with staff who ask), and
// returns how many it sent.
func (c *Channel) sendFiles(ctx context.Context, p *backend.Person, t *backend.Ticket) (int, error) {
	var chat int64
	for _, a := range p.Accounts {
		if id, err := strconv.ParseInt(a.ChatID, 10, 64); a.Platform == Platform && err == nil && id > 0 {
			chat = id
		}
	}
	if chat == 0 {
		return 0, errNoPrivateChat
	}
	return botkit.SendFiles(t, c.log, func(i int, a backend.Attachment) error {
		caption := c.T(botkit.Locale(p), "telegram.files.caption", map[string]any{"Number": t.Number, "I": i, "N": len(t.Attachments), "Name": a.Name})
		return c.sendFile(ctx, chat, a, caption)
	})
}

// maxPhotoSize is the largest file Telegram takes as a photo.
const maxPhotoSize = 10 << 20

// sendFile sends one stored attachment in the chat's next slot.
func (c *Channel) sendFile(ctx context.Context, chat int64, a backend.Attachment, caption string) error {
	if err := c.waitSlot(ctx, chat); err != nil {
		return err
	}
	_, err := c.upload(ctx, chat, a, caption)
	return err
}

// upload sends one stored attachment with its caption (cut to Telegram's
// 1024 characters): a photo when Telegram can show it as one, else (too
// big, too long a screenshot, not an image) a document. ENOTFOUND when
// the file is not in the store.
func (c *Channel) upload(ctx context.Context, chat int64, a backend.Attachment, caption string) (*models.Message, error) {
	caption = clip(caption, 1024)
	upload := func() (*models.InputFileUpload, func(), error) {
		f, err := c.files.Open(a.SHA256)
		if err != nil {
			return nil, nil, err
		}
		return &models.InputFileUpload{Filename: a.Name, Data: f}, func() { f.Close() }, nil
	}
	if strings.HasPrefix(a.ContentType, "image/") && a.ContentType != "image/gif" && a.Size <= maxPhotoSize {
		up, done, err := upload()
		if err != nil {
			return nil, err
		}
		m, err := c.bot.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: chat, Photo: up, Caption: caption})
		done()
		if !errors.Is(err, bot.ErrorBadRequest) { // PHOTO_INVALID_DIMENSIONS and the like: as a document
			return m, err
		}
	}
	up, done, err := upload()
	if err != nil {
		return nil, err
	}
	defer done()
	return c.bot.SendDocument(ctx, &bot.SendDocumentParams{ChatID: chat, Document: up, Caption: caption})
}

// prompt asks for the text an action needs; the reply to it completes
// the action.
func (c *Channel) prompt(ctx context.Context, chat int64, card int, loc, action, number string) {
	t, err := c.store.Ticket(ctx, number)
	if err != nil {
		c.fail(ctx, chat, loc, err)
		return
	}
	if strings.HasPrefix(action, "incident") && t.IncidentID == 0 { // a card older than an unlink
		c.reply(ctx, out{chat: chat, text: c.errorText(loc, backend.NoIncident(t)), replyTo: card})
		return
	}
	data := map[string]any{"Number": number, "ID": backend.IncidentRef(t.IncidentID)}
	key, team, transfer := strings.Cut(action, "=") // transfer=<team id>
	if transfer {
		id, _ := strconv.ParseInt(team, 10, 64)
		tm, err := c.svc.Store().Team(ctx, id)
		if err != nil {
			c.fail(ctx, chat, loc, err)
			return
		}
		data["Team"] = tm.Name
	}
	m, err := c.reply(ctx, out{chat: chat, replyTo: card,
		text:   c.T(loc, "telegram.prompt."+key, data),
		markup: &models.ForceReply{ForceReply: true, InputFieldPlaceholder: clip(c.T(loc, "telegram.prompt.placeholder", nil), 64)}})
	if err != nil {
		return
	}
	c.remember(ctx, &backend.ChatMessage{Platform: Platform, ChatID: itoa(chat), MessageID: strconv.Itoa(m.ID), TicketID: t.ID, Kind: kindPrompt + action})
}

func (c *Channel) remember(ctx context.Context, cm *backend.ChatMessage) {
	cm.CreatedAt = c.now()
	if err := c.store.SaveChatMessage(ctx, cm); err != nil {
		c.log.Warn("telegram: cannot remember message", "chat", cm.ChatID, "ticket_id", cm.TicketID, "err", err)
	}
}

// Card buttons carry "tk:<action>:<number>"; the menus' choices
// "tk:st=<status>:<number>", "tk:sv=<severity>:<number>" and
// "tk:ms=<milestone>:<number>". The longest, "tk:ms=resources_arranged:"
// and a number, stays well inside Telegram's 64 bytes.

// cardKeyboard is the card's buttons for the ticket's state. A resolved
// ticket keeps Milestone (seed 004's report and review steps come after
// the solution) and, with a solution, Add to knowledge base (seed 004 N
// 整理入库). An archived one has none.
func (c *Channel) cardKeyboard(loc string, t *backend.Ticket) *models.InlineKeyboardMarkup {
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}
	b := func(action string) models.InlineKeyboardButton {
		return button(c.T(loc, "telegram.btn."+action, nil), "tk:"+action+":"+t.Number)
	}
	if n := len(t.Attachments); n > 0 {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
			button(c.T(loc, "telegram.btn.files", map[string]any{"Count": n}), "tk:files:"+t.Number)})
	}
	switch {
	case t.Status == backend.StatusResolved:
		row := []models.InlineKeyboardButton{b("ms")}
		if strings.TrimSpace(t.Solution) != "" {
			row = append(row, b("kb"))
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, row)
		return kb
	case !t.Status.Open():
		return kb
	}
	switch {
	case t.AssigneeID == 0:
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{b("claim")})
	case t.AwaitsAccept():
		// Dispatched to someone who has not confirmed it (seed 002):
		// Claim, labelled Accept, accepts it for them; anyone else's
		// press is refused.
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
			button(c.T(loc, "telegram.btn.accept", nil), "tk:claim:"+t.Number)})
	}
	menus := []models.InlineKeyboardButton{b("status"), b("sev")}
	if t.Status.Transferable() {
		menus = append(menus, b("xfer"))
	}
	// Duplicates (集中反馈): a ticket joins the same problem's incident;
	// one linked already answers the whole incident from its card.
	incident := []models.InlineKeyboardButton{b("dup")}
	if t.IncidentID != 0 {
		incident = []models.InlineKeyboardButton{b("incident"), b("incident_resolve")}
	}
	if t.AssigneeID != 0 {
		// Whoever holds it asks another team for its opinion (seed 002
		// 跨部门协作).
		incident = append(incident, b("consult"))
	}
	// Whoever holds it tells the reporter, before the deadline, that it
	// will be late (seed 002).
	last := []models.InlineKeyboardButton{b("ms"), b("resolve")}
	if t.AssigneeID != 0 {
		last = []models.InlineKeyboardButton{b("ms"), b("delay"), b("resolve")}
	}
	if t.AssigneeID != 0 && t.Plannable() {
		// A suggestion (or a P4) goes into the backlog with its plan
		// (seed 002 纳入需求池).
		incident = append(incident, b("plan"))
	}
	kb.InlineKeyboard = append(kb.InlineKeyboard,
		[]models.InlineKeyboardButton{b("ask"), b("return")},
		menus,
		last,
		incident)
	return kb
}

// teamKeyboard offers the teams a ticket can be transferred to, or asked
// for their opinion (all but its own), two a row, and Back; a press is
// "tk:<pick>=<team id>:<number>".
func (c *Channel) teamKeyboard(ctx context.Context, loc string, t *backend.Ticket, pick string) (*models.InlineKeyboardMarkup, error) {
	teams, err := c.svc.Store().Teams(ctx)
	if err != nil {
		return nil, err
	}
	kb := &models.InlineKeyboardMarkup{}
	var row []models.InlineKeyboardButton
	for _, tm := range teams {
		if tm.ID == t.TeamID {
			continue
		}
		if len(row) == 2 {
			kb.InlineKeyboard, row = append(kb.InlineKeyboard, row), nil
		}
		row = append(row, button(tm.Name, "tk:"+pick+"="+strconv.FormatInt(tm.ID, 10)+":"+t.Number))
	}
	if len(row) > 0 {
		kb.InlineKeyboard = append(kb.InlineKeyboard, row)
	}
	kb.InlineKeyboard = append(kb.InlineKeyboard,
		[]models.InlineKeyboardButton{button(c.T(loc, "telegram.btn.back", nil), "tk:back:"+t.Number)})
	return kb, nil
}

// milestoneKeyboard offers seed 004's milestones, one a row (their
// labels are long), those recorded already marked ✓, and Back. A recorded
// one can be recorded again (a report sent anew after its review).
func (c *Channel) milestoneKeyboard(loc string, t *backend.Ticket, recorded map[backend.Milestone]bool) *models.InlineKeyboardMarkup {
	kb := &models.InlineKeyboardMarkup{}
	for _, m := range backend.Milestones {
		label := c.T(loc, "sla.milestone."+string(m), nil)
		if recorded[m] {
			label = "✓ " + label
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{button(label, "tk:ms="+string(m)+":"+t.Number)})
	}
	kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{button(c.T(loc, "telegram.btn.back", nil), "tk:back:"+t.Number)})
	return kb
}

func (c *Channel) statusKeyboard(loc string, t *backend.Ticket) *models.InlineKeyboardMarkup {
	kb := &models.InlineKeyboardMarkup{}
	var row []models.InlineKeyboardButton
	for _, s := range t.Status.Next() {
		row = append(row, button(c.render.Status(loc, s), "tk:st="+string(s)+":"+t.Number))
		if len(row) == 2 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, row)
			row = nil
		}
	}
	if len(row) > 0 {
		kb.InlineKeyboard = append(kb.InlineKeyboard, row)
	}
	kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{button(c.T(loc, "telegram.btn.back", nil), "tk:back:"+t.Number)})
	return kb
}

func (c *Channel) severityKeyboard(loc string, t *backend.Ticket) *models.InlineKeyboardMarkup {
	kb := &models.InlineKeyboardMarkup{}
	var row []models.InlineKeyboardButton
	for _, s := range backend.Severities {
		if s != t.Severity {
			row = append(row, button(c.render.Severity(loc, s), "tk:sv="+string(s)+":"+t.Number))
		}
	}
	kb.InlineKeyboard = append(kb.InlineKeyboard, row,
		[]models.InlineKeyboardButton{button(c.T(loc, "telegram.btn.back", nil), "tk:back:"+t.Number)})
	return kb
}

// refreshCard edits every triage card of t to its current state.
func (c *Channel) refreshCard(ctx context.Context, t *backend.Ticket) {
	c.cards.Refresh(ctx, t)
	c.private.Refresh(ctx, t)
}

// privatePosted brings every private card of t up to date once a new one
// is saved. (Cards.Posted would count the new card's version as shown on
// all of them, while the previous assignee's card may not show it yet.)
func (c *Channel) privatePosted(ctx context.Context, t *backend.Ticket) {
	if cur, err := c.store.TicketByID(ctx, t.ID); err == nil {
		c.private.Refresh(ctx, cur)
	}
}

// editPrivateCard shows t on a card in a staff member's private chat:
// the full card with its buttons while they hold the ticket, masked and
// without buttons once it has gone to someone else or is closed.
func (c *Channel) editPrivateCard(ctx context.Context, cm *backend.ChatMessage, t *backend.Ticket) {
	chat, err1 := strconv.ParseInt(cm.ChatID, 10, 64)
	id, err2 := strconv.Atoi(cm.MessageID)
	if err1 != nil || err2 != nil {
		return
	}
	p, err := c.store.PersonByAccount(ctx, Platform, cm.ChatID) // a private chat's id is its user's
	if err != nil {
		return
	}
	loc := botkit.Locale(p)
	if p.ID == t.AssigneeID && t.Status.Open() {
		c.edit(ctx, chat, id, c.T(loc, "telegram.card.yours", nil)+"\n"+c.render.Card(ctx, loc, t, p), c.cardKeyboard(loc, t))
		return
	}
	c.edit(ctx, chat, id, c.T(loc, "telegram.card.not_yours", nil)+"\n"+c.render.Card(ctx, loc, t, nil),
		&models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}})
}

// editCard shows t on one triage card.
func (c *Channel) editCard(ctx context.Context, cm *backend.ChatMessage, t *backend.Ticket) {
	chat, err1 := strconv.ParseInt(cm.ChatID, 10, 64)
	id, err2 := strconv.Atoi(cm.MessageID)
	if err1 != nil || err2 != nil {
		return
	}
	loc := c.cfg.TriageLocale
	c.edit(ctx, chat, id, c.render.Card(ctx, loc, t, nil), c.cardKeyboard(loc, t))
}

// servesGroup says whether a group is one deskbot serves as a triage
// chat: the triage group (TELEGRAM_TRIAGE_CHAT) or a team's own group
// (deskbot team set-chat).
func (c *Channel) servesGroup(ctx context.Context, chat int64) (bool, error) {
	if c.cfg.TriageChat != 0 && chat == c.triage.Load() {
		return true, nil
	}
	teams, err := c.store.TeamsByChat(ctx, Platform, itoa(chat))
	return len(teams) > 0, err
}

// migrated learns from err that chat became a supergroup, and returns its
// new id. Telegram then refuses every call to the old id.
func (c *Channel) migrated(ctx context.Context, err error, chat int64) (int64, bool) {
	var me *bot.MigrateError
	if !errors.As(err, &me) || me.MigrateToChatID == 0 {
		return 0, false
	}
	to := int64(me.MigrateToChatID)
	c.learnMigration(ctx, chat, to)
	return to, true
}

// followed is chat, or the supergroup it became.
func (c *Channel) followed(chat int64) int64 {
	if to, ok := c.moved.Load(chat); ok {
		return to.(int64)
	}
	return chat
}

// learnMigration follows a group to the supergroup it became. The triage
// group is followed in memory only: TELEGRAM_TRIAGE_CHAT should be set to
// the new id, which the log says loudly (until then each start learns it
// again from the first refused call, or from asking Telegram at start).
// A team's group is kept in the database, so its new id is stored there
// (as deskbot team set-chat would) and the log says so.
func (c *Channel) learnMigration(ctx context.Context, from, to int64) {
	if from == 0 || to == 0 || from == to {
		return
	}
	if prev, known := c.moved.Swap(from, to); known && prev.(int64) == to {
		return // learnt before
	}
	if c.triage.CompareAndSwap(from, to) {
		c.log.Error("telegram: the triage group became a supergroup; following it there. Set TELEGRAM_TRIAGE_CHAT to the new id",
			"old", from, "new", to)
	}
	teams, err := c.store.TeamsByChat(ctx, Platform, itoa(from))
	if err != nil {
		c.log.Error("telegram: a group became a supergroup; cannot look up whose it is", "old", from, "new", to, "err", err)
		return
	}
	for _, t := range teams {
		if err := c.store.SetTeamChat(ctx, t.ID, Platform, itoa(to)); err != nil {
			c.log.Error("telegram: a team's group became a supergroup; cannot store its new id: deskbot team set-chat --team ID --telegram NEW",
				"team", t.Name, "team_id", t.ID, "old", from, "new", to, "err", err)
			continue
		}
		c.log.Warn("telegram: a team's group became a supergroup; its chat is now the new id",
			"team", t.Name, "team_id", t.ID, "old", from, "new", to)
	}
}

// TicketChanged refreshes the triage card after a change made elsewhere
// (the web console, the API, another channel). Wire it into
// backend.ServiceConfig.Changed; it does not block.
func (c *Channel) TicketChanged(t *backend.Ticket) {
	c.cards.Changed(t)
	c.private.Changed(t)
	c.pings.Changed(t)
}

// sendPrivateCard sends the full card (contacts unmasked) to the assignee's
// private chat with the bot, if they have one, when they claimed it
// themselves (an assignment by someone else comes through the outbox).
func (c *Channel) sendPrivateCard(ctx context.Context, p *backend.Person, t *backend.Ticket) {
	for _, a := range p.Accounts {
		if a.Platform != Platform || a.ChatID == "" {
			continue
		}
		chat, err := strconv.ParseInt(a.ChatID, 10, 64)
		if err != nil || chat < 0 {
			continue
		}
		loc := botkit.Locale(p)
		done := c.private.Sending(t.ID)
		m, err := c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.card.yours", nil) + "\n" + c.render.Card(ctx, loc, t, p), markup: c.cardKeyboard(loc, t)})
		if err == nil {
			c.remember(ctx, &backend.ChatMessage{Platform: Platform, ChatID: a.ChatID, MessageID: strconv.Itoa(m.ID), TicketID: t.ID, Kind: kindPrivateCard})
		}
		done()
		if err == nil {
			c.privatePosted(ctx, t)
		}
		return
	}
}

// recordedMilestones are the milestones recorded on t (none when its
// events cannot be read: the menu then just shows no marks).
func (c *Channel) recordedMilestones(ctx context.Context, t *backend.Ticket) map[backend.Milestone]bool {
	events, err := c.store.Events(ctx, t.ID)
	if err != nil {
		c.log.Warn("telegram: reading milestones", "ticket", t.Number, "err", err)
		return nil
	}
	return backend.RecordedMilestones(events)
}

package telegram

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/bot/botkit"
)

// Platform implements notify.Sender.
func (c *Channel) Platform() string { return Platform }

// sendAttempts is how often Send tries on a server error or a network
// failure before handing the message back to the outbox.
const sendAttempts = 3

// Send implements notify.Sender: it delivers one outbox message to the
// reporter's or assignee's chat, or a card to the triage group. It keeps
// to Telegram's rate limits, returns *notify.RetryAfterError on 429 (and
// when the chat's next slot is too far away), retries 5xx with backoff, and
// never sends the same outbox message twice.
func (c *Channel) Send(ctx context.Context, m notify.Message) error {
	chat, loc, err := c.destination(m)
	if err != nil {
		return &notify.PermanentError{Err: err}
	}
	// Filed through the dialog, whose answer said so: the receipt would
	// say it again.
	if skip, err := botkit.DialogReceipt(m, Platform, c.now(), c.cfg.ReceiptWait, func() (bool, error) {
		said, err := c.store.ChatMessagesOf(ctx, m.Ticket.ID, Platform, kindFiled)
		return len(said) > 0, err
	}); skip || err != nil {
		return err
	}
	// The rate limit first: a message that must wait (cards to a busy
	// group wait minutes) costs no database call and no rendering.
	if err := c.pace(ctx, chat, m.Outbox.ID); err != nil {
		return err
	}
	if prev, err := c.store.ChatMessageForOutbox(ctx, Platform, m.Outbox.ID); err == nil {
		c.log.Debug("telegram: outbox message was sent already", "outbox", m.Outbox.ID, "message", prev.MessageID)
		return nil
	} else if backend.ErrorCode(err) != backend.ENOTFOUND {
		return err
	}

	o := out{chat: chat}
	if m.Outbox.Audience != backend.AudienceSource { // a source group has its own short texts
		o.text = c.render.NoticeIn(ctx, loc, m)
	}
	kind := kindNotice
	e, t := m.Event, m.Ticket
	var file *backend.Attachment // sent itself, the notice its caption
	switch {
	case m.Outbox.Audience == backend.AudienceReporter && e.Kind == backend.EventAttachment && e.Data.Attachment != nil && e.ActorID != t.ReporterID:
		// A file staff added (a screenshot of the fix): the reporter gets
		// the file, not just its name. Staff get the reporter's files
		// from the card's 📎 button, never in a group.
		file = e.Data.Attachment
	case e.Kind == backend.EventTask && m.Outbox.Audience != backend.AudienceReporter:
		// A complaint's task, told to staff: not about talking to the
		// reporter. Its owner completes a new or overdue task from it.
		kind = kindReminder
		if m.Recipient != nil && m.Recipient.ID == e.Data.AssigneeID && e.Data.TaskStep != backend.TaskDone && e.Data.TaskID != 0 {
			o.markup = c.ownerKeyboard(loc, e.Data.TaskID, botkit.Objectable(e))
		}
	case m.Outbox.Audience == backend.AudiencePerson && botkit.IsEscalationPing(m):
		kind = botkit.PingKind(e.ID)
		o.markup = c.pingKeyboard(loc, e.Data.Clock, t.Number)
	case m.Outbox.Audience == backend.AudiencePerson && (e.Kind == backend.EventEscalation || e.Kind == backend.EventDelay):
		// For their information (a delay is reported to the managers):
		// a reply to it is not a reply to the reporter.
		kind = kindReminder
	case m.Outbox.Audience == backend.AudiencePerson && e.Kind == backend.EventIncidentUpdate:
		kind = kindIncident
	case m.Outbox.Audience == backend.AudienceAssignee && e.Kind == backend.EventAssigned && m.Recipient != nil &&
		t.AssigneeID == m.Recipient.ID && t.Status.Open():
		// Assigned by someone else: the full card, with its buttons.
		kind = kindPrivateCard
		o.text = o.text + "\n\n" + c.T(loc, "telegram.card.yours", nil) + "\n" + c.render.Card(ctx, loc, t, m.Recipient)
		o.markup = c.cardKeyboard(loc, t)
	case m.Outbox.Audience == backend.AudienceTriage && e.Kind == backend.EventCreated:
		kind = kindCard
		o.text = c.render.Card(ctx, loc, t, nil)
		o.markup = c.cardKeyboard(loc, t)
	case m.Outbox.Audience == backend.AudienceTriage:
		// The rest reply to the ticket's card in this group; a ticket
		// that moved to this group's team (given to someone of it) gets
		// its card here, if the group has none of it yet.
		card, err := c.cardIn(ctx, t.ID, chat)
		if err != nil {
			return err
		}
		if (e.Kind == backend.EventAssigned || e.Kind == backend.EventTransferred) && card == 0 {
			kind = kindCard
			o.text = c.render.Card(ctx, loc, t, nil)
			o.markup = c.cardKeyboard(loc, t)
		}
		o.replyTo = card
		if e.Kind == backend.EventFollowUp {
			// A reminder of a survey or callback due is recorded from here.
			if kb := c.followUpKeyboard(loc, e.Data.FollowUpStep, botkit.FollowUpPress{ID: e.Data.FollowUpID}); kb != nil {
				o.markup = kb
			}
		}
	case m.Outbox.Audience == backend.AudienceSource:
		so, ok := c.sourceNotice(m, loc)
		if !ok {
			c.log.Debug("telegram: nothing to tell the source group", "outbox", m.Outbox.ID, "event", e.Kind)
			return nil
		}
		o.text, o.replyTo = so.text, so.replyTo
	case m.Outbox.Audience == backend.AudienceReporter && e.Kind == backend.EventStatusChanged &&
		e.Data.To == backend.StatusResolved && t.Satisfaction == backend.SatisfactionNone && t.Status == backend.StatusResolved:
		o.markup = c.ratingKeyboard(loc, t.Number)
	case m.Outbox.Audience == backend.AudienceReporter && e.Kind == backend.EventStatusChanged &&
		e.Data.To == backend.StatusPendingConfirmation && t.Status == backend.StatusPendingConfirmation:
		o.markup = c.confirmKeyboard(loc, t.Number)
	}
	// A new card is on its way: until it is saved, refreshing the
	// ticket's other cards does not count as showing it everywhere.
	done := func() {}
	switch kind {
	case kindCard:
		done = c.cards.Sending(t.ID)
	case kindPrivateCard:
		done = c.private.Sending(t.ID)
	}
	defer done()

	sent, err := c.sendRetrying(ctx, chat, func() (*models.Message, error) {
		if file != nil {
			m, err := c.upload(ctx, chat, *file, o.text)
			if backend.ErrorCode(err) != backend.ENOTFOUND {
				return m, err
			}
			c.log.Warn("telegram: an attachment is not in the store; its notice goes without it", "ticket", t.Number, "file", file.Name)
		}
		return c.sendOnce(ctx, o)
	})
	if err != nil {
		return err
	}
	c.remember(ctx, &backend.ChatMessage{Platform: Platform, ChatID: itoa(sent.Chat.ID), MessageID: strconv.Itoa(sent.ID),
		TicketID: t.ID, Kind: kind, OutboxID: m.Outbox.ID})
	done()
	switch {
	case kind == kindCard:
		c.cards.Posted(ctx, t)
	case kind == kindPrivateCard:
		c.privatePosted(ctx, t)
	case botkit.IsPingKind(kind):
		c.pings.Posted(ctx, t)
	}
	return nil
}

// pace waits for chat's next slot, or returns a *notify.RetryAfterError
// when it is further away than Limits.MaxWait. key (an outbox message id;
// 0 for none) keeps that slot for the message when it comes back.
func (c *Channel) pace(ctx context.Context, chat, key int64) error {
	wait, ok := c.lim.reserve(chat, key, c.cfg.Limits.MaxWait)
	if !ok {
		return &notify.RetryAfterError{After: wait, Err: errors.New("telegram: keeping to the rate limit")}
	}
	return sleep(ctx, wait)
}

// sendRetrying calls send, which sends one message to chat, until it
// succeeds, and sorts its errors for a dispatcher: a server error or a
// network failure is tried sendAttempts times with backoff; a 429 blocks
// the chat and is a *notify.RetryAfterError; what retrying cannot help
// (blocked by the user, chat gone, bad token, part of a long message in
// the chat already) is a *notify.PermanentError. send must build its
// request anew on every call (an upload's reader is spent by the first).
func (c *Channel) sendRetrying(ctx context.Context, chat int64, send func() (*models.Message, error)) (*models.Message, error) {
	for attempt := 1; ; attempt++ {
		sent, err := send()
		if err == nil {
			return sent, nil
		}
		var tooMany *bot.TooManyRequestsError
		switch {
		case errors.As(err, new(*partialError)):
			// Part of it is in the chat: sending it all again would show
			// that part twice.
			return nil, &notify.PermanentError{Err: err}
		case errors.As(err, &tooMany):
			after := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
			c.lim.blockFor(chat, after)
			return nil, &notify.RetryAfterError{After: after, Err: err}
		case errors.Is(err, bot.ErrorForbidden), errors.Is(err, bot.ErrorBadRequest),
			errors.Is(err, bot.ErrorUnauthorized), errors.Is(err, bot.ErrorNotFound):
			// Blocked by the user, chat gone, bad token: retrying cannot help.
			return nil, &notify.PermanentError{Err: err}
		case ctx.Err() != nil:
			return nil, ctx.Err()
		}
		if attempt >= sendAttempts {
			return nil, fmt.Errorf("telegram: send to chat %d: %w", chat, err)
		}
		if err := sleep(ctx, time.Duration(100<<attempt)*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// destination is the chat and language of an outbox message. A triage
// message goes to the team's group it names (followed to the supergroup
// it became), else to the triage group.
func (c *Channel) destination(m notify.Message) (int64, string, error) {
	if m.Outbox.Audience == backend.AudienceSource {
		chat, err := strconv.ParseInt(m.Outbox.Chat, 10, 64)
		if err != nil || chat >= 0 {
			return 0, "", fmt.Errorf("source chat %q is not a Telegram group id", m.Outbox.Chat)
		}
		return c.followed(chat), c.cfg.TriageLocale, nil
	}
	if m.Outbox.Audience == backend.AudienceTriage {
		if m.Outbox.Chat != "" {
			chat, err := strconv.ParseInt(m.Outbox.Chat, 10, 64)
			if err != nil || chat >= 0 {
				return 0, "", fmt.Errorf("team chat %q is not a Telegram group id like -1001234567890", m.Outbox.Chat)
			}
			return c.followed(chat), c.cfg.TriageLocale, nil
		}
		if c.cfg.TriageChat == 0 {
			return 0, "", errors.New("TELEGRAM_TRIAGE_CHAT is not set")
		}
		return c.triage.Load(), c.cfg.TriageLocale, nil
	}
	chat, ok := privateChat(m.Account)
	if !ok {
		return 0, "", fmt.Errorf("no Telegram chat for person %d", m.Outbox.RecipientID)
	}
	return chat, botkit.Locale(m.Recipient), nil
}

// cardIn is the id of the ticket's latest card in chat, 0 if it has none
// there (its cards in other groups — another team's, or the group before
// it became a supergroup — are not this chat's messages to reply to).
func (c *Channel) cardIn(ctx context.Context, ticketID, chat int64) (int, error) {
	cards, err := c.store.ChatMessagesOf(ctx, ticketID, Platform, kindCard)
	if err != nil {
		return 0, err
	}
	for _, cm := range slices.Backward(cards) {
		if cm.ChatID == itoa(chat) {
			id, _ := strconv.Atoi(cm.MessageID)
			return id, nil
		}
	}
	return 0, nil
}

// privateChat is the chat of a person's Telegram account.
func privateChat(a backend.ChatAccount) (int64, bool) {
	chat, err := strconv.ParseInt(a.ChatID, 10, 64)
	return chat, err == nil && a.Platform == Platform
}

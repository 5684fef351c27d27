package slack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/slack-go/slack"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/bot/botkit"
)

// Platform implements notify.Sender.
func (c *Channel) Platform() string { return Platform }

// permanent are Slack errors that retrying cannot fix.
var permanent = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "invalid_auth": true,
	"account_inactive": true, "token_revoked": true, "user_not_found": true, "cannot_dm_bot": true,
	"msg_too_long": true, "invalid_blocks": true, "no_text": true, "not_authed": true, "missing_scope": true,
	"invalid_arguments": true,
}

// sendError is a Web API error as the dispatchers (notify, reportsend)
// take it: a 429 is *notify.RetryAfterError with Slack's Retry-After, an
// error retrying cannot fix is *notify.PermanentError, any other is
// wrapped with what was being done.
func sendError(err error, what string) error {
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		return &notify.RetryAfterError{After: rl.RetryAfter, Err: err}
	case errors.As(err, &se) && permanent[se.Err]:
		return &notify.PermanentError{Err: err}
	case permanent[err.Error()]:
		return &notify.PermanentError{Err: err}
	}
	return fmt.Errorf("slack: %s: %w", what, err)
}

// shareFile uploads a stored attachment into a conversation's thread. The
// notice naming it is out already and recorded, so a failure is logged,
// not retried (the notice would be posted twice).
func (c *Channel) shareFile(ctx context.Context, a backend.Attachment, channel, thread, number string) {
	if err := c.upload(ctx, channel, a, "", thread); err != nil {
		c.log.Warn("slack: cannot share an attachment with the reporter; its notice went without it", "ticket", number, "file", a.Name, "err", err)
	}
}

// upload shares a stored attachment in a conversation (a C…, G… or D…
// id), in thread if one is given, with comment above it if any.
func (c *Channel) upload(ctx context.Context, channel string, a backend.Attachment, comment, thread string) error {
	f, err := c.files.Open(a.SHA256)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = c.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: f, FileSize: int(a.Size), Filename: a.Name, Title: a.Name, InitialComment: comment, Channel: channel, ThreadTimestamp: thread,
	})
	if err != nil {
		return sendError(err, "upload "+a.Name+" to "+channel)
	}
	return nil
}

// Send implements notify.Sender. A new ticket becomes a card in the triage
// channel, or in its team's own channel (OutboxMessage.Chat), and so does
// a ticket that moved to a team whose channel has no card of it yet; other
// triage and assignee messages go into the card's thread (the assignee is
// mentioned), or to the assignee's DM without a card.
// Messages to a named person (escalation pings, seed 004's notices,
// digests, the P4 batch) go to their DM. A
// reporter's follow-up is posted there once: by its triage row, which
// mentions a Slack assignee, while the assignee's own row is skipped. A
// reporter's notices go into one thread per ticket in their DM, the
// resolution with rating buttons. A 429 is *notify.RetryAfterError with
// Slack's Retry-After; an outbox message is never sent twice.
func (c *Channel) Send(ctx context.Context, m notify.Message) error {
	if prev, err := c.store.ChatMessageForOutbox(ctx, Platform, m.Outbox.ID); err == nil {
		c.log.Debug("slack: outbox message was sent already", "outbox", m.Outbox.ID, "ts", prev.MessageID)
		return nil
	} else if backend.ErrorCode(err) != backend.ENOTFOUND {
		return err
	}
	t, e := m.Ticket, m.Event
	var (
		channel, thread, text string
		blocks                []slack.Block
		kind                  = kindNotice
		home                  string // user whose App Home to refresh
		mention               string // user mentioned in front of text
	)
	switch m.Outbox.Audience {
	case backend.AudienceTriage:
		channel = m.Outbox.Chat // a team's own channel
		if channel == "" {
			if c.cfg.TriageChannel == "" {
				return &notify.PermanentError{Err: errors.New("SLACK_TRIAGE_CHANNEL is not set")}
			}
			channel = c.cfg.TriageChannel
		}
		var card *backend.ChatMessage
		if e.Kind != backend.EventCreated {
			var err error
			if card, err = c.cardIn(ctx, t.ID, channel); err != nil {
				return err
			}
		}
		// A new ticket's card; or that of a ticket that moved to this
		// channel's team (given to someone of it), if it has none of it
		// yet. The rest go into the card's thread.
		if e.Kind == backend.EventCreated || ((e.Kind == backend.EventAssigned || e.Kind == backend.EventTransferred) && card == nil) {
			kind = kindCard
			text, blocks = c.cardBlocks(ctx, t)
		} else {
			text = c.render.NoticeIn(ctx, c.cfg.TriageLocale, notify.Message{Outbox: m.Outbox, Ticket: t, Event: e})
			if card != nil {
				thread = card.MessageID
			}
			if e.Kind == backend.EventFollowUp {
				// A reminder of a survey or callback due is recorded from here.
				blocks = c.followUpBlocks(c.cfg.TriageLocale, text, e.Data.FollowUpStep, botkit.FollowUpPress{ID: e.Data.FollowUpID})
			}
			mention = c.assigneeToMention(ctx, t, e)
		}
	default:
		if m.Account.Platform != Platform || m.Account.UserID == "" {
			return &notify.PermanentError{Err: fmt.Errorf("no Slack account for person %d", m.Outbox.RecipientID)}
		}
		user := m.Account.UserID
		loc := botkit.Locale(m.Recipient)
		text = c.render.Notice(ctx, m)
		channel = user
		if m.Outbox.Audience == backend.AudienceReporter {
			home = user
			roots, err := c.store.ChatMessagesOf(ctx, t.ID, Platform, kindDM)
			if err != nil {
				return err
			}
			// Filed in the DM dialog, whose 已提交 said so: the receipt
			// would say it again. The Home lists the ticket.
			if skip, err := botkit.DialogReceipt(m, Platform, c.now(), c.cfg.ReceiptWait, func() (bool, error) { return len(roots) > 0, nil }); err != nil {
				return err
			} else if skip {
				c.refreshHome(user)
				return nil
			}
			if len(roots) > 0 {
				channel, thread = roots[0].ChatID, roots[0].MessageID
			} else {
				kind = kindDM
			}
			switch {
			case e.Kind != backend.EventStatusChanged:
			case e.Data.To == backend.StatusResolved && t.Status == backend.StatusResolved && t.Satisfaction == backend.SatisfactionNone:
				blocks = c.ratingBlocks(loc, text, t.Number)
			case e.Data.To == backend.StatusPendingConfirmation && t.Status == backend.StatusPendingConfirmation:
				blocks = c.confirmBlocks(loc, text, t.Number)
			}
		} else if m.Outbox.Audience == backend.AudiencePerson && botkit.IsEscalationPing(m) {
			// A ping goes to the person's DM, with its buttons.
			kind = botkit.PingKind(e.ID)
			blocks = c.pingBlocks(loc, text, e.Data.Clock, t.Number)
		} else if m.Outbox.Audience == backend.AudiencePerson && e.Kind == backend.EventIncidentUpdate {
			kind = kindIncident // a joined incident's update: their DM
		} else if m.Outbox.Audience == backend.AudiencePerson {
			// Seed 004's notices, the daily digest and the weekly P4 batch
			// are the person's own: their DM, not the card's thread.
			kind = kindReminder
			if e.Kind == backend.EventTask {
				home = user // the App Home lists the person's tasks
			}
			if e.Kind == backend.EventTask && m.Recipient != nil && m.Recipient.ID == e.Data.AssigneeID &&
				e.Data.TaskStep != backend.TaskDone && e.Data.TaskID != 0 {
				// A task's owner completes it from its notice.
				blocks = c.taskBlocks(loc, text, e.Data.TaskID, botkit.Objectable(e))
			}
		} else if card, err := c.cardIn(ctx, t.ID, c.triageChannel(ctx, t)); err != nil {
			return err
		} else if card != nil && backend.IsReporterFollowUp(t, e) {
			// The triage row puts it into the card's thread, mentioning them.
			c.log.Debug("slack: follow-up is in the card's thread", "outbox", m.Outbox.ID, "ticket", t.Number)
			return nil
		} else if card != nil {
			// The assignee follows the ticket in the thread of its card
			// where its triage rows go: its team's channel, or the
			// triage channel.
			channel, thread, mention = card.ChatID, card.MessageID, user
		}
	}
	var at postedAt
	// Escaped always: a reporter's "<!channel>" must not ping the channel;
	// only the mention is markup.
	opts := []slack.MsgOption{textFor(text, blocks)}
	if mention != "" {
		opts[0] = slack.MsgOptionText("<@"+mention+"> "+clip(escape(text), maxText-100), false)
		if len(blocks) > 0 {
			opts[0] = slack.MsgOptionText("<@"+mention+"> "+clip(escape(text), maxFallback-100), false)
		}
	}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	var err error
	at.channel, at.ts, err = c.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return sendError(err, "post to "+channel)
	}
	c.remember(ctx, &backend.ChatMessage{Platform: Platform, ChatID: at.channel, MessageID: at.ts, TicketID: t.ID, Kind: kind, OutboxID: m.Outbox.ID})
	if a := e.Data.Attachment; m.Outbox.Audience == backend.AudienceReporter && e.Kind == backend.EventAttachment && a != nil && e.ActorID != t.ReporterID {
		// A file staff added (a screenshot of the fix): the reporter gets
		// the file too, under its notice.
		c.shareFile(ctx, *a, at.channel, cmp.Or(thread, at.ts), t.Number)
	}
	switch {
	case kind == kindCard:
		c.cards.Posted(ctx, t)
	case botkit.IsPingKind(kind):
		c.pings.Posted(ctx, t)
	}
	if home != "" {
		c.refreshHome(home)
	}
	return nil
}

// assigneeToMention is the Slack user id of t's assignee when e is a
// reporter's follow-up that the triage row carries for them (their own
// row is then not posted); "" otherwise.
func (c *Channel) assigneeToMention(ctx context.Context, t *backend.Ticket, e *backend.Event) string {
	if t.AssigneeID == 0 || !backend.IsReporterFollowUp(t, e) {
		return ""
	}
	p, err := c.store.Person(ctx, t.AssigneeID)
	if err != nil {
		c.log.Warn("slack: cannot load the assignee", "ticket", t.Number, "err", err)
		return ""
	}
	for _, a := range p.Accounts {
		if a.Platform == Platform {
			return a.UserID
		}
	}
	return ""
}

// cardIn is the ticket's latest card in channel, nil if it has none there.
func (c *Channel) cardIn(ctx context.Context, ticketID int64, channel string) (*backend.ChatMessage, error) {
	if channel == "" {
		return nil, nil
	}
	cards, err := c.store.ChatMessagesOf(ctx, ticketID, Platform, kindCard)
	if err != nil {
		return nil, err
	}
	for _, cm := range slices.Backward(cards) {
		if cm.ChatID == channel {
			return cm, nil
		}
	}
	return nil, nil
}

// triageChannel is the channel t's Slack triage rows go to now: its
// team's own channel (deskbot team set-chat), else SLACK_TRIAGE_CHANNEL;
// "" when neither is set.
func (c *Channel) triageChannel(ctx context.Context, t *backend.Ticket) string {
	if t.TeamID != 0 {
		team, err := c.store.Team(ctx, t.TeamID)
		if err == nil && team.Chat(Platform) != "" {
			return team.Chat(Platform)
		}
		if err != nil && backend.ErrorCode(err) != backend.ENOTFOUND {
			c.log.Warn("slack: cannot read the ticket's team", "ticket", t.Number, "err", err)
		}
	}
	return c.cfg.TriageChannel
}

func (c *Channel) remember(ctx context.Context, cm *backend.ChatMessage) {
	cm.CreatedAt = c.now()
	if err := c.store.SaveChatMessage(ctx, cm); err != nil {
		c.log.Warn("slack: cannot remember message", "chat", cm.ChatID, "ticket_id", cm.TicketID, "err", err)
	}
}

// homeDelay coalesces App Home refreshes: a burst of notices to one
// reporter republishes their Home once.
const homeDelay = 2 * time.Second

// refreshHome republishes user's App Home soon, once per burst.
func (c *Channel) refreshHome(user string) {
	c.homeMu.Lock()
	defer c.homeMu.Unlock()
	if c.homePending[user] {
		return
	}
	c.homePending[user] = true
	time.AfterFunc(homeDelay, func() {
		c.homeMu.Lock()
		delete(c.homePending, user)
		c.homeMu.Unlock()
		c.later(user, func(ctx context.Context) { c.publishHome(ctx, user) })
	})
}

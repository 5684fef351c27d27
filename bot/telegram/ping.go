package telegram

import (
	"context"
	"strconv"
	"strings"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// reassignPage is how many people one page of the Reassign menu offers;
// a "More" button pages on.
const reassignPage = 24

// Escalation ping buttons carry "sl:<action>:<clock>:<number>"; the
// reassign choices "sl:to=<person id>:<clock>:<number>" and their pages
// "sl:page=<n>:<clock>:<number>". Clock names and
// ticket numbers are short, well inside Telegram's 64 bytes.

// pingKeyboard is Acknowledge / Reassign / Open under an escalation ping.
func (c *Channel) pingKeyboard(loc, clock, number string) *models.InlineKeyboardMarkup {
	b := func(action string) models.InlineKeyboardButton {
		return button(c.T(loc, "sla.button."+action, nil), "sl:"+action+":"+clock+":"+number)
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
		{b(botkit.SLAButtonAck), b(botkit.SLAButtonReassign), b(botkit.SLAButtonOpen)}}}
}

// noButtons removes a message's inline keyboard when edited.
func noButtons() *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}
}

// onPingButton runs a button of an escalation ping. Only linked staff may
// press; anyone else is told so and nothing changes.
func (c *Channel) onPingButton(ctx context.Context, q *models.CallbackQuery, msg *models.Message, rest string) {
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 {
		c.answer(ctx, q, "", false)
		return
	}
	action, clock, number := parts[0], parts[1], parts[2]
	p, err := c.store.PersonByAccount(ctx, Platform, itoa(q.From.ID))
	if err != nil || !p.Handles() {
		if err != nil && backend.ErrorCode(err) != backend.ENOTFOUND {
			c.log.Warn("telegram: looking up who pressed", "err", err)
		}
		loc := catalog.Normalize(q.From.LanguageCode)
		if err == nil {
			loc = botkit.Locale(p)
		}
		c.answer(ctx, q, c.T(loc, "ping.not_allowed", nil), true)
		return
	}
	loc := botkit.Locale(p)
	chat := msg.Chat.ID
	switch {
	case action == botkit.SLAButtonAck:
		t, err := c.svc.Acknowledge(ctx, p, number, clock)
		if err != nil {
			if backend.ErrorCode(err) == backend.ECONFLICT {
				c.answer(ctx, q, c.T(loc, "ping.already", nil), true)
				c.editMarkup(ctx, chat, msg.ID, nil)
				return
			}
			c.answer(ctx, q, c.errorText(loc, err), true)
			return
		}
		c.answer(ctx, q, c.T(loc, "telegram.triage.done", nil), false)
		c.pings.Acknowledged(ctx, itoa(chat), strconv.Itoa(msg.ID))
		c.edit(ctx, chat, msg.ID, msg.Text+"\n\n"+c.T(loc, "ping.acked", map[string]any{"Who": p.Name}), noButtons())
		c.pings.Sync(ctx, t) // everyone else's pings of this clock
	case action == botkit.SLAButtonReassign || strings.HasPrefix(action, "page="):
		page, _ := strconv.Atoi(strings.TrimPrefix(action, "page="))
		c.reassignMenu(ctx, q, msg, p, clock, number, page)
	case action == "back":
		c.answer(ctx, q, "", false)
		c.editMarkup(ctx, chat, msg.ID, c.pingKeyboard(loc, clock, number))
	case strings.HasPrefix(action, "to="):
		id, err := strconv.ParseInt(strings.TrimPrefix(action, "to="), 10, 64)
		if err != nil {
			c.answer(ctx, q, "", false)
			return
		}
		t, err := c.svc.Assign(ctx, p, number, id)
		if err != nil {
			c.answer(ctx, q, c.errorText(loc, err), true)
			return
		}
		c.answer(ctx, q, c.T(loc, "telegram.triage.done", nil), false)
		who := "#" + strconv.FormatInt(id, 10)
		if a, err := c.store.Person(ctx, id); err == nil {
			who = a.Name
		}
		c.edit(ctx, chat, msg.ID, msg.Text+"\n\n"+c.T(loc, "ping.reassigned", map[string]any{"Actor": p.Name, "Who": who}),
			c.pingKeyboard(loc, clock, number))
		c.refreshCard(ctx, t)
	case action == botkit.SLAButtonOpen:
		t, err := c.svc.Ticket(ctx, p, number)
		if err != nil {
			c.answer(ctx, q, c.errorText(loc, err), true)
			return
		}
		c.answer(ctx, q, "", false)
		m, err := c.reply(ctx, out{chat: chat, text: c.render.Card(ctx, loc, t, p), markup: c.cardKeyboard(loc, t), replyTo: msg.ID})
		if err == nil {
			c.remember(ctx, &backend.ChatMessage{Platform: Platform, ChatID: itoa(chat), MessageID: strconv.Itoa(m.ID), TicketID: t.ID, Kind: kindNotice})
		}
		// A sign-in link only in a private chat: in a group anyone could use it.
		if c.console != nil && msg.Chat.Type == models.ChatTypePrivate {
			url, err := botkit.TicketLink(ctx, c.console, p.ID, t.Number)
			if err != nil {
				c.log.Warn("telegram: console link", "err", err)
				return
			}
			c.say(ctx, chat, c.T(loc, "console.link", map[string]any{"URL": url}))
		}
	default:
		c.answer(ctx, q, "", false)
	}
}

// reassignMenu shows page page of the people the ticket can go to, two
// per row, with More while there are more and Back to the ping's buttons.
func (c *Channel) reassignMenu(ctx context.Context, q *models.CallbackQuery, msg *models.Message, p *backend.Person, clock, number string, page int) {
	loc := botkit.Locale(p)
	t, err := c.svc.Ticket(ctx, p, number)
	if err != nil {
		c.answer(ctx, q, c.errorText(loc, err), true)
		return
	}
	people, more, err := botkit.Reassignees(ctx, c.store, t, page, reassignPage)
	if err != nil {
		c.answer(ctx, q, c.errorText(loc, err), true)
		return
	}
	if len(people) == 0 {
		c.answer(ctx, q, c.T(loc, "ping.reassign.nobody", nil), true)
		return
	}
	c.answer(ctx, q, c.T(loc, "ping.reassign.choose", map[string]any{"Number": number}), false)
	kb := &models.InlineKeyboardMarkup{}
	var row []models.InlineKeyboardButton
	for _, s := range people {
		row = append(row, button(clip(s.Name, 40), "sl:to="+strconv.FormatInt(s.ID, 10)+":"+clock+":"+number))
		if len(row) == 2 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, row)
			row = nil
		}
	}
	if len(row) > 0 {
		kb.InlineKeyboard = append(kb.InlineKeyboard, row)
	}
	last := []models.InlineKeyboardButton{button(c.T(loc, "ping.back", nil), "sl:back:"+clock+":"+number)}
	if more {
		last = append(last, button(c.T(loc, "ping.more", nil), "sl:page="+strconv.Itoa(page+1)+":"+clock+":"+number))
	}
	kb.InlineKeyboard = append(kb.InlineKeyboard, last)
	c.editMarkup(ctx, msg.Chat.ID, msg.ID, kb)
}

// pingLocale is the language of the person a ping went to: a private
// chat's id is its user's.
func (c *Channel) pingLocale(ctx context.Context, cm *backend.ChatMessage) string {
	if p, err := c.store.PersonByAccount(ctx, Platform, cm.ChatID); err == nil {
		return botkit.Locale(p)
	}
	return c.cfg.TriageLocale
}

// closePing edits a ping to text and takes its buttons away.
func (c *Channel) closePing(ctx context.Context, cm *backend.ChatMessage, text string) {
	chat, err1 := strconv.ParseInt(cm.ChatID, 10, 64)
	id, err2 := strconv.Atoi(cm.MessageID)
	if err1 != nil || err2 != nil {
		return
	}
	c.edit(ctx, chat, id, text, noButtons())
}

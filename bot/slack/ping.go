package slack

import (
	"context"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
)

// reassignPage is how many people one page of the Reassign select offers
// (Slack allows 100 options); a "More" button pages on.
const reassignPage = 100

// Escalation ping buttons have action ids "sl:ack", "sl:reassign",
// "sl:open", "sl:back" and the value "<clock> <number>"; the reassign
// select "sl:to" has options "<person id> <clock> <number>", and its
// "sl:page" button the value "<page> <clock> <number>".

// pingBlocks are the ping's text and its Acknowledge / Reassign / Open
// buttons.
func (c *Channel) pingBlocks(loc, text, clock, number string) []slack.Block {
	v := clock + " " + number
	btn := func(action string) *slack.ButtonBlockElement {
		return slack.NewButtonBlockElement("sl:"+action, v, plainN(c.T(loc, "sla.button."+action, nil), 75))
	}
	ack := btn(botkit.SLAButtonAck)
	ack.Style = slack.StylePrimary
	return []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil),
		slack.NewActionBlock("sl", ack, btn(botkit.SLAButtonReassign), btn(botkit.SLAButtonOpen))}
}

// onPingAction runs a button or the reassign select of an escalation
// ping. Only linked staff may act; anyone else is told so and nothing
// changes.
func (c *Channel) onPingAction(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	channel, user, ts := cb.Channel.ID, cb.User.ID, cb.Message.Timestamp
	p, err := c.store.PersonByAccount(ctx, Platform, user)
	if err != nil || !p.Handles() {
		if err != nil && backend.ErrorCode(err) != backend.ENOTFOUND {
			c.log.Warn("slack: looking up who pressed", "err", err)
		}
		loc := c.cfg.TriageLocale
		if err == nil {
			loc = botkit.Locale(p)
		}
		c.ephemeral(ctx, channel, user, c.T(loc, "ping.not_allowed", nil))
		return
	}
	loc := botkit.Locale(p)
	action := strings.TrimPrefix(a.ActionID, "sl:")
	value := a.Value
	var who int64
	var page int
	switch action {
	case "to":
		id, rest, _ := strings.Cut(a.SelectedOption.Value, " ")
		who, _ = strconv.ParseInt(id, 10, 64)
		value = rest
	case "page":
		n, rest, _ := strings.Cut(value, " ")
		page, _ = strconv.Atoi(n)
		value = rest
	}
	clock, number, ok := strings.Cut(value, " ")
	if !ok {
		return
	}
	text := entityDecoder.Replace(cb.Message.Text) // as Slack keeps it: escaped
	switch action {
	case botkit.SLAButtonAck:
		t, err := c.svc.Acknowledge(ctx, p, number, clock)
		if err != nil {
			if backend.ErrorCode(err) == backend.ECONFLICT {
				c.ephemeral(ctx, channel, user, c.T(loc, "ping.already", nil))
				return
			}
			c.ephemeral(ctx, channel, user, c.errorText(loc, err))
			return
		}
		text += "\n\n" + c.T(loc, "ping.acked", map[string]any{"Who": p.Name})
		c.pings.Acknowledged(ctx, channel, ts)
		c.update(ctx, channel, ts, text, []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)})
		c.pings.Sync(ctx, t) // everyone else's pings of this clock
	case botkit.SLAButtonReassign, "page":
		c.reassignMenu(ctx, cb, p, text, value, page)
	case "back":
		c.update(ctx, channel, ts, text, c.pingBlocks(loc, text, clock, number))
	case "to":
		t, err := c.svc.Assign(ctx, p, number, who)
		if err != nil {
			c.ephemeral(ctx, channel, user, c.errorText(loc, err))
			return
		}
		name := "#" + strconv.FormatInt(who, 10)
		if a, err := c.store.Person(ctx, who); err == nil {
			name = a.Name
		}
		text += "\n\n" + c.T(loc, "ping.reassigned", map[string]any{"Actor": p.Name, "Who": name})
		c.update(ctx, channel, ts, text, c.pingBlocks(loc, text, clock, number))
		c.refreshCard(ctx, t)
	case botkit.SLAButtonOpen:
		t, err := c.svc.Ticket(ctx, p, number)
		if err != nil {
			c.ephemeral(ctx, channel, user, c.errorText(loc, err))
			return
		}
		c.ephemeral(ctx, channel, user, c.render.Card(ctx, loc, t, p))
		if c.console != nil {
			url, err := botkit.TicketLink(ctx, c.console, p.ID, t.Number)
			if err != nil {
				c.log.Warn("slack: console link", "err", err)
				return
			}
			c.ephemeral(ctx, channel, user, c.T(loc, "console.link", map[string]any{"URL": url}))
		}
	}
}

// reassignMenu replaces the ping's buttons with page page of the people
// the ticket can go to, Back, and More while there are more. value is
// "<clock> <number>".
func (c *Channel) reassignMenu(ctx context.Context, cb slack.InteractionCallback, p *backend.Person, text, value string, page int) {
	channel, user, ts := cb.Channel.ID, cb.User.ID, cb.Message.Timestamp
	loc := botkit.Locale(p)
	_, number, _ := strings.Cut(value, " ")
	t, err := c.svc.Ticket(ctx, p, number)
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(loc, err))
		return
	}
	people, more, err := botkit.Reassignees(ctx, c.store, t, page, reassignPage)
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(loc, err))
		return
	}
	if len(people) == 0 {
		c.ephemeral(ctx, channel, user, c.T(loc, "ping.reassign.nobody", nil))
		return
	}
	var opts []*slack.OptionBlockObject
	for _, s := range people {
		opts = append(opts, slack.NewOptionBlockObject(strconv.FormatInt(s.ID, 10)+" "+value, plainN(s.Name, maxOption), nil))
	}
	els := []slack.BlockElement{
		slack.NewOptionsSelectBlockElement(slack.OptTypeStatic,
			plainN(c.T(loc, "ping.reassign.choose", map[string]any{"Number": number}), 150), "sl:to", opts...),
		slack.NewButtonBlockElement("sl:back", value, plainN(c.T(loc, "ping.back", nil), 75)),
	}
	if more {
		els = append(els, slack.NewButtonBlockElement("sl:page", strconv.Itoa(page+1)+" "+value, plainN(c.T(loc, "ping.more", nil), 75)))
	}
	c.update(ctx, channel, ts, text, []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil), slack.NewActionBlock("sl", els...)})
}

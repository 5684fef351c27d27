package slack

import (
	"context"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
)

// Follow-up reminders in Slack (botkit/followup.go): the reminder in the
// thread of a ticket's card carries its buttons (action "fu:<press>",
// value the press); the survey picker replaces them in place
// (chat.update), and a recorded step adds its line to the reminder and
// takes the buttons away (but after 未联系上: the callback is still due).
// Only linked staff may press; the service says whether they may record.

// followUpBlocks are text with botkit.FollowUpButtons under it, a row an
// actions block; nil for none.
func (c *Channel) followUpBlocks(loc, text, step string, press botkit.FollowUpPress) []slack.Block {
	rows := botkit.FollowUpButtons(c.cat, loc, step, press)
	if len(rows) == 0 {
		return nil
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}
	for i, row := range rows {
		els := make([]slack.BlockElement, 0, len(row))
		for _, b := range row {
			v := b.Press.String()
			els = append(els, slack.NewButtonBlockElement("fu:"+v, v, plainN(b.Label, 75)))
		}
		blocks = append(blocks, slack.NewActionBlock("fu"+strconv.Itoa(i), els...))
	}
	return blocks
}

// onFollowUpAction handles a press on a follow-up reminder.
func (c *Channel) onFollowUpAction(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	channel, user, ts := cb.Channel.ID, cb.User.ID, cb.Message.Timestamp
	p := c.staff(ctx, user, channel)
	if p == nil {
		return
	}
	press, ok := botkit.ParseFollowUpPress(a.Value)
	if !ok {
		return
	}
	loc := c.cfg.TriageLocale
	text := entityDecoder.Replace(cb.Message.Text)
	switch press.Act {
	case botkit.FollowUpOpen, botkit.FollowUpPick, botkit.FollowUpBack:
		shown, err := botkit.OpenSurvey(ctx, c.svc, p, press)
		if err != nil {
			c.refuseFollowUp(ctx, cb, loc, text, err)
			return
		}
		step := ""
		if press.Act == botkit.FollowUpBack {
			step = backend.StepSurveyDue
		}
		c.update(ctx, channel, ts, text, c.followUpBlocks(loc, text, step, shown))
		return
	}
	line, stay, err := botkit.RecordFollowUp(ctx, c.svc, c.cat, loc, p, press)
	if err != nil {
		c.refuseFollowUp(ctx, cb, loc, text, err)
		return
	}
	if stay {
		text += "\n" + line
		c.update(ctx, channel, ts, text, c.followUpBlocks(loc, text, backend.StepCallbackDue, botkit.FollowUpPress{ID: press.ID}))
		return
	}
	c.answered(ctx, cb, line)
}

// refuseFollowUp tells the presser why the service refused the press.
// When the step is recorded already (elsewhere) the buttons go, and the
// reminder says why: its text comes from the press, which may predate a
// colleague's line, so the reason keeps the fact on the message.
func (c *Channel) refuseFollowUp(ctx context.Context, cb slack.InteractionCallback, loc, text string, err error) {
	why := c.errorText(loc, err)
	c.ephemeral(ctx, cb.Channel.ID, cb.User.ID, why)
	if botkit.FollowUpClosed(err) {
		text += "\n" + why
		c.update(ctx, cb.Channel.ID, cb.Message.Timestamp, text, []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)})
	}
}

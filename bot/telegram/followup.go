package telegram

import (
	"context"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Follow-up reminders in Telegram (botkit/followup.go): the reminder
// posted under a ticket's card carries its buttons ("fu:<press>"); the
// survey picker replaces them in place, and a recorded step adds its
// line to the reminder and takes the buttons away (but after 未联系上:
// the callback is still due). Only linked staff may press; the service
// says whether they may record it.

// followUpKeyboard is botkit.FollowUpButtons as an inline keyboard; nil
// for none.
func (c *Channel) followUpKeyboard(loc, step string, press botkit.FollowUpPress) *models.InlineKeyboardMarkup {
	var rows [][]dialogs.Button
	for _, row := range botkit.FollowUpButtons(c.cat, loc, step, press) {
		r := make([]dialogs.Button, 0, len(row))
		for _, b := range row {
			r = append(r, dialogs.Button{Label: b.Label, ID: "fu:" + b.Press.String()})
		}
		rows = append(rows, r)
	}
	return keyboard(rows)
}

// onFollowUpButton handles a press on a follow-up reminder.
func (c *Channel) onFollowUpButton(ctx context.Context, q *models.CallbackQuery, msg *models.Message, rest string) {
	p, err := c.actor(ctx, &q.From, &msg.Chat)
	if err != nil {
		if backend.ErrorCode(err) == backend.ENOTFOUND {
			c.answer(ctx, q, c.T(c.cfg.TriageLocale, "telegram.triage.not_allowed", nil), true)
			return
		}
		c.answer(ctx, q, c.errorText(catalog.Normalize(q.From.LanguageCode), err), true)
		return
	}
	press, ok := botkit.ParseFollowUpPress(rest)
	if !ok || !p.Handles() {
		c.answer(ctx, q, c.T(c.cfg.TriageLocale, "telegram.triage.not_allowed", nil), true)
		return
	}
	loc := c.localeIn(&msg.Chat, p)
	switch press.Act {
	case botkit.FollowUpOpen, botkit.FollowUpPick, botkit.FollowUpBack:
		shown, err := botkit.OpenSurvey(ctx, c.svc, p, press)
		if err != nil {
			c.refuseFollowUp(ctx, q, msg, loc, err)
			return
		}
		step, hint := "", ""
		if press.Act == botkit.FollowUpBack {
			step = backend.StepSurveyDue
		} else if press.Act == botkit.FollowUpOpen {
			hint = c.T(loc, "followup.picker", nil)
		}
		c.answer(ctx, q, hint, false)
		c.editMarkup(ctx, msg.Chat.ID, msg.ID, c.followUpKeyboard(loc, step, shown))
		return
	}
	line, stay, err := botkit.RecordFollowUp(ctx, c.svc, c.cat, loc, p, press)
	if err != nil {
		c.refuseFollowUp(ctx, q, msg, loc, err)
		return
	}
	c.answer(ctx, q, "", false)
	var markup *models.InlineKeyboardMarkup
	if stay {
		markup = msg.ReplyMarkup
	}
	if err := c.edit(ctx, msg.Chat.ID, msg.ID, msg.Text+"\n\n"+line, markup); err != nil {
		c.say(ctx, msg.Chat.ID, line) // recorded: say so, if not on the reminder
	}
}

// refuseFollowUp answers a press the service refused with why; the
// buttons go when the step is recorded already (elsewhere). The text
// stays as it is.
func (c *Channel) refuseFollowUp(ctx context.Context, q *models.CallbackQuery, msg *models.Message, loc string, err error) {
	c.answer(ctx, q, c.errorText(loc, err), true)
	if botkit.FollowUpClosed(err) {
		c.editMarkup(ctx, msg.Chat.ID, msg.ID, nil)
	}
}

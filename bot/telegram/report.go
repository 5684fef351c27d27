package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/reportsend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

var _ reportsend.Sender = (*Channel)(nil)

// maxCaption is Telegram's limit on a photo's caption, in characters.
const maxCaption = 1024

// SendReport implements reportsend.Sender: it sends a report to the
// person's private chat in two parts, the text (split as any long message
// is) and then the chart as a photo, left out when the report has no
// sub-categories to draw. Parts an earlier attempt sent are skipped, and
// each part is recorded (m.Sent) as soon as it is out, so a retry after
// the photo failed does not send the text again.
//
// Each part keeps to the chat's rate as the outbox's messages do, and
// errors are sorted as Send sorts them: *notify.RetryAfterError on a 429
// or when the chat's next slot is too far away, *notify.PermanentError
// when the person blocked the bot or has no Telegram chat.
func (c *Channel) SendReport(ctx context.Context, m reportsend.Message) error {
	chat, ok := privateChat(m.Account)
	if !ok {
		return &notify.PermanentError{Err: errors.New("telegram: the report's account is no Telegram chat")}
	}
	loc := botkit.Locale(m.Person)
	text := botkit.ReportText(c.cat, loc, m.Report, m.Console)
	parts := []func() (*models.Message, error){
		func() (*models.Message, error) { return c.sendOnce(ctx, out{chat: chat, text: text}) },
	}
	if len(m.Report.Subcategories) > 0 && len(m.Chart) > 0 {
		caption := clip(botkit.ReportCaption(c.cat, loc, m.Report), maxCaption)
		name := "report-" + m.Report.Period.String() + ".png"
		parts = append(parts, func() (*models.Message, error) {
			return c.bot.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: chat, Caption: caption,
				Photo: &models.InputFileUpload{Filename: name, Data: bytes.NewReader(m.Chart)}})
		})
	}
	done := 0
	if m.Delivery != nil {
		done = m.Delivery.Parts
	}
	for i := done; i < len(parts); i++ {
		if err := c.pace(ctx, chat, 0); err != nil {
			return err
		}
		if _, err := c.sendRetrying(ctx, chat, parts[i]); err != nil {
			return err
		}
		if err := c.reportSent(ctx, m, i+1); err != nil {
			return err
		}
	}
	return nil
}

// reportSent records that the first n parts of m are out. The part is in
// the chat whatever happens to ctx now, so the record is made even when
// ctx ends (else the next attempt would send the part again).
func (c *Channel) reportSent(ctx context.Context, m reportsend.Message, n int) error {
	if m.Sent == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := m.Sent(ctx, n); err != nil {
		return fmt.Errorf("telegram: report part %d sent but not recorded: %w", n, err)
	}
	return nil
}

// reportCommand answers /report [period] in a private chat: the report of
// this week so far (or of the period named: 上周 / last, 本月 / month,
// 上月 / lastmonth, 2026-W47, 2026-11) as a subscriber gets it, then the
// buttons that subscribe to the weekly and monthly reports. Who may read
// which report is the service's call (managers all, an assistant their
// team's; anyone else is told they may not).
func (c *Channel) reportCommand(ctx context.Context, m *models.Message, arg string) {
	chat := m.Chat.ID
	p, err := c.actor(ctx, m.From, &m.Chat)
	if err != nil {
		c.fail(ctx, chat, catalog.Normalize(m.From.LanguageCode), err)
		return
	}
	loc := botkit.Locale(p)
	if m.Chat.Type != models.ChatTypePrivate {
		c.say(ctx, chat, c.T(loc, "telegram.report.private", nil))
		return
	}
	rep, chart, err := botkit.ReportNow(ctx, c.svc, p, arg, c.now())
	if err == nil {
		err = c.SendReport(ctx, reportsend.Message{Person: p, Account: backend.ChatAccount{Platform: Platform, ChatID: itoa(chat)},
			Report: rep, Chart: chart, Console: c.consoleURL})
	}
	if err != nil {
		c.fail(ctx, chat, loc, err)
		return
	}
	c.sendSubscriptions(ctx, chat, p, 0)
}

// sendSubscriptions shows p's subscriptions to the reports of every team
// it may read (for an assistant, their team's) with the buttons that
// change them; edit, when not 0, is the message to update instead.
func (c *Channel) sendSubscriptions(ctx context.Context, chat int64, p *backend.Person, edit int) {
	loc := botkit.Locale(p)
	subs, err := c.svc.ReportSubscriptions(ctx, p)
	if err != nil {
		c.fail(ctx, chat, loc, err)
		return
	}
	var rows [][]models.InlineKeyboardButton
	for _, kind := range []string{backend.PeriodWeek, backend.PeriodMonth} {
		key, data := subscribeKeys[kind][0], "rs:"+kind+":on"
		if botkit.Subscribed(subs, p, kind) {
			key, data = subscribeKeys[kind][1], "rs:"+kind+":off"
		}
		rows = append(rows, []models.InlineKeyboardButton{button(c.T(loc, key, nil), data)})
	}
	text := c.T(loc, "telegram.report.subscriptions", nil)
	markup := &models.InlineKeyboardMarkup{InlineKeyboard: rows}
	if edit != 0 {
		c.edit(ctx, chat, edit, text, markup)
		return
	}
	c.reply(ctx, out{chat: chat, text: text, markup: markup})
}

// subscribeKeys are the texts of the subscription buttons, by kind: to
// subscribe, and (subscribed) to stop.
var subscribeKeys = map[string][2]string{
	backend.PeriodWeek:  {"telegram.report.subscribe_week", "telegram.report.unsubscribe_week"},
	backend.PeriodMonth: {"telegram.report.subscribe_month", "telegram.report.unsubscribe_month"},
}

// onReportSubscription handles the rs:<kind>:on|off buttons under /report.
func (c *Channel) onReportSubscription(ctx context.Context, q *models.CallbackQuery, msg *models.Message, rest string) {
	p, err := c.actor(ctx, &q.From, &msg.Chat)
	if err != nil {
		c.answer(ctx, q, "", false)
		c.fail(ctx, msg.Chat.ID, catalog.Normalize(q.From.LanguageCode), err)
		return
	}
	loc := botkit.Locale(p)
	kind, state, _ := strings.Cut(rest, ":")
	if _, err := c.svc.SubscribeReport(ctx, p, kind, 0, state == "on"); err != nil {
		c.answer(ctx, q, c.errorText(loc, err), true)
		return
	}
	key := "web.report.unsubscribed"
	if state == "on" {
		key = "web.report.subscribed"
	}
	c.answer(ctx, q, c.T(loc, key, nil), false)
	c.sendSubscriptions(ctx, msg.Chat.ID, p, msg.ID)
}

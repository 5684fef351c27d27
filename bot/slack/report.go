package slack

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/reportsend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

var _ reportsend.Sender = (*Channel)(nil)

// SendReport implements reportsend.Sender: a weekly or monthly report
// (DESIGN §7) reaches the subscriber in their DM with the bot, in their
// language, in two parts: the text (botkit.ReportText, clipped to what a
// message takes), then the chart uploaded as report-<period>.png with
// botkit.ReportCaption as its comment (no chart when the report has no
// sub-categories). Parts sent in an earlier attempt (Delivery.Parts) are
// skipped and each part sent is recorded (Message.Sent), so a retry after
// a failed upload does not post the text again. A 429 is
// *notify.RetryAfterError with Slack's Retry-After.
func (c *Channel) SendReport(ctx context.Context, m reportsend.Message) error {
	to := m.Account.ChatID
	if to == "" {
		to = m.Account.UserID
	}
	if m.Account.Platform != Platform || to == "" {
		return &notify.PermanentError{Err: fmt.Errorf("no Slack account for person %d", m.Delivery.PersonID)}
	}
	loc := botkit.Locale(m.Person)
	// dm is where the text went; the upload needs the DM's own id (D…),
	// which chat.postMessage answers and conversations.open finds.
	dm := to
	parts := []func(context.Context) error{
		func(ctx context.Context) error {
			text := botkit.ReportText(c.cat, loc, m.Report, m.Console)
			ch, _, err := c.api.PostMessageContext(ctx, to, plainText(text))
			if err != nil {
				return sendError(err, "post the report to "+to)
			}
			dm = ch
			return nil
		},
		func(ctx context.Context) error {
			if len(m.Report.Subcategories) == 0 {
				return nil
			}
			ch, err := c.conversation(ctx, dm)
			if err != nil {
				return err
			}
			name := "report-" + m.Report.Period.String() + ".png"
			caption := botkit.ReportCaption(c.cat, loc, m.Report)
			_, err = c.api.UploadFileContext(ctx, slack.UploadFileParameters{
				Reader: bytes.NewReader(m.Chart), FileSize: len(m.Chart), Filename: name, Title: name,
				AltTxt: caption, InitialComment: caption, Channel: ch,
			})
			if err != nil {
				return sendError(err, "upload the report's chart to "+ch)
			}
			return nil
		},
	}
	for i, part := range parts {
		if i < m.Delivery.Parts {
			continue
		}
		if err := part(ctx); err != nil {
			return err
		}
		if m.Sent != nil {
			if err := m.Sent(ctx, i+1); err != nil {
				return fmt.Errorf("slack: record report part %d sent: %w", i+1, err)
			}
		}
	}
	return nil
}

// conversation is the conversation id of ch: ch itself for a channel, a
// group or a DM (C…, G…, D…), the DM with the bot for a user id
// (conversations.open). Methods such as files.completeUploadExternal take
// no user id where chat.postMessage does.
func (c *Channel) conversation(ctx context.Context, ch string) (string, error) {
	if ch != "" && strings.ContainsAny(ch[:1], "CGDZ") {
		return ch, nil
	}
	conv, _, _, err := c.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{ch}})
	if err != nil {
		return "", sendError(err, "open the DM with "+ch)
	}
	if conv == nil || conv.ID == "" {
		return "", fmt.Errorf("slack: conversations.open named no DM with %s", ch)
	}
	return conv.ID, nil
}

// commandReport answers "/ticket report [period]": the report of this
// week so far, or of the period named (as botkit.ReportPeriod reads it),
// in the user's DM as a subscriber gets it, then the buttons that
// subscribe to the weekly and monthly reports. Who may read which report
// is the service's call; a refusal says why, privately.
func (c *Channel) commandReport(ctx context.Context, user, channel, arg string) {
	p, err := c.reporter(ctx, user)
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(catalog.ZhCN, err))
		return
	}
	loc := botkit.Locale(p)
	rep, chart, err := botkit.ReportNow(ctx, c.svc, p, arg, c.now())
	if err == nil {
		err = c.SendReport(ctx, reportsend.Message{Delivery: &backend.ReportDelivery{PersonID: p.ID}, Person: p,
			Account: backend.ChatAccount{Platform: Platform, UserID: user}, Report: rep, Chart: chart, Console: c.consoleURL})
	}
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(loc, err))
		return
	}
	text, blocks, err := c.subscriptionBlocks(ctx, p)
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(loc, err))
		return
	}
	c.post(ctx, user, text, blocks, "")
}

// subscriptionBlocks is the message with p's subscriptions to the
// reports of every team they may read (an assistant: their team's) and
// the buttons that change them.
func (c *Channel) subscriptionBlocks(ctx context.Context, p *backend.Person) (string, []slack.Block, error) {
	loc := botkit.Locale(p)
	subs, err := c.svc.ReportSubscriptions(ctx, p)
	if err != nil {
		return "", nil, err
	}
	var buttons []slack.BlockElement
	for _, kind := range []string{backend.PeriodWeek, backend.PeriodMonth} {
		key, value := subscribeKeys[kind][0], "on"
		if botkit.Subscribed(subs, p, kind) {
			key, value = subscribeKeys[kind][1], "off"
		}
		buttons = append(buttons, slack.NewButtonBlockElement("rs:"+kind, value, plainN(c.T(loc, key, nil), 75)))
	}
	text := c.T(loc, "slack.report.subscriptions", nil)
	return text, []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil), slack.NewActionBlock("rs", buttons...)}, nil
}

// subscribeKeys are the texts of the subscription buttons, by kind: to
// subscribe, and (subscribed) to stop.
var subscribeKeys = map[string][2]string{
	backend.PeriodWeek:  {"slack.report.subscribe_week", "slack.report.unsubscribe_week"},
	backend.PeriodMonth: {"slack.report.subscribe_month", "slack.report.unsubscribe_month"},
}

// onReportSubscription handles the rs:<kind> buttons under a report:
// value "on" subscribes, "off" stops; the message shows the new state.
func (c *Channel) onReportSubscription(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	p, err := c.reporter(ctx, cb.User.ID)
	if err != nil {
		c.ephemeral(ctx, cb.Channel.ID, cb.User.ID, c.errorText(catalog.ZhCN, err))
		return
	}
	kind := strings.TrimPrefix(a.ActionID, "rs:")
	if _, err := c.svc.SubscribeReport(ctx, p, kind, 0, a.Value == "on"); err != nil {
		c.ephemeral(ctx, cb.Channel.ID, cb.User.ID, c.errorText(botkit.Locale(p), err))
		return
	}
	text, blocks, err := c.subscriptionBlocks(ctx, p)
	if err != nil {
		c.ephemeral(ctx, cb.Channel.ID, cb.User.ID, c.errorText(botkit.Locale(p), err))
		return
	}
	c.update(ctx, cb.Channel.ID, cb.Message.Timestamp, text, blocks)
}

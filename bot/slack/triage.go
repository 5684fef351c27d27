package slack

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
)

// Kinds of remembered messages (backend.ChatMessage.Kind).
const (
	kindCard   = "card"   // the triage card; its thread is the ticket's staff thread
	kindDM     = "dm"     // the first notice in a reporter's DM; its thread is the ticket's reporter thread
	kindNotice = "notice" // any other notice
	// kindReminder is a notice to a named person that is not an
	// escalation ping (seed 004's notices, the daily digest, the weekly P4
	// batch): nothing to reply to.
	kindReminder = "reminder"
	// kindIncident is an incident's update to someone who joined it from
	// the chat: it rides on another reporter's ticket, which a reply must
	// neither reach nor name.
	kindIncident = "incident"
)

// cardBlocks is the triage card: the ticket (contacts masked) and, while
// it is open, its buttons and selects. A resolved ticket keeps only the
// Milestone select (seed 004's report and review steps come after the
// solution); an archived one has none.
//
// The selects' option values are "<choice> <number>": the status, the
// severity or the milestone, then the ticket.
func (c *Channel) cardBlocks(ctx context.Context, t *backend.Ticket) (string, []slack.Block) {
	loc := c.cfg.TriageLocale
	text := c.render.Card(ctx, loc, t, nil)
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}
	var files []slack.BlockElement // the screenshots, sent to whoever asks in their DM
	if n := len(t.Attachments); n > 0 {
		files = append(files, slack.NewButtonBlockElement("tk:files", t.Number, plainN(c.T(loc, "slack.btn.files", map[string]any{"Count": n}), 75)))
	}
	switch {
	case t.Status == backend.StatusResolved:
		els := append(files, c.milestoneSelect(ctx, loc, t))
		if strings.TrimSpace(t.Solution) != "" {
			els = append(els, slack.NewButtonBlockElement("tk:kb", t.Number, plainN(c.T(loc, "slack.btn.kb", nil), 75)))
		}
		return text, append(blocks, slack.NewActionBlock("tk", els...))
	case !t.Status.Open() && len(files) > 0:
		return text, append(blocks, slack.NewActionBlock("tk", files...))
	case !t.Status.Open():
		return text, blocks
	}
	btn := func(action string) slack.BlockElement {
		b := slack.NewButtonBlockElement("tk:"+action, t.Number, plainN(c.T(loc, "slack.btn."+action, nil), 75))
		if action == "claim" || action == "resolve" {
			b.Style = slack.StylePrimary
		}
		return b
	}
	els := files
	switch {
	case t.AssigneeID == 0:
		els = append(els, btn("claim"))
	case t.AwaitsAccept():
		// Dispatched to someone who has not confirmed it (seed 002):
		// Claim, labelled Accept, accepts it for them; anyone else's
		// press is refused.
		b := slack.NewButtonBlockElement("tk:claim", t.Number, plainN(c.T(loc, "slack.btn.accept", nil), 75))
		b.Style = slack.StylePrimary
		els = append(els, b)
	}
	// Only the actions the ticket's status allows: a returned ticket
	// cannot be resolved or asked about.
	for _, to := range []backend.Status{backend.StatusWaitingReporter, backend.StatusReturned, backend.StatusResolved} {
		if t.Status.CanTransition(to) {
			els = append(els, btn(botkit.TextActions[to]))
		}
	}
	if t.AssigneeID != 0 {
		// Whoever holds it tells the reporter, before the deadline, that
		// it will be late (seed 002).
		els = append(els, btn("delay"))
	}
	if t.AssigneeID != 0 && t.Plannable() {
		// A suggestion (or a P4) goes into the backlog with its plan
		// (seed 002 纳入需求池).
		els = append(els, btn("plan"))
	}
	var statuses []*slack.OptionBlockObject
	for _, s := range t.Status.Next() {
		statuses = append(statuses, slack.NewOptionBlockObject(string(s)+" "+t.Number, plainN(c.render.Status(loc, s), maxOption), nil))
	}
	if len(statuses) > 0 {
		els = append(els, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainN(c.T(loc, "slack.btn.status", nil), 150), "tk:status", statuses...))
	}
	var sevs []*slack.OptionBlockObject
	for _, s := range backend.Severities {
		if s != t.Severity {
			sevs = append(sevs, slack.NewOptionBlockObject(string(s)+" "+t.Number, plainN(c.render.Severity(loc, s), maxOption), nil))
		}
	}
	els = append(els, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainN(c.T(loc, "slack.btn.sev", nil), 150), "tk:sev", sevs...))
	els = append(els, c.milestoneSelect(ctx, loc, t))
	if t.Status.Transferable() {
		if xfer := c.teamSelect(ctx, loc, t, "xfer"); xfer != nil {
			els = append(els, xfer)
		}
	}
	if t.AssigneeID != 0 && t.Status.Open() {
		// Whoever holds it asks another team for its opinion (seed 002
		// 跨部门协作).
		if consult := c.teamSelect(ctx, loc, t, "consult"); consult != nil {
			els = append(els, consult)
		}
	}
	// Duplicates (集中反馈): a ticket joins the same problem's incident;
	// one linked already answers the whole incident from its card.
	if t.IncidentID == 0 {
		els = append(els, btn("dup"))
	} else {
		els = append(els, btn("incident"), btn("incident_resolve"))
	}
	blocks = append(blocks, slack.NewActionBlock("tk", els...))
	return text, blocks
}

// teamSelect offers the teams t can be transferred to (pick "xfer") or
// asked for their opinion ("consult"): all but its own (Slack shows at
// most 100 options), each valued "<team id> <number>"; a pick opens the
// modal for the reason or the question (teamActions). nil when there is
// no other team.
func (c *Channel) teamSelect(ctx context.Context, loc string, t *backend.Ticket, pick string) slack.BlockElement {
	teams, err := c.svc.Store().Teams(ctx)
	if err != nil {
		c.log.Warn("slack: reading teams for the card", "ticket", t.Number, "err", err)
		return nil
	}
	var opts []*slack.OptionBlockObject
	for _, tm := range teams {
		if tm.ID != t.TeamID && len(opts) < 100 {
			opts = append(opts, slack.NewOptionBlockObject(strconv.FormatInt(tm.ID, 10)+" "+t.Number, plainN(tm.Name, maxOption), nil))
		}
	}
	if len(opts) == 0 {
		return nil
	}
	return slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainN(c.T(loc, "slack.btn."+pick, nil), 150), "tk:"+pick, opts...)
}

// teamActions are the card's team selects and the actions (botkit.Act)
// a pick asks the text for, with the team's id after the "=".
var teamActions = map[string]string{"xfer": "transfer=", "consult": "consult="}

// milestoneSelect records one of seed 004's milestones on the ticket;
// those recorded already are marked ✓ (one can be recorded again: a report
// sent anew after its review).
func (c *Channel) milestoneSelect(ctx context.Context, loc string, t *backend.Ticket) slack.BlockElement {
	events, err := c.store.Events(ctx, t.ID)
	if err != nil {
		c.log.Warn("slack: reading milestones", "ticket", t.Number, "err", err)
	}
	recorded := backend.RecordedMilestones(events)
	var opts []*slack.OptionBlockObject
	for _, m := range backend.Milestones {
		label := c.T(loc, "sla.milestone."+string(m), nil)
		if recorded[m] {
			label = "✓ " + label
		}
		opts = append(opts, slack.NewOptionBlockObject(string(m)+" "+t.Number, plainN(label, maxOption), nil))
	}
	return slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainN(c.T(loc, "slack.btn.ms", nil), 150), "tk:ms", opts...)
}

// onTriageReply takes a message in a thread of a channel: under a card
// (in the triage channel or a team's own) it is an assistant's reply to
// the reporter; elsewhere it is none of deskbot's business.
func (c *Channel) onTriageReply(ctx context.Context, m inMessage) {
	cm, err := c.store.ChatMessage(ctx, Platform, m.channel, m.thread)
	if err != nil || cm.Kind != kindCard {
		if err != nil && backend.ErrorCode(err) != backend.ENOTFOUND {
			c.log.Warn("slack: looking up a thread's card", "channel", m.channel, "err", err)
		}
		return
	}
	m = c.typed(ctx, m)
	p := c.staff(ctx, m.user, m.channel)
	if p == nil {
		return
	}
	t, err := c.store.TicketByID(ctx, cm.TicketID)
	if err != nil {
		c.post(ctx, m.channel, c.errorText(c.cfg.TriageLocale, err), nil, m.thread)
		return
	}
	c.onTicketReply(ctx, m, p, t, true)
}

// staff is the linked staff member who pressed or wrote something, or nil
// after telling them they may not.
func (c *Channel) staff(ctx context.Context, user, channel string) *backend.Person {
	p := c.staffMember(ctx, user)
	if p == nil {
		c.notAllowed(ctx, channel, user)
	}
	return p
}

// notAllowed tells user, in channel and to them only, that only staff may.
func (c *Channel) notAllowed(ctx context.Context, channel, user string) {
	c.ephemeral(ctx, channel, user, c.T(c.cfg.TriageLocale, "slack.triage.not_allowed", nil))
}

// staffMember is the linked staff member behind a Slack user, or nil when
// the user is none (or cannot be looked up: logged).
func (c *Channel) staffMember(ctx context.Context, user string) *backend.Person {
	p, err := c.store.PersonByAccount(ctx, Platform, user)
	if err != nil || !p.Handles() {
		if err != nil && backend.ErrorCode(err) != backend.ENOTFOUND {
			c.log.Warn("slack: looking up a staff member", "user", user, "err", err)
		}
		return nil
	}
	return p
}

// onCardAction runs a card button or select that needs no text.
func (c *Channel) onCardAction(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction, action string) {
	channel, user := cb.Channel.ID, cb.User.ID
	p := c.staff(ctx, user, channel)
	if p == nil {
		return
	}
	loc := c.cfg.TriageLocale
	var (
		t   *backend.Ticket
		err error
	)
	switch action {
	case "claim":
		t, err = c.svc.Claim(ctx, p, a.Value)
	case "status":
		to, number, _ := strings.Cut(a.SelectedOption.Value, " ")
		if botkit.TextActions[backend.Status(to)] != "" {
			return // a modal asks for the text (onBlockAction)
		}
		t, err = c.svc.Transition(ctx, p, number, backend.Status(to), "")
	case "sev":
		sev, number, _ := strings.Cut(a.SelectedOption.Value, " ")
		t, err = c.svc.ChangeSeverity(ctx, p, number, backend.Severity(sev))
	case "ms":
		m, number, _ := strings.Cut(a.SelectedOption.Value, " ")
		t, err = c.svc.RecordMilestone(ctx, p, number, backend.Milestone(m))
	case "files":
		t, err = c.svc.Ticket(ctx, p, a.Value)
		if err == nil {
			var n int
			if n, err = c.sendFiles(ctx, user, t); err == nil {
				c.ephemeral(ctx, channel, user, c.T(loc, "slack.files.sent", map[string]any{"Count": n}))
				return
			}
		}
		c.ephemeral(ctx, channel, user, c.errorText(loc, err))
		return
	case "kb":
		// The solution as it is; the console edits an entry.
		e, err := c.svc.KBFromTicket(ctx, p, a.Value, nil)
		if err != nil {
			c.ephemeral(ctx, channel, user, c.errorText(loc, err))
			return
		}
		c.ephemeral(ctx, channel, user, c.T(loc, "slack.kb.filed", map[string]any{"Number": a.Value, "ID": e.Ref()}))
		return
	default:
		return
	}
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(loc, err))
		return
	}
	c.refreshCard(ctx, t)
}

// openActionModal asks for the text an action needs: the reason to
// return, the question for the reporter, the solution, the reason of a
// transfer (action "transfer=<team id>"), what a ticket duplicates, or
// the update or solution of its incident (botkit.Act).
func (c *Channel) openActionModal(ctx context.Context, trigger, user, action, number, channel string) {
	loc := c.cfg.TriageLocale
	key, team, transfer := strings.Cut(action, "=")
	data := map[string]any{"Number": number}
	if strings.HasPrefix(action, "incident") {
		t, err := c.store.Ticket(ctx, number)
		if err == nil && t.IncidentID == 0 { // a card older than an unlink
			err = backend.NoIncident(t)
		}
		if err != nil {
			c.ephemeral(ctx, channel, user, c.errorText(loc, err))
			return
		}
		data["ID"] = backend.IncidentRef(t.IncidentID)
	}
	if transfer {
		id, _ := strconv.ParseInt(team, 10, 64)
		tm, err := c.svc.Store().Team(ctx, id)
		if err != nil {
			c.ephemeral(ctx, channel, user, c.errorText(loc, err))
			return
		}
		data["Team"] = tm.Name
	}
	in := slack.NewPlainTextInputBlockElement(plainN(c.T(loc, "slack.prompt.placeholder", nil), 150), actValue)
	in.Multiline = true
	in.MaxLength = 3000
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      cbAct,
		Title:           plainN(c.T(loc, "slack.btn."+key, nil), 24),
		Submit:          plainN(c.T(loc, "slack.modal.submit", nil), 24),
		Close:           plainN(c.T(loc, "slack.modal.close", nil), 24),
		PrivateMetadata: action + metaSep + number + metaSep + channel,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("text", plainN(c.T(loc, "slack.prompt."+key, data), 2000), nil, in),
		}},
	}
	if _, err := c.api.OpenViewContext(ctx, trigger, v); err != nil {
		c.log.Warn("slack: views.open failed", "user", user, "err", err)
	}
}

// submitAction takes the text of a return, ask, resolve, propose or
// transfer modal and runs the action (botkit.Act) while the modal waits (up to SubmitWait of Slack's 3 s): an
// empty text, someone who may not act or an action the ticket refuses
// (its status moved on) is shown on the text, and Slack keeps what was
// typed. Past SubmitWait the modal closes; a late failure is told in the
// DM.
func (c *Channel) submitAction(ctx context.Context, cb slack.InteractionCallback) any {
	parts := strings.SplitN(cb.View.PrivateMetadata, metaSep, 3)
	if len(parts) != 3 {
		return nil
	}
	action, number, channel := parts[0], parts[1], parts[2]
	loc := c.cfg.TriageLocale
	text := ""
	if cb.View.State != nil {
		text = strings.TrimSpace(cb.View.State.Values["text"][actValue].Value)
	}
	if text == "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{"text": c.T(loc, "slack.comment.empty", nil)})
	}
	user := cb.User.ID
	return c.fileWaiting(ctx, user, func(ctx context.Context) modalProblem {
		p := c.staffMember(ctx, user)
		if p == nil {
			return modalProblem{block: "text", text: c.T(loc, "slack.triage.not_allowed", nil)}
		}
		t, err := botkit.Act(ctx, c.svc, p, number, action, text)
		if err != nil {
			return modalProblem{block: "text", text: c.errorText(loc, err)}
		}
		c.later(number+channel, func(ctx context.Context) { c.refreshCard(ctx, t) })
		return modalProblem{}
	}, func(p modalProblem) any {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{p.block: clip(p.text, 1000)})
	})
}

// onRating records the reporter's satisfaction from the buttons under a
// resolution notice, and replaces the buttons with the rating.
func (c *Channel) onRating(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	rating := strings.TrimPrefix(a.ActionID, "rt:")
	p, err := c.reporter(ctx, cb.User.ID)
	if err != nil {
		return
	}
	loc := botkit.Locale(p)
	if _, err := c.svc.RecordSatisfaction(ctx, p, a.Value, backend.Satisfaction(rating), ""); err != nil {
		c.refused(ctx, cb, c.errorText(loc, err))
		return
	}
	c.answered(ctx, cb, c.T(loc, "slack.rating.given", map[string]any{"Rating": c.T(loc, "rating."+rating, nil)}))
}

// answered replaces the buttons of the message cb pressed with what the
// press did, under the message's text. An ephemeral message (/ticket
// status) cannot be edited with chat.update and comes without its text:
// it is replaced through the press's response_url, with the answer only.
func (c *Channel) answered(ctx context.Context, cb slack.InteractionCallback, answer string) {
	if cb.Container.IsEphemeral {
		msg := &slack.WebhookMessage{ReplaceOriginal: true, Text: answer,
			Blocks: &slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(mrkdwn(answer), nil, nil)}}}
		err := c.retry(ctx, func() error { return slack.PostWebhookCustomHTTPContext(ctx, cb.ResponseURL, c.http, msg) })
		if err != nil {
			c.log.Warn("slack: replacing an ephemeral message failed", "user", cb.User.ID, "err", err)
		}
		return
	}
	text := entityDecoder.Replace(cb.Message.Text) + "\n" + answer
	c.update(ctx, cb.Channel.ID, cb.Message.Timestamp, text, []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)})
}

// refused tells the presser of an answer button why it changed nothing:
// to them only under an ephemeral message, else where the message is.
func (c *Channel) refused(ctx context.Context, cb slack.InteractionCallback, text string) {
	if cb.Container.IsEphemeral {
		c.ephemeral(ctx, cb.Channel.ID, cb.User.ID, text)
		return
	}
	c.post(ctx, cb.Channel.ID, text, nil, cb.Message.ThreadTimestamp)
}

// onConfirm records the reporter's answer from the buttons under a
// solution put to them (pending confirmation: action cf:y solved, cf:n
// not solved), and replaces the buttons with what it did.
func (c *Channel) onConfirm(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction) {
	solved := a.ActionID == "cf:y"
	p, err := c.reporter(ctx, cb.User.ID)
	if err != nil {
		return
	}
	loc := botkit.Locale(p)
	if _, err := c.svc.ConfirmSolution(ctx, p, a.Value, solved, ""); err != nil {
		c.refused(ctx, cb, c.errorText(loc, err))
		return
	}
	c.answered(ctx, cb, "→ "+botkit.ConfirmedText(c.cat, loc, a.Value, solved))
}

// confirmBlocks are 已解决 / 仍未解决 under a solution put to the reporter.
func (c *Channel) confirmBlocks(loc, text, number string) []slack.Block {
	return []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil), slack.NewActionBlock("cf",
		slack.NewButtonBlockElement("cf:y", number, plainN(botkit.ConfirmLabel(c.cat, loc, true), 75)),
		slack.NewButtonBlockElement("cf:n", number, plainN(botkit.ConfirmLabel(c.cat, loc, false), 75)))}
}

// ratingBlocks are 满意 / 基本满意 / 不满意 under a resolution notice.
func (c *Channel) ratingBlocks(loc, text, number string) []slack.Block {
	var els []slack.BlockElement
	for _, r := range []backend.Satisfaction{backend.SatisfactionSatisfied, backend.SatisfactionBasically, backend.SatisfactionUnsatisfied} {
		els = append(els, slack.NewButtonBlockElement("rt:"+string(r), number, plainN(c.T(loc, "rating."+string(r), nil), 75)))
	}
	return []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil), slack.NewActionBlock("rt", els...)}
}

// editCard shows t on one triage card (chat.update). An edit that did not
// land for a reason that can pass (a rate limit, the network) is tried
// again: after Slack's Retry-After, or a backoff.
func (c *Channel) editCard(ctx context.Context, cm *backend.ChatMessage, t *backend.Ticket) {
	text, blocks := c.cardBlocks(ctx, t)
	err := c.update(ctx, cm.ChatID, cm.MessageID, text, blocks)
	var rl *slack.RateLimitedError
	switch {
	case err == nil:
	case errors.As(err, &rl):
		c.cards.Failed(t, rl.RetryAfter)
	case !uneditable(err):
		c.cards.Failed(t, 0)
	}
}

// uneditable says whether Slack refused an edit for good: the message or
// channel is gone, or the token may not edit it.
func uneditable(err error) bool {
	code := err.Error()
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		code = se.Err
	}
	return permanent[code] || code == "message_not_found" || code == "cant_update_message"
}

// refreshCard updates every triage card of t in place (chat.update).
func (c *Channel) refreshCard(ctx context.Context, t *backend.Ticket) { c.cards.Refresh(ctx, t) }

// TicketChanged updates the triage card after a change made elsewhere
// (another channel, the console, the API). Wire it into
// backend.ServiceConfig.Changed; it does not block.
func (c *Channel) TicketChanged(t *backend.Ticket) {
	c.cards.Changed(t)
	c.pings.Changed(t)
}

// sendFiles uploads t's attachments (botkit.SendFiles) into user's DM with the bot (not the
// channel: contacts and screenshots stay with staff who ask), each with
// its caption, and returns how many it sent.
func (c *Channel) sendFiles(ctx context.Context, user string, t *backend.Ticket) (int, error) {
	dm, err := c.conversation(ctx, user)
	if err != nil {
		return 0, err
	}
	return botkit.SendFiles(t, c.log, func(i int, a backend.Attachment) error {
		caption := c.T(c.cfg.TriageLocale, "slack.files.caption", map[string]any{"Number": t.Number, "I": i, "N": len(t.Attachments), "Name": a.Name})
		return c.upload(ctx, dm, a, caption, "")
	})
}

package slack

import (
	"cmp"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs"
)

// eventCallback is the part of an Events API envelope the channel reads.
type eventCallback struct {
	Type    string `json:"type"`
	EventID string `json:"event_id"`
	Event   struct {
		Type        string       `json:"type"`
		Subtype     string       `json:"subtype"`
		User        string       `json:"user"`
		BotID       string       `json:"bot_id"`
		Channel     string       `json:"channel"`
		ChannelType string       `json:"channel_type"`
		Text        string       `json:"text"`
		TS          string       `json:"ts"`
		ThreadTS    string       `json:"thread_ts"`
		Tab         string       `json:"tab"`
		Files       []slack.File `json:"files"`
	} `json:"event"`
}

// onEventPayload takes one Events API envelope: an event seen before is
// dropped (Slack retries slow answers, X-Slack-Retry-Num / retry_attempt),
// the rest is queued by channel. It returns quickly.
func (c *Channel) onEventPayload(ctx context.Context, raw []byte, retry int) {
	var ev eventCallback
	if err := json.Unmarshal(raw, &ev); err != nil || ev.Type != "event_callback" {
		return
	}
	if ev.EventID != "" {
		first, err := c.dedup.First(ctx, "event:"+ev.EventID, c.cfg.DedupTTL)
		if err != nil {
			// Better twice than never: go on without de-duplication.
			c.log.Warn("slack: cannot de-duplicate event", "event_id", ev.EventID, "err", err)
		} else if !first {
			c.log.Info("slack: duplicate event dropped", "event_id", ev.EventID, "retry", retry)
			return
		}
	}
	e := ev.Event
	switch e.Type {
	case "message":
		if e.BotID != "" || e.User == "" || e.User == c.botID {
			return
		}
		if e.Subtype != "" && e.Subtype != "file_share" && e.Subtype != "thread_broadcast" {
			return
		}
		m := inMessage{user: e.User, channel: e.Channel, text: e.Text, ts: e.TS, thread: e.ThreadTS, files: e.Files}
		if m.thread == m.ts {
			m.thread = ""
		}
		switch {
		case e.ChannelType == "im":
			c.later(e.Channel, func(ctx context.Context) { c.onDM(ctx, c.typed(ctx, m)) })
		case m.thread != "":
			// A thread in a channel: under one of deskbot's cards (in the
			// triage channel or a team's own), an assistant's reply to
			// the reporter; onTriageReply checks which.
			c.later(e.Channel, func(ctx context.Context) { c.onTriageReply(ctx, m) })
		}
	case "app_home_opened":
		if e.Tab == "home" || e.Tab == "" {
			c.later(e.User, func(ctx context.Context) { c.publishHome(ctx, e.User) })
		}
	}
}

// inMessage is a message someone wrote to the bot or in the triage channel.
// Its text is as typed (typed), once a worker has taken it.
type inMessage struct {
	user, channel, text, ts, thread string
	files                           []slack.File
}

// typed is m with its text as the person typed and read it (unformat),
// mentions named. Naming may ask the store and Slack, so it runs in the
// worker, never in the handler that must answer Slack at once.
func (c *Channel) typed(ctx context.Context, m inMessage) inMessage {
	m.text = strings.TrimSpace(unformat(m.text, func(user string) string { return c.mentionName(ctx, user) }))
	return m
}

// mentionName is what a mention of a Slack user without a name in it
// shows: the person's name in deskbot when the account is linked, else
// their Slack display name (users.info); "" when neither says.
func (c *Channel) mentionName(ctx context.Context, user string) string {
	p, err := c.store.PersonByAccount(ctx, Platform, user)
	if err == nil && p.Name != "" {
		return p.Name
	}
	if err != nil && backend.ErrorCode(err) != backend.ENOTFOUND {
		c.log.Warn("slack: looking up a mentioned user", "user", user, "err", err)
	}
	u, err := c.api.GetUserInfoContext(ctx, user)
	if err != nil {
		c.log.Debug("slack: users.info", "user", user, "err", err)
		return ""
	}
	return cmp.Or(u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name)
}

// unformat undoes Slack's formatting of a typed message, so the dialog
// checks and the ticket keep what the person typed and the reporter reads
// what Slack showed: "<mailto:a@b.cn|a@b.cn>" is the e-mail,
// "<https://x|label>" and "<https://x>" the URL; a user mention
// "<@U…|name>" is "@name", "<@U…>" "@" and user(id) (or the id when user
// says ""); a channel "<#C…|name>" is "#name". Special mentions
// ("<!here>", "<!subteam^S…|@ops>") stay as they are, and reach people
// escaped. "&amp;", "&lt;", "&gt;" are decoded last. Modal values are raw
// and need nothing.
func unformat(s string, user func(id string) string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		inner := s[i+1 : i+j]
		switch {
		case inner == "":
			b.WriteString(s[i : i+j+1])
		case inner[0] == '!':
			b.WriteString(s[i : i+j+1])
		case inner[0] == '@' || inner[0] == '#':
			b.WriteString(mention(s[i:i+j+1], user))
		default:
			link, _, _ := strings.Cut(inner, "|")
			b.WriteString(strings.TrimPrefix(link, "mailto:"))
		}
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return entityDecoder.Replace(b.String())
}

// mention is how Slack shows a user or channel mention tag ("<@U1|name>",
// "<#C1|name>") in unformat.
func mention(tag string, user func(id string) string) string {
	ref, label, _ := strings.Cut(tag[1:len(tag)-1], "|")
	switch {
	case len(ref) < 2:
		return tag // "<@>": nobody
	case ref[0] == '#':
		return "#" + cmp.Or(label, ref[1:])
	case label == "":
		label = cmp.Or(user(ref[1:]), ref[1:])
	}
	return "@" + label
}

// entityDecoder decodes the three characters Slack escapes (one pass, so
// "&amp;lt;" stays "&lt;").
var entityDecoder = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// onCommand answers /ticket at once and does the work after:
// "/ticket" (or "/ticket <form>") opens the modal, "/ticket status
// NUMBER" and "/ticket my" answer privately.
func (c *Channel) onCommand(_ context.Context, cmd slack.SlashCommand) any {
	word, arg, _ := strings.Cut(strings.TrimSpace(cmd.Text), " ")
	word, arg = strings.ToLower(word), strings.TrimSpace(arg)
	user, channel := cmd.UserID, cmd.ChannelID
	switch {
	case word == "status" || backend.ValidNumber(strings.ToUpper(word)):
		if arg == "" {
			arg = word
		}
		c.later(user, func(ctx context.Context) { c.commandStatus(ctx, user, channel, strings.ToUpper(arg)) })
	case word == "my":
		c.later(user, func(ctx context.Context) { c.commandMy(ctx, user, channel) })
	case word == "tasks":
		c.later(user, func(ctx context.Context) { c.commandTasks(ctx, user, channel) }) // task.go
	case word == "help":
		c.later(user, func(ctx context.Context) { c.commandHelp(ctx, user, channel) })
	case word == "console":
		c.later(user, func(ctx context.Context) { c.commandConsole(ctx, user, channel) })
	case word == "report":
		c.later(user, func(ctx context.Context) { c.commandReport(ctx, user, channel, arg) })
	case word == "lang":
		c.later(user, func(ctx context.Context) { c.commandLang(ctx, user, channel, arg) })
	default:
		form := c.cfg.DefaultForm
		if word != "" {
			form = word
		}
		trigger := cmd.TriggerID
		// The trigger expires in 3 s: open the modal right away, not
		// behind this user's queue.
		go c.openModal(context.WithoutCancel(context.Background()), trigger, user, form)
	}
	return nil
}

// onInteraction answers a button, a shortcut or a modal submission. A
// modal is validated here, synchronously, so errors show on its fields;
// everything else is queued and the answer is empty.
func (c *Channel) onInteraction(ctx context.Context, cb slack.InteractionCallback) any {
	user := cb.User.ID
	switch cb.Type {
	case slack.InteractionTypeShortcut, slack.InteractionTypeMessageAction:
		trigger := cb.TriggerID
		go c.openModal(context.WithoutCancel(ctx), trigger, user, c.cfg.DefaultForm)
		return nil
	case slack.InteractionTypeViewSubmission:
		switch cb.View.CallbackID {
		case cbTicket:
			return c.submitTicket(ctx, cb)
		case cbAct:
			return c.submitAction(ctx, cb)
		case cbSuggest:
			return c.submitHeld(ctx, cb)
		case cbTask, cbTaskObject:
			return c.submitTask(ctx, cb, cb.View.CallbackID == cbTaskObject) // task.go
		}
		return nil
	case slack.InteractionTypeBlockActions:
		for _, a := range cb.ActionCallback.BlockActions {
			c.onBlockAction(cb, a)
		}
	}
	return nil
}

func (c *Channel) onBlockAction(cb slack.InteractionCallback, a *slack.BlockAction) {
	user := cb.User.ID
	prefix, _, _ := strings.Cut(a.ActionID, ":")
	switch {
	case a.ActionID == actRoot && cb.View.CallbackID == cbTicket:
		c.later(user, func(ctx context.Context) { c.onRootPicked(ctx, cb, a) })
	case prefix == "dlg":
		c.later(cb.Channel.ID, func(ctx context.Context) { c.onDialogButton(ctx, cb, a) })
	case prefix == "tk":
		trigger := cb.TriggerID
		action := strings.TrimPrefix(a.ActionID, "tk:")
		if action == "status" {
			// A status that needs a text opens the same modal as its button.
			to, number, _ := strings.Cut(a.SelectedOption.Value, " ")
			if needs := botkit.TextActions[backend.Status(to)]; needs != "" {
				go c.openActionModal(context.Background(), trigger, user, needs, number, cb.Channel.ID)
				return
			}
		}
		if act, ok := teamActions[action]; ok {
			// A team picked: the reason of the transfer, or the
			// question for that team, is asked for.
			team, number, _ := strings.Cut(a.SelectedOption.Value, " ")
			go c.openActionModal(context.Background(), trigger, user, act+team, number, cb.Channel.ID)
			return
		}
		if botkit.NeedsText(action) {
			// Needs a text: a modal, opened before the trigger expires.
			go c.openActionModal(context.Background(), trigger, user, action, a.Value, cb.Channel.ID)
			return
		}
		c.later(a.Value+cb.Channel.ID, func(ctx context.Context) { c.onCardAction(ctx, cb, a, action) })
	case prefix == prefixSuggest && cb.View.CallbackID == cbSuggest:
		c.later(user, func(ctx context.Context) { c.onSuggestionChoice(ctx, cb, a) })
	case a.ActionID == actTask, a.ActionID == actTaskObject:
		// The result's (or the objection's) modal, opened before the
		// trigger expires.
		go c.openTaskModal(context.WithoutCancel(context.Background()), cb.TriggerID, user, a.Value, cb.Channel.ID, cb.Message, a.ActionID == actTaskObject)
	case prefix == "rt":
		c.later(user, func(ctx context.Context) { c.onRating(ctx, cb, a) })
	case prefix == "cf":
		c.later(user, func(ctx context.Context) { c.onConfirm(ctx, cb, a) })
	case prefix == "sl":
		c.later(user, func(ctx context.Context) { c.onPingAction(ctx, cb, a) })
	case prefix == "rs":
		c.later(user, func(ctx context.Context) { c.onReportSubscription(ctx, cb, a) })
	case prefix == "fu":
		c.later(cb.Channel.ID+cb.Message.Timestamp, func(ctx context.Context) { c.onFollowUpAction(ctx, cb, a) }) // followup.go
	case a.ActionID == "home:new":
		go c.openModal(context.Background(), cb.TriggerID, user, c.cfg.DefaultForm)
	}
}

// submitTicket validates a submitted intake modal as a whole. Problems go
// back as per-field errors (Slack keeps everything typed); a complete
// form closes the modal and is filed right after.
func (c *Channel) submitTicket(ctx context.Context, cb slack.InteractionCallback) any {
	meta := parseMeta(cb.View.PrivateMetadata)
	f, ok := c.engine.Form(meta.Form)
	if !ok {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{})
	}
	loc := c.cfg.TriageLocale
	if p, err := c.store.PersonByAccount(ctx, Platform, cb.User.ID); err == nil {
		loc = botkit.Locale(p)
	} else if cb.User.Locale != "" {
		loc = cb.User.Locale
	}
	answers, slackFiles := submitted(f, cb.View.State)
	refs := make([]dialogs.FileRef, len(slackFiles))
	for i, sf := range slackFiles {
		refs[i] = dialogs.FileRef{ID: sf.ID, Name: sf.Name, ContentType: sf.Mimetype, Size: int64(sf.Size)}
	}
	draft, problems, _ := c.engine.ValidateAll(f.ID, answers, refs, loc)
	errs := c.freeTextProblems(f, cb.View.State, loc)
	for field, p := range problems {
		errs[problemBlock(f, field, meta, answers, cb.View.State)] = clip(p, 1000)
	}
	if len(errs) > 0 {
		return slack.NewErrorsViewSubmissionResponse(errs)
	}
	if cb.View.ID != "" {
		// One modal files one ticket, however often it is submitted.
		draft.ID = "slack:" + cb.View.ID
	}
	user := cb.User.ID
	if resp := c.offerSuggestions(ctx, f, user, cb.View.ID, draft, slackFiles); resp != nil {
		return resp
	}
	return c.fileWaiting(ctx, user, func(ctx context.Context) modalProblem {
		return c.fileModal(ctx, user, draft, slackFiles)
	}, func(p modalProblem) any {
		block := p.block
		if block == "" {
			block = firstInput(f)
		}
		return slack.NewErrorsViewSubmissionResponse(map[string]string{block: clip(p.text, 1000)})
	})
}

// fileWaiting files (run) while the modal waits: a failure (a file that
// cannot be downloaded, the database away, an action the ticket refuses)
// is answered with onProblem and the modal stays open with everything in
// it. Past SubmitWait the modal closes and run goes on; a late failure is
// told in the DM.
func (c *Channel) fileWaiting(ctx context.Context, user string, run func(context.Context) modalProblem, onProblem func(modalProblem) any) any {
	done := make(chan modalProblem, 1)
	go func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		done <- run(fctx)
	}()
	select {
	case p := <-done:
		if p.text != "" {
			return onProblem(p)
		}
	case <-time.After(c.cfg.SubmitWait):
		go func() {
			if p := <-done; p.text != "" {
				c.later(user, func(ctx context.Context) { c.dm(ctx, user, p.text) })
			}
		}()
	}
	return slack.NewClearViewSubmissionResponse()
}

// problemBlock is the block of the intake modal a field's problem is shown
// on: the field's own, or the block below it that holds the faulty part
// (a tree's child or "other" text, a free-text choice's typed text).
func problemBlock(f *dialogs.Form, field string, meta modalMeta, answers map[string]string, st *slack.ViewState) string {
	fd := f.Field(field)
	switch {
	case fd == nil:
		return field
	case fd.Type == dialogs.TypeTree && meta.Roots[field] != "" && answers[field] != meta.Roots[field]:
		// The child was chosen: the problem is below it.
		if strings.TrimSpace(answers[field+"_other"]) == "" && strings.HasSuffix(answers[field], "other") {
			return field + sufOther
		}
		return field + sufChild
	case hasFreeText(fd) && typedText(st, fd) != "":
		return field + sufText
	}
	return field
}

// modalProblem is why a complete modal could not be filed: a text for
// the reporter, on a block of the modal ("" for the first).
type modalProblem struct{ block, text string }

// fileModal downloads the modal's files and files the draft through the
// dialogs' Filer (the reporter hears the number through the outbox).
func (c *Channel) fileModal(ctx context.Context, user string, d dialogs.Draft, files []slack.File) modalProblem {
	d, p := c.fetchFiles(ctx, d, files)
	if p.text != "" {
		return p
	}
	return c.fileDraft(ctx, user, d)
}

// fetchFiles downloads the modal's files into d's attachments.
func (c *Channel) fetchFiles(ctx context.Context, d dialogs.Draft, files []slack.File) (dialogs.Draft, modalProblem) {
	f, _ := c.engine.Form(d.Form)
	d.Attachments = make([]dialogs.FileRef, 0, len(files))
	for _, sf := range files {
		ref, err := c.fetch(ctx, sf)
		if err != nil {
			return d, modalProblem{block: attachmentsField(f), text: c.fileProblem(d.Locale, err)}
		}
		d.Attachments = append(d.Attachments, ref)
	}
	return d, modalProblem{}
}

// fileDraft files a complete draft whose files are downloaded.
func (c *Channel) fileDraft(ctx context.Context, user string, d dialogs.Draft) modalProblem {
	number, err := c.engine.FileDraft(ctx, c.sessionKey(user), d)
	if err != nil {
		c.log.Warn("slack: filing a modal failed", "user", user, "err", err)
		return modalProblem{text: c.errorText(d.Locale, err)}
	}
	c.log.Info("slack: ticket filed from a modal", "ticket", number, "user", user)
	return modalProblem{}
}

// firstInput is the block id of the form's first field.
func firstInput(f *dialogs.Form) string {
	if f == nil || len(f.Fields) == 0 {
		return ""
	}
	return f.Fields[0].ID
}

// attachmentsField is the block id of the form's attachments field.
func attachmentsField(f *dialogs.Form) string {
	if f != nil {
		for _, fd := range f.Fields {
			if fd.Type == dialogs.TypeAttachments {
				return fd.ID
			}
		}
	}
	return firstInput(f)
}

func (c *Channel) sessionKey(user string) dialogs.SessionKey {
	return dialogs.SessionKey{Platform: Platform, ChatID: user, UserID: user}
}

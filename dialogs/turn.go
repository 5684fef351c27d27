package dialogs

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/dialogs/catalog"
)

type commitKind int

const (
	commitNone   commitKind = iota // nothing changed
	commitSave                     // store st
	commitDelete                   // the dialog is over
)

type effectKind int

const (
	effectNone effectKind = iota
	effectFile            // after saving the filing step, call the Filer
)

// turn applies one input to one dialog state. It only computes: the engine
// stores the result (or retries the whole turn on a concurrent change), so
// everything a turn does must be safe to repeat.
type turn struct {
	e      *Engine
	ctx    context.Context
	key    SessionKey
	form   *Form
	st     *state
	in     Input
	locale string

	out    Output
	stale  bool // in.Button is of an earlier turn
	commit commitKind
	effect effectKind
	err    error
}

func (e *Engine) newTurn(ctx context.Context, key SessionKey, f *Form, st *state, in Input) *turn {
	if st.Answers == nil {
		st.Answers = map[string]*Answer{}
	}
	return &turn{e: e, ctx: ctx, key: key, form: f, st: st, in: in, locale: st.Locale, commit: commitSave}
}

func (t *turn) field() *Field { return t.form.Fields[t.st.Field] }

func (t *turn) run() {
	st := t.st
	if st.Step == stepFiling {
		if t.e.now().Sub(st.FilingAt) < filingStale {
			t.say("dialog.filing.busy", nil)
			t.commit = commitNone
			return
		}
		st.Step = stepConfirm // the filing process died; let the reporter confirm again
	}

	if t.stale {
		t.staleButton()
		return
	}

	cmd, isCmd := t.e.cmds.parse(t.in)
	typed := isCmd && t.in.Button == ""

	if st.Pending != "" {
		pending := st.Pending
		st.Pending = ""
		switch {
		case isCmd && (cmd.name == cmdYes || cmd.name == cmdConfirm || cmd.name == pending):
			t.doPending(pending)
			return
		case isCmd && cmd.name == cmdNo:
			t.say("dialog.pending.kept", nil)
			t.reshow()
			return
		}
		// Anything else answers the current question as usual.
	}

	if isCmd {
		if t.command(cmd) || !typed {
			return
		}
		// A typed word that is a command elsewhere ("ok", "no") but means
		// nothing here is an ordinary answer.
	}

	switch {
	case strings.HasPrefix(t.in.Button, "opt:"):
		t.optionButton(strings.TrimPrefix(t.in.Button, "opt:"))
		return
	case strings.HasPrefix(t.in.Button, "ord:"):
		t.orderButton(strings.TrimPrefix(t.in.Button, "ord:"))
		return
	case strings.HasPrefix(t.in.Button, "sug:"):
		t.suggestionButton(strings.TrimPrefix(t.in.Button, "sug:"))
		return
	case strings.HasPrefix(t.in.Button, "start:"):
		t.say("dialog.err.start.active", nil)
		t.reshow()
		return
	case t.in.Button != "":
		t.staleButton()
		return
	}

	switch st.Step {
	case stepField:
		if len(t.in.Files) > 0 {
			if !t.receiveFiles() {
				t.ask()
				return
			}
			if strings.TrimSpace(t.in.Text) == "" || t.field().Type == TypeAttachments {
				t.ask()
				return
			}
			// A caption answers the current question.
		}
		t.answerText(t.in.Text)
	case stepSuggest:
		if len(t.in.Files) > 0 {
			t.receiveFiles() // kept for the attachments question
		}
		t.say("dialog.suggest.choose", nil)
		t.showSuggestions()
	case stepReview:
		t.refuseFiles()
		t.say("dialog.review.hint", nil)
		t.review()
	case stepConfirm:
		t.refuseFiles()
		t.say("dialog.confirm.hint", nil)
		t.confirmCard()
	}
}

// command runs a command and reports whether it applied here.
func (t *turn) command(c command) bool {
	st := t.st
	switch c.name {
	case cmdCancel, cmdRestart:
		if len(st.Answers) == 0 {
			t.doPending(c.name)
			return true
		}
		st.Pending = c.name
		question, yes := "dialog.pending.cancel", "dialog.btn.yes_cancel"
		if c.name == cmdRestart {
			question, yes = "dialog.pending.restart", "dialog.btn.yes_restart"
		}
		t.out.Replies = append(t.out.Replies, Reply{
			Text: t.T(question, nil),
			Buttons: [][]Button{{
				{ID: "cmd:yes", Label: t.T(yes, nil)},
				{ID: "cmd:no", Label: t.T("dialog.btn.no_continue", nil)},
			}},
		})
		return true
	case cmdHelp:
		if st.Step == stepField {
			t.say(t.helpKey(t.field()), t.helpData(t.field()))
		} else {
			t.say("dialog.help.general", nil)
		}
		t.reshow()
		return true
	case cmdLang:
		loc := catalog.Normalize(c.arg)
		if !t.e.cat.Supported(c.arg) && parseLangArg(c.arg) == "" {
			t.say("dialog.err.lang", nil)
			t.reshow()
			return true
		}
		st.Locale, t.locale = loc, loc
		t.say("dialog.lang.changed", nil)
		t.reshow()
		return true
	case cmdBack:
		t.back()
		return true
	case cmdEdit:
		if st.Step != stepReview && st.Step != stepConfirm {
			t.say("dialog.err.edit.not_now", nil)
			t.reshow()
			return true
		}
		n, _ := strconv.Atoi(c.arg)
		if n < 1 || n > len(t.form.Fields) {
			t.say("dialog.err.edit.range", map[string]any{"Max": len(t.form.Fields)})
			t.review()
			return true
		}
		st.Step, st.Field, st.Editing, st.Path, st.Other, st.Strikes = stepField, n-1, true, nil, false, 0
		t.ask()
		return true
	case cmdSubmit, cmdConfirm:
		switch st.Step {
		case stepReview:
			t.submit()
			return true
		case stepConfirm:
			st.Step, st.FilingAt = stepFiling, t.e.now()
			t.effect = effectFile
			return true
		}
		return t.notHere(c)
	case cmdContinue:
		if st.Step == stepSuggest {
			st.Suggestions = nil
			t.next(t.form.Field(t.form.SuggestAfter).Index)
			return true
		}
		return t.notHere(c)
	}
	if st.Step != stepField {
		return t.notHere(c)
	}
	fd := t.field()
	switch c.name {
	case cmdSkip:
		if fd.IsRequired(st.Answers) {
			t.say("dialog.err.skip.required", map[string]any{"Label": t.T(fd.Key("label"), nil)})
			t.ask()
			return true
		}
		if a := st.Answers[fd.ID]; fd.Type == TypeAttachments && a != nil && len(a.Files) > 0 {
			t.accept(fd, a) // files already sent are kept: skip means "no more"
			return true
		}
		t.accept(fd, &Answer{Skipped: true})
		return true
	case cmdKeep:
		if a := st.Answers[fd.ID]; a != nil && len(st.Path) == 0 && !st.Other {
			if a.empty() && fd.IsRequired(st.Answers) {
				t.say("dialog.err.skip.required", map[string]any{"Label": t.T(fd.Key("label"), nil)})
				t.ask()
				return true
			}
			t.accept(fd, a)
			return true
		}
		return t.notHere(c)
	case cmdDone:
		if fd.Type != TypeAttachments {
			return t.notHere(c)
		}
		a := st.Answers[fd.ID]
		n := 0
		if a != nil {
			n = len(a.Files)
		}
		switch {
		case n == 0 && fd.IsRequired(st.Answers):
			t.wrong(problem("dialog.err.file.required", "Label", t.T(fd.Key("label"), nil)))
		case n < fd.MinFiles && (n > 0 || fd.IsRequired(st.Answers)):
			t.wrong(problem("dialog.err.file.min", "Min", fd.MinFiles, "Got", n))
		case n == 0:
			t.accept(fd, &Answer{Skipped: true})
		default:
			t.accept(fd, a)
		}
		return true
	case cmdClear:
		if fd.Type != TypeAttachments {
			return t.notHere(c)
		}
		delete(st.Answers, fd.ID)
		t.say("dialog.files.cleared", nil)
		t.ask()
		return true
	}
	return t.notHere(c)
}

// notHere handles a command that means nothing at this step: a button says
// so; a typed word is left to be read as an answer.
func (t *turn) notHere(c command) bool {
	if t.in.Button == "" {
		return false
	}
	t.staleButton()
	return true
}

func (t *turn) doPending(name string) {
	switch name {
	case cmdCancel:
		t.say("dialog.cancelled", nil)
		t.startMenu()
		t.commit = commitDelete
		t.out.Done, t.out.Outcome = true, OutcomeCancelled
	case cmdRestart:
		fresh := t.e.newState(t.form, t.st.Locale)
		*t.st = *fresh
		t.st.Answers = map[string]*Answer{}
		t.say("dialog.restarted", nil)
		t.ask()
	}
}

func (t *turn) back() {
	st := t.st
	st.Strikes = 0
	switch st.Step {
	case stepField:
		switch {
		case st.Other:
			st.Other = false
			st.Path = st.Path[:len(st.Path)-1]
		case len(st.Path) > 0:
			st.Path = st.Path[:len(st.Path)-1]
		case st.Editing:
			st.Editing = false
			st.Step = stepReview
			t.review()
			return
		case len(st.History) > 0:
			st.Field = st.History[len(st.History)-1]
			st.History = st.History[:len(st.History)-1]
		default:
			t.say("dialog.err.back.first", nil)
		}
		t.ask()
	case stepSuggest:
		st.Suggestions = nil
		st.Step = stepField
		st.Field = t.form.Field(t.form.SuggestAfter).Index
		t.ask()
	case stepReview:
		st.Step = stepField
		st.Field = len(t.form.Fields) - 1
		t.ask()
	case stepConfirm:
		st.Step = stepReview
		t.review()
	}
}

// answerText validates typed text for the current field.
func (t *turn) answerText(text string) {
	st := t.st
	fd := t.field()
	var (
		a *Answer
		p *Problem
	)
	switch fd.Type {
	case TypeText:
		var s string
		if s, p = ValidateText(text, fd.MinLength, fd.MaxLength); p == nil {
			a = &Answer{Text: s}
		}
	case TypeID:
		var s string
		if s, p = ValidateID(text, fd); p == nil {
			a = &Answer{Text: s}
		}
	case TypeChoice, TypeSeverity:
		if o := t.matchOption(fd.Options, text); o != nil {
			a = &Answer{Option: o.ID}
		} else if fd.FreeText {
			var s string
			if s, p = ValidateText(text, 1, fd.MaxLength); p == nil {
				a = &Answer{Text: s}
			}
		} else {
			p = t.unknownOption(fd.Options, text)
		}
	case TypeTree:
		if st.Other {
			var s string
			if s, p = ValidateText(text, 1, fd.OtherMaxLength); p == nil {
				a = &Answer{Path: st.Path, Other: s}
			}
			break
		}
		opts := t.treeLevel(fd)
		if o := t.matchOption(opts, text); o != nil {
			t.pickTree(fd, o)
			return
		}
		p = t.unknownOption(opts, text)
	case TypeDateTime:
		var dt DateTime
		if dt, p = ParseDateTime(text, t.e.now(), t.e.loc); p == nil {
			if fd.MaxAge > 0 && t.e.now().Sub(dt.Time) > fd.MaxAge {
				p = problem("dialog.err.datetime.too_old", "When", dt.Format(), "Days", int(fd.MaxAge/(24*time.Hour)))
			} else {
				a = &Answer{Time: &dt}
			}
		}
	case TypeContact:
		var c Contacts
		if c, p = ParseContacts(text, fd.Kinds); p == nil {
			a = &Answer{Contacts: &c}
		}
	case TypeAttachments:
		if strings.TrimSpace(text) == "" {
			p = problem("dialog.err.text.empty")
		} else {
			p = problem("dialog.err.file.expected")
		}
	}
	if p != nil {
		t.wrong(p)
		return
	}
	t.accept(fd, a)
}

// accept records a valid answer and moves on.
func (t *turn) accept(fd *Field, a *Answer) {
	st := t.st
	st.Answers[fd.ID] = a
	st.Strikes, st.Path, st.Other = 0, nil, false
	if !a.empty() {
		t.say("dialog.ack", map[string]any{"Label": t.T(fd.Key("label"), nil), "Value": t.value(fd, a)})
	}
	if fd.Lookup != nil {
		t.lookupCustomer(fd, a)
	}
	if o := st.customerOrder(a.Text); o != nil && t.form.isOrderField(fd) {
		if d := t.e.orderDetail(t.locale, *o); d != "" {
			t.say("dialog.customer.order_picked", map[string]any{"Detail": d})
		}
	}
	if !st.Suggested && t.form.SuggestAfter == fd.ID && t.e.suggester != nil && !st.Editing {
		st.Suggested = true
		d := t.e.buildDraft(t.form, st)
		if sugs := t.e.Suggest(t.ctx, t.key, d); len(sugs) > 0 {
			st.Step, st.Suggestions = stepSuggest, sugs
			t.showSuggestions()
			return
		}
	}
	t.next(fd.Index)
}

// next asks the field after from, or goes to the summary.
func (t *turn) next(from int) {
	st := t.st
	st.Step = stepField
	if !st.Editing && from+1 < len(t.form.Fields) {
		st.History = append(st.History, from)
		st.Field = from + 1
		t.ask()
		return
	}
	t.fillOrReview()
}

// fillOrReview asks the first required field still empty (a change of
// severity may have made one required), or shows the summary.
func (t *turn) fillOrReview() {
	st := t.st
	if fd := t.firstMissing(); fd != nil {
		st.Step, st.Field, st.Editing = stepField, fd.Index, true
		t.say("dialog.now_required", map[string]any{"Label": t.T(fd.Key("label"), nil)})
		t.ask()
		return
	}
	st.Step, st.Editing = stepReview, false
	t.review()
}

func (t *turn) firstMissing() *Field {
	for _, fd := range t.form.Fields {
		if fd.IsRequired(t.st.Answers) && t.st.Answers[fd.ID].empty() {
			return fd
		}
	}
	return nil
}

func (t *turn) submit() {
	if fd := t.firstMissing(); fd != nil {
		t.st.Step, t.st.Field, t.st.Editing = stepField, fd.Index, true
		t.say("dialog.now_required", map[string]any{"Label": t.T(fd.Key("label"), nil)})
		t.ask()
		return
	}
	t.st.Step = stepConfirm
	t.confirmCard()
}

// wrong re-asks after a bad answer, saying what was wrong; every third
// wrong answer in a row adds the field's help and examples.
func (t *turn) wrong(p *Problem) {
	st := t.st
	st.Strikes++
	text := t.problemText(p)
	if st.Strikes%3 == 0 {
		fd := t.field()
		text += "\n\n" + t.T(t.helpKey(fd), t.helpData(fd))
	}
	t.out.Replies = append(t.out.Replies, Reply{Text: text})
	t.ask()
}

func (t *turn) problemText(p *Problem) string {
	data := make(map[string]any, len(p.Data))
	for k, v := range p.Data {
		if name, ok := strings.CutSuffix(k, "Key"); ok {
			if key, ok := v.(string); ok {
				data[name] = t.T(key, nil)
				continue
			}
		}
		if name, ok := strings.CutSuffix(k, "Keys"); ok { // a list, of catalog keys or words
			if keys, ok := v.([]string); ok {
				words := make([]string, len(keys))
				for i, key := range keys {
					words[i] = t.T(key, nil)
				}
				data[name] = strings.Join(words, t.T("dialog.list_sep", nil))
				continue
			}
		}
		data[k] = v
	}
	return t.T(p.Key, data)
}

// matchOption finds the option a typed answer means: its number in the
// list, its id, or its label in any language.
func (t *turn) matchOption(opts []*Option, text string) *Option {
	s := strings.ToLower(normalizeInput(text))
	if s == "" {
		return nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(opts) {
		return opts[n-1]
	}
	for _, o := range opts {
		if strings.ToLower(o.ID) == s {
			return o
		}
		for _, loc := range t.e.cat.Locales() {
			if strings.ToLower(normalizeInput(t.e.cat.T(loc, o.Key, nil))) == s {
				return o
			}
		}
	}
	return nil
}

func (t *turn) unknownOption(opts []*Option, text string) *Problem {
	labels := make([]string, len(opts))
	for i, o := range opts {
		labels[i] = strconv.Itoa(i+1) + ". " + t.T(o.Key, nil)
		if isSeverityLevel(o.ID) {
			labels[i] = strconv.Itoa(i+1) + ". " + o.ID + " " + t.T(o.Key, nil)
		}
	}
	return problem("dialog.err.choice.unknown", "Value", clip(normalizeInput(text), 40), "Options", strings.Join(labels, "  "))
}

// treeLevel returns the options at the current depth of a tree field.
func (t *turn) treeLevel(fd *Field) []*Option {
	if len(t.st.Path) == 0 {
		return fd.Options
	}
	if o := findOption(fd.Options, strings.Join(t.st.Path, "/")); o != nil {
		return o.Children
	}
	return fd.Options
}

func (t *turn) pickTree(fd *Field, o *Option) {
	st := t.st
	st.Path = strings.Split(o.Path, "/")
	switch {
	case len(o.Children) > 0:
		t.ask()
	case o.Other:
		st.Other = true
		t.ask()
	default:
		t.accept(fd, &Answer{Path: st.Path})
	}
}

// optionButton handles "opt:<field>:<option path>".
func (t *turn) optionButton(rest string) {
	st := t.st
	fieldID, optPath, _ := strings.Cut(rest, ":")
	if st.Step != stepField || t.field().ID != fieldID {
		t.staleButton()
		return
	}
	fd := t.field()
	o := findOption(fd.Options, optPath)
	if o == nil {
		t.staleButton()
		return
	}
	if fd.Type == TypeTree {
		st.Other = false
		t.pickTree(fd, o)
		return
	}
	t.accept(fd, &Answer{Option: o.ID})
}

// receiveFiles takes the files of the input into the form's attachments
// field, whatever the current question (a reporter often sends the
// screenshot first). It reports whether to go on with the input.
func (t *turn) receiveFiles() bool {
	st := t.st
	var fd *Field
	for _, f := range t.form.Fields {
		if f.Type == TypeAttachments {
			fd = f
			break
		}
	}
	if fd == nil {
		t.say("dialog.err.file.none_here", map[string]any{"Count": len(t.in.Files)})
		return false
	}
	a := st.Answers[fd.ID]
	if a == nil || a.Skipped {
		a = &Answer{}
	}
	var refused []string
	added := 0
	for _, f := range t.in.Files {
		if len(a.Files) >= fd.MaxFiles {
			refused = append(refused, t.problemText(problem("dialog.err.file.too_many", "Name", clip(fileName(f), 60), "Max", fd.MaxFiles)))
			continue
		}
		if p := ValidateFile(f, fd); p != nil {
			refused = append(refused, t.problemText(p))
			continue
		}
		a.Files = append(a.Files, f)
		added++
	}
	if added > 0 {
		st.Answers[fd.ID] = a
	}
	lines := refused
	if added > 0 {
		key := "dialog.files.received"
		if t.field() != fd {
			key = "dialog.files.received_elsewhere"
		}
		lines = append([]string{t.T(key, map[string]any{"Added": added, "Total": len(a.Files), "Max": fd.MaxFiles, "Label": t.T(fd.Key("label"), nil)})}, refused...)
	}
	t.out.Replies = append(t.out.Replies, Reply{Text: strings.Join(lines, "\n")})
	if len(refused) > 0 && st.Step == stepField && t.field() == fd {
		st.Strikes++
	}
	return true
}

func (t *turn) refuseFiles() {
	if len(t.in.Files) > 0 {
		t.say("dialog.err.file.not_now", map[string]any{"Count": len(t.in.Files)})
	}
}

func fileName(f FileRef) string {
	if f.Name != "" {
		return f.Name
	}
	return f.ID
}

// suggestionButton handles "sug:join:<id>", "sug:add:<number>" and
// "sug:solved:<id>".
func (t *turn) suggestionButton(rest string) {
	st := t.st
	action, id, _ := strings.Cut(rest, ":")
	if action == cmdContinue {
		t.command(command{name: cmdContinue})
		return
	}
	var sug *Suggestion
	for i := range st.Suggestions {
		if st.Suggestions[i].ID == id {
			sug = &st.Suggestions[i]
		}
	}
	if st.Step != stepSuggest || sug == nil {
		t.staleButton()
		return
	}
	d := t.e.buildDraft(t.form, st)
	switch {
	case action == "join" && sug.Kind == SuggestionIncident:
		if err := t.e.JoinIncident(t.ctx, t.key, sug.ID, d); err != nil {
			t.e.log.ErrorContext(t.ctx, "dialogs: joining incident failed", "incident", sug.ID, "err", err)
			t.say("dialog.suggest.join_failed", nil)
			t.showSuggestions()
			return
		}
		t.say("dialog.suggest.joined", map[string]any{"ID": sug.ID, "Title": sug.Title})
		t.out.Outcome = OutcomeJoined
	case action == "add" && sug.Kind == SuggestionTicket:
		if err := t.e.AddToTicket(t.ctx, t.key, sug.ID, d); err != nil {
			t.e.log.ErrorContext(t.ctx, "dialogs: adding to a ticket failed", "ticket", sug.ID, "err", err)
			t.say("dialog.suggest.add_failed", map[string]any{"ID": sug.ID})
			t.showSuggestions()
			return
		}
		t.say("dialog.suggest.added", map[string]any{"ID": sug.ID})
		t.out.Outcome = OutcomeAdded
	case action == "solved":
		t.say("dialog.suggest.solved", nil)
		t.out.Outcome = OutcomeSolved
	default:
		t.staleButton()
		return
	}
	t.commit = commitDelete
	t.out.Done, t.out.SuggestionID, t.out.Draft = true, sug.ID, &d
}

// reshow repeats whatever the reporter is being asked now.
func (t *turn) reshow() {
	switch t.st.Step {
	case stepField:
		t.ask()
	case stepSuggest:
		t.showSuggestions()
	case stepReview:
		t.review()
	case stepConfirm, stepFiling:
		t.confirmCard()
	}
}

// staleButton answers a button of an earlier question (or of nothing
// the dialog asks now): nothing is recorded, and the current question is
// shown again.
func (t *turn) staleButton() {
	t.out.Stale = true
	t.say("dialog.err.stale_button", nil)
	t.reshow()
}

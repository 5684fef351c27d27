package dialogs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Shanghai must load in a scratch container too

	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Input is one thing a reporter did: typed Text, pressed Button (its ID),
// sent Files, or several at once (a photo with a caption). Locale is the
// platform's locale for the user, if known ("zh-hans", "en-US"); it picks
// the language of a new dialog.
type Input struct {
	Text   string
	Button string
	Files  []FileRef
	Locale string
}

// Output is what the channel shows, in order, and how the dialog ended.
type Output struct {
	Replies []Reply
	// Draft is set when the dialog ended with a ticket, a joined incident
	// or a solved problem: what the reporter had entered.
	Draft *Draft
	// Done is set when the dialog is over (filed, joined, solved,
	// cancelled); the session is gone.
	Done bool
	// TicketNumber is the number the Filer returned.
	TicketNumber string
	// Outcome says how a Done dialog ended.
	Outcome Outcome
	// SuggestionID is the incident joined, the knowledge-base entry that
	// solved the problem or the number of the ticket added to.
	SuggestionID string
	// Stale is set when the input was a button of an earlier question:
	// nothing was recorded, and the replies show the current question again.
	Stale bool
}

// Outcome is how a dialog ended.
type Outcome string

// Outcomes.
const (
	OutcomeNone      Outcome = ""
	OutcomeFiled     Outcome = "filed"
	OutcomeCancelled Outcome = "cancelled"
	OutcomeJoined    Outcome = "joined" // the reporter joined an open incident instead of filing
	OutcomeSolved    Outcome = "solved" // a knowledge-base answer solved it
	OutcomeAdded     Outcome = "added"  // added to the reporter's own open ticket instead of filing
)

// Reply is one message to show. Text is always complete on its own;
// Buttons, ExpectFile and Summary let a richer channel do better (inline
// keyboards, a file picker, a Slack block card).
type Reply struct {
	Text       string
	Buttons    [][]Button
	ExpectFile bool
	Summary    *SummaryCard
}

// Button is a choice the channel shows. Pressing it sends ID back as
// Input.Button. IDs are at most 64 bytes (Telegram's callback limit).
type Button struct {
	ID, Label string
}

// SummaryCard is the review of everything entered, numbered for "edit N".
type SummaryCard struct {
	Title string
	Items []SummaryItem
}

// SummaryItem is one field on the card.
type SummaryItem struct {
	N        int    // number for "edit N"
	Field    string // field id
	Label    string
	Value    string // "" when not answered
	Required bool
}

// Suggestion is a knowledge-base answer, an open incident or one of the
// reporter's own open tickets that looks like the reporter's problem.
type Suggestion struct {
	Kind   string `json:"k"` // "kb", "incident" or "ticket"
	ID     string `json:"id"`
	Title  string `json:"t"`
	Body   string `json:"b,omitempty"`
	Count  int    `json:"c,omitempty"`  // incident: how many have reported it
	Status string `json:"st,omitempty"` // ticket: its status ("in_progress"), shown as the catalog's status.<id>
}

// Suggestion kinds.
const (
	SuggestionKB       = "kb"
	SuggestionIncident = "incident"
	// SuggestionTicket is a ticket the reporter filed that is still open:
	// the same problem again is added to it (Adder) instead of filed anew.
	SuggestionTicket = "ticket"
)

// Filer files a finished draft as a ticket and returns its number. Draft.ID
// is stable across retries of the same dialog, so an implementation can
// make a repeated call return the first number instead of a duplicate.
//
// A draft the ticket system refuses for what is in it (not for being
// down) is a *RejectedError: the reporter is shown the review again, with
// the answers to correct, instead of being told to try again.
type Filer interface {
	FileTicket(ctx context.Context, key SessionKey, d Draft) (number string, err error)
}

// RejectedError is a Filer's refusal of a draft's content. Slots names
// the Draft fields at fault (summary, category, contacts, …, or a field
// id for Extra); trying again without a change will not help.
type RejectedError struct {
	Slots []string
	Err   error
}

func (e *RejectedError) Error() string { return "dialogs: draft rejected: " + e.Err.Error() }
func (e *RejectedError) Unwrap() error { return e.Err }

// Suggester finds knowledge-base answers, open incidents and the open
// tickets of the reporter behind key for a draft that is not finished
// yet. An error is logged and the dialog goes on.
type Suggester interface {
	Suggest(ctx context.Context, key SessionKey, d Draft) ([]Suggestion, error)
}

// Joiner is implemented by a Suggester that can link the reporter to an
// incident they chose to join. It may be called more than once for the
// same join and must be idempotent.
type Joiner interface {
	JoinIncident(ctx context.Context, key SessionKey, incidentID string, d Draft) error
}

// Adder is implemented by a Suggester that can add the draft to one of
// the reporter's own open tickets (a SuggestionTicket, by its number)
// instead of filing it. It may be called more than once for the same
// draft and must add it once.
type Adder interface {
	AddToTicket(ctx context.Context, key SessionKey, number string, d Draft) error
}

// Config holds an Engine's dependencies.
type Config struct {
	Forms    *FormSet         // required
	Sessions SessionStore     // required; NewMemoryStore or NewRedisStore
	Catalog  *catalog.Catalog // required
	Filer    Filer            // required
	// Suggester is optional; nil: no suggestions.
	Suggester Suggester
	// Directory is optional; nil: a field's lookup finds nobody.
	Directory Directory
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Location is the zone dates are read and shown in; default
	// Asia/Shanghai.
	Location *time.Location
	// DefaultLocale is used when the platform gives none; default zh-CN.
	DefaultLocale string
	// Logger; default discards.
	Logger *slog.Logger
	// MaxAttempts bounds the retries of one input on concurrent changes;
	// default 20.
	MaxAttempts int
}

// Engine runs dialogs. It holds no per-dialog state: everything is in the
// SessionStore, so any replica can take any input. Safe for concurrent use.
type Engine struct {
	forms       *FormSet
	sessions    SessionStore
	cat         *catalog.Catalog
	filer       Filer
	suggester   Suggester
	directory   Directory
	now         func() time.Time
	loc         *time.Location
	locale      string
	log         *slog.Logger
	maxAttempts int
	cmds        *commands
	recent      *recent // nil with an in-process store
}

// NewEngine checks cfg and returns an engine.
func NewEngine(cfg Config) (*Engine, error) {
	switch {
	case cfg.Forms == nil:
		return nil, errors.New("dialogs: Config.Forms is required")
	case cfg.Sessions == nil:
		return nil, errors.New("dialogs: Config.Sessions is required")
	case cfg.Catalog == nil:
		return nil, errors.New("dialogs: Config.Catalog is required")
	case cfg.Filer == nil:
		return nil, errors.New("dialogs: Config.Filer is required")
	}
	e := &Engine{
		forms: cfg.Forms, sessions: cfg.Sessions, cat: cfg.Catalog, filer: cfg.Filer, suggester: cfg.Suggester,
		directory: cfg.Directory,
		now:       cfg.Now, loc: cfg.Location, log: cfg.Logger, maxAttempts: cfg.MaxAttempts,
	}
	if e.now == nil {
		e.now = time.Now
	}
	if _, local := cfg.Sessions.(*MemoryStore); !local {
		e.recent = newRecent(time.Minute, 4096)
	}
	if e.loc == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			// No tzdata on the host: China has had no DST since 1991.
			loc = time.FixedZone("CST", 8*3600)
		}
		e.loc = loc
	}
	e.locale = catalog.ZhCN
	if cfg.DefaultLocale != "" {
		e.locale = catalog.Normalize(cfg.DefaultLocale)
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.maxAttempts <= 0 {
		e.maxAttempts = 20
	}
	e.cmds = newCommands(e.cat)
	return e, nil
}

func (e *Engine) localeFor(platform string) string {
	if platform == "" {
		return e.locale
	}
	return catalog.Normalize(platform)
}

// Start begins form for key in locale, replacing any dialog in progress
// (the reporter is told). It returns the form's introduction and first
// question.
func (e *Engine) Start(ctx context.Context, key SessionKey, form string, locale string) (Output, error) {
	return e.StartFrom(ctx, key, form, locale, "")
}

// StartFrom is Start for a report of a group chat message: source, opaque
// to the engine ("telegram:<chat>:<message>"), ends up in the Draft.
func (e *Engine) StartFrom(ctx context.Context, key SessionKey, form, locale, source string) (Output, error) {
	f, ok := e.forms.Get(form)
	if !ok {
		return Output{}, fmt.Errorf("dialogs: unknown form %q", form)
	}
	loc := e.localeFor(locale)
	e.recent.drop(key)
	return e.retry(ctx, func() (Output, error) {
		version := int64(0)
		replaced := false
		rec, err := e.sessions.Get(ctx, key)
		switch {
		case err == nil:
			version = rec.Version
			if old, derr := decodeState(rec.Data); derr == nil && len(old.Answers) > 0 {
				replaced = true
			}
		case !errors.Is(err, ErrNoSession):
			return Output{}, err
		}
		st := e.newState(f, loc)
		st.Source = source
		t := e.newTurn(ctx, key, f, st, Input{})
		if replaced {
			t.say("dialog.start.replaced", nil)
		}
		t.intro()
		st.Shown = 1
		tag(&t.out, st.Shown)
		data, err := encodeState(st)
		if err != nil {
			return Output{}, err
		}
		v, err := e.put(ctx, key, st, data, version)
		if err != nil {
			return Output{}, err
		}
		e.recent.keep(key, Record{Data: data, Version: v}, e.now())
		return t.out, nil
	})
}

func (e *Engine) newState(f *Form, locale string) *state {
	return &state{Form: f.ID, Locale: locale, DraftID: rand.Text(), Step: stepField, Started: e.now()}
}

// Active reports whether key has a dialog in progress.
func (e *Engine) Active(ctx context.Context, key SessionKey) (bool, error) {
	_, err := e.sessions.Get(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNoSession):
		return false, nil
	default:
		return false, err
	}
}

// FileRoom reports how many files key's dialog would take now, so that a
// channel can refuse a file before storing it: 0 when no dialog is in
// progress, when its step takes none (the review, the confirmation), or
// when its form has no attachments field or that field is full.
func (e *Engine) FileRoom(ctx context.Context, key SessionKey) (int, error) {
	rec, err := e.sessions.Get(ctx, key)
	if errors.Is(err, ErrNoSession) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	st, err := decodeState(rec.Data)
	if err != nil {
		return 0, nil // Handle ends such a session with a message
	}
	f, ok := e.forms.Get(st.Form)
	if !ok || st.Step != stepField && st.Step != stepSuggest {
		return 0, nil
	}
	for _, fd := range f.Fields {
		if fd.Type == TypeAttachments {
			have := 0
			if a := st.Answers[fd.ID]; a != nil && !a.Skipped {
				have = len(a.Files)
			}
			return max(fd.MaxFiles-have, 0), nil
		}
	}
	return 0, nil
}

// Handle applies one input to key's dialog. With no dialog in progress it
// answers how to start one (pressing a "start:<form>" button starts it),
// and after an idle expiry it first says, once, that the session expired.
func (e *Engine) Handle(ctx context.Context, key SessionKey, in Input) (Output, error) {
	return e.retry(ctx, func() (Output, error) { return e.handleOnce(ctx, key, in, false) })
}

// errInactive stops Continue when no dialog is in progress.
var errInactive = errors.New("dialogs: no dialog in progress")

// Continue applies in to key's dialog in progress, like Handle. With no
// dialog in progress it changes nothing and reports false, so a channel
// can read the input otherwise (a ticket number) before Handle answers
// it; but if the dialog just expired idle, the answer is the notice that
// it did, and it reports true. It costs one session read, where Active
// and then Handle cost two.
func (e *Engine) Continue(ctx context.Context, key SessionKey, in Input) (Output, bool, error) {
	out, err := e.retry(ctx, func() (Output, error) { return e.handleOnce(ctx, key, in, true) })
	if errors.Is(err, errInactive) {
		return Output{}, false, nil
	}
	return out, true, err
}

// retry runs fn again while it reports a concurrent change, with a short
// random pause so two replicas do not collide in step.
func (e *Engine) retry(ctx context.Context, fn func() (Output, error)) (Output, error) {
	for attempt := 1; ; attempt++ {
		out, err := fn()
		if !errors.Is(err, ErrConflict) {
			return out, err
		}
		if attempt >= e.maxAttempts {
			return Output{}, fmt.Errorf("dialogs: gave up after %d concurrent changes: %w", attempt, err)
		}
		pause := time.Duration(mrand.Int64N(int64(attempt)*int64(time.Millisecond))) + 100*time.Microsecond
		select {
		case <-ctx.Done():
			return Output{}, ctx.Err()
		case <-time.After(pause):
		}
	}
}

func (e *Engine) handleOnce(ctx context.Context, key SessionKey, in Input, activeOnly bool) (Output, error) {
	rec, ok := e.recent.take(key, e.now())
	var err error
	if !ok {
		rec, err = e.sessions.Get(ctx, key)
	}
	if errors.Is(err, ErrNoSession) {
		if activeOnly {
			return e.expiredOnly(ctx, key, in)
		}
		return e.noSession(ctx, key, in)
	}
	if err != nil {
		return Output{}, err
	}
	st, err := decodeState(rec.Data)
	var f *Form
	if err == nil {
		var ok bool
		if f, ok = e.forms.Get(st.Form); !ok {
			err = fmt.Errorf("form %q is no longer served", st.Form)
		}
	}
	if err != nil {
		// A session this engine cannot read (an older format, a removed
		// form) is ended with a message rather than failing every input.
		e.log.WarnContext(ctx, "dialogs: dropping unreadable session", "chat", key.ChatID, "err", err)
		if derr := e.sessions.Delete(ctx, key, rec.Version); derr != nil {
			return Output{}, derr
		}
		t := &turn{e: e, ctx: ctx, key: key, locale: e.localeFor(in.Locale)}
		t.say("dialog.session.broken", nil)
		t.startMenu()
		return t.out, nil
	}
	t := e.newTurn(ctx, key, f, st, in)
	t.in.Button, t.stale = untag(in.Button, st.Shown)
	t.run()
	if t.err != nil {
		return Output{}, t.err
	}
	if t.commit == commitSave && !t.out.Stale {
		st.Shown++
	}
	if t.commit != commitDelete {
		tag(&t.out, st.Shown)
	}
	switch t.commit {
	case commitSave:
		data, err := encodeState(st)
		if err != nil {
			return Output{}, err
		}
		v, err := e.put(ctx, key, st, data, rec.Version)
		if err != nil {
			return Output{}, err
		}
		if t.effect == effectFile {
			return e.file(ctx, key, f, st, v)
		}
		e.recent.keep(key, Record{Data: data, Version: v}, e.now())
	case commitDelete:
		if err := e.sessions.Delete(ctx, key, rec.Version); err != nil {
			return Output{}, err
		}
	}
	return t.out, nil
}

// file runs after the session was saved in the filing step at version v, so
// a second replica handling a concurrent "confirm" sees it and does not
// file twice.
func (e *Engine) file(ctx context.Context, key SessionKey, f *Form, st *state, v int64) (Output, error) {
	d := e.buildDraft(f, st)
	number, ferr := e.filer.FileTicket(ctx, key, d)
	t := e.newTurn(ctx, key, f, st, Input{})
	var rejected *RejectedError
	if errors.As(ferr, &rejected) {
		e.log.WarnContext(ctx, "dialogs: draft rejected", "form", f.ID, "draft", st.DraftID, "err", ferr)
		st.Step, st.FilingAt = stepReview, time.Time{}
		data, err := encodeState(st)
		if err == nil {
			_, err = e.put(ctx, key, st, data, v)
		}
		if err != nil {
			e.log.ErrorContext(ctx, "dialogs: saving draft after rejection", "draft", st.DraftID, "err", err)
		}
		t.fileRejected(rejected.Slots)
		tag(&t.out, st.Shown)
		return t.out, nil
	}
	if ferr != nil {
		e.log.ErrorContext(ctx, "dialogs: filing ticket failed", "form", f.ID, "draft", st.DraftID, "chat", key.ChatID, "err", ferr)
		st.Step = stepConfirm
		st.FilingAt = time.Time{}
		data, err := encodeState(st)
		if err == nil {
			_, err = e.put(ctx, key, st, data, v)
		}
		if err != nil {
			// The session still says "filing"; after filingStale the next
			// input can confirm again. Either way the draft is kept.
			e.log.ErrorContext(ctx, "dialogs: saving draft after failed filing", "draft", st.DraftID, "err", err)
		}
		t.fileFailed()
		tag(&t.out, st.Shown)
		return t.out, nil
	}
	if err := e.sessions.Delete(ctx, key, v); err != nil && !errors.Is(err, ErrConflict) {
		e.log.WarnContext(ctx, "dialogs: removing filed session", "draft", st.DraftID, "ticket", number, "err", err)
	}
	t.say(e.filedKey(key.Platform), map[string]any{"Number": number})
	t.out.Done, t.out.Outcome, t.out.TicketNumber, t.out.Draft = true, OutcomeFiled, number, &d
	return t.out, nil
}

// filedKey is the text that tells the reporter their ticket was filed:
// dialog.filed.<platform> when the catalog has one (the web chat has no
// message to reply to), else dialog.filed.
func (e *Engine) filedKey(platform string) string {
	if k := "dialog.filed." + platform; platform != "" && e.cat.Has(k) {
		return k
	}
	return "dialog.filed"
}

// expiredOnly answers Continue's input when no dialog is in progress: if
// one just expired idle, the input was meant for it, so the answer is the
// notice that it expired (and the forms), not whatever else the channel
// would read into the input; otherwise errInactive.
func (e *Engine) expiredOnly(ctx context.Context, key SessionKey, in Input) (Output, error) {
	expired, err := e.sessions.TakeExpired(ctx, key)
	if err != nil {
		return Output{}, err
	}
	if !expired {
		return Output{}, errInactive
	}
	t := &turn{e: e, ctx: ctx, key: key, locale: e.localeFor(in.Locale)}
	t.say("dialog.session.expired", nil)
	t.startMenu()
	return t.out, nil
}

// Notice is what the engine has to say, unasked, in key's chat.
type Notice struct {
	Key SessionKey
	Out Output
}

// put saves st (encoded as data) for key at version. With a NoticeStore
// it notes which form and language, for ExpiredNotices; not while
// filing, as the ticket may have been filed before the session could be
// removed.
func (e *Engine) put(ctx context.Context, key SessionKey, st *state, data []byte, version int64) (int64, error) {
	ns, ok := e.sessions.(NoticeStore)
	if !ok {
		return e.sessions.Put(ctx, key, data, version)
	}
	var note []byte
	if st.Step != stepFiling {
		note = []byte(st.Form + " " + st.Locale)
	}
	return ns.PutNoted(ctx, key, data, note, version)
}

// ExpiredNotices takes up to limit dialogs of platform that expired idle
// and were not reported yet, and returns for each the notice for its chat,
// in the dialog's language: which form expired unfiled, and the forms to
// start again. Each expiry is handed out once, also across replicas
// sharing the session store, and the reporter's next input no longer
// reports it. A channel sends these on a timer, so that a dialog does not
// expire silently.
func (e *Engine) ExpiredNotices(ctx context.Context, platform string, limit int) ([]Notice, error) {
	ns, ok := e.sessions.(NoticeStore)
	if !ok {
		return nil, nil
	}
	due, err := ns.TakeExpiredDue(ctx, platform, limit)
	notices := make([]Notice, 0, len(due))
	for _, x := range due {
		form, locale, _ := strings.Cut(string(x.Note), " ") // put's note
		t := &turn{e: e, ctx: ctx, key: x.Key, locale: e.localeFor(locale)}
		if f, known := e.forms.Get(form); known {
			t.say("dialog.session.expired.form", map[string]any{"Form": t.T(f.Key("title"), nil)})
		} else {
			t.say("dialog.session.expired", nil)
		}
		t.startMenu()
		notices = append(notices, Notice{Key: x.Key, Out: t.out})
	}
	return notices, err
}

func (e *Engine) noSession(ctx context.Context, key SessionKey, in Input) (Output, error) {
	in.Button, _ = untag(in.Button, 0)
	locale := e.localeFor(in.Locale)
	if form, ok := cutPrefix(in.Button, "start:"); ok {
		if _, ok := e.forms.Get(form); ok {
			out, err := e.startFresh(ctx, key, form, locale)
			return out, err
		}
	}
	t := &turn{e: e, ctx: ctx, key: key, locale: locale}
	expired, err := e.sessions.TakeExpired(ctx, key)
	if err != nil {
		return Output{}, err
	}
	if expired {
		t.say("dialog.session.expired", nil)
	}
	t.startMenu()
	return t.out, nil
}

// startFresh starts a form where no session exists (version 0, so a
// concurrent start conflicts and is retried).
func (e *Engine) startFresh(ctx context.Context, key SessionKey, form, locale string) (Output, error) {
	f, _ := e.forms.Get(form)
	st := e.newState(f, locale)
	t := e.newTurn(ctx, key, f, st, Input{})
	t.intro()
	st.Shown = 1
	tag(&t.out, st.Shown)
	data, err := encodeState(st)
	if err != nil {
		return Output{}, err
	}
	v, err := e.put(ctx, key, st, data, 0)
	if err != nil {
		return Output{}, err
	}
	e.recent.keep(key, Record{Data: data, Version: v}, e.now())
	return t.out, nil
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

// maxButtonID is the longest button id a channel must carry (Telegram's
// callback data limit).
const maxButtonID = 64

// tag marks every button of out, but the start menu's, as shown in turn
// shown ("cmd:skip#7"), where the id stays within maxButtonID.
func tag(out *Output, shown int) {
	suffix := "#" + strconv.Itoa(shown)
	for i := range out.Replies {
		for _, row := range out.Replies[i].Buttons {
			for j := range row {
				if id := row[j].ID; !strings.HasPrefix(id, "start:") && len(id)+len(suffix) <= maxButtonID {
					row[j].ID = id + suffix
				}
			}
		}
	}
}

// untag takes the turn mark off a button id. stale reports a button of
// another turn than shown; an id without a mark (from a channel, or from
// before marks) is taken as it is.
func untag(id string, shown int) (button string, stale bool) {
	i := strings.LastIndexByte(id, '#')
	if i < 0 {
		return id, false
	}
	n, err := strconv.Atoi(id[i+1:])
	if err != nil || n < 0 {
		return id, false
	}
	return id[:i], n != shown
}

package dialogs

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file serves channels that show a whole form at once (a Slack
// modal) instead of asking one question at a time: they read the form
// definition, collect every answer, and validate them together with the
// same validators the dialog uses.

// Form returns the loaded form with id.
func (e *Engine) Form(id string) (*Form, bool) { return e.forms.Get(id) }

// FormIDs lists the loaded forms.
func (e *Engine) FormIDs() []string { return e.forms.IDs() }

// FileDraft files a draft through the engine's Filer (the same one the
// dialog files with) and returns the ticket number.
func (e *Engine) FileDraft(ctx context.Context, key SessionKey, d Draft) (string, error) {
	return e.filer.FileTicket(ctx, key, d)
}

// RuleText is the localized condition under which fd is required
// ("问题级别为 P1 紧急 或 P2 重要"), or "" when it has none.
func (e *Engine) RuleText(f *Form, fd *Field, locale string) string {
	if fd.RequiredIf == nil {
		return ""
	}
	t := &turn{e: e, form: f, locale: e.localeFor(locale)}
	return t.conditionText(fd.RequiredIf)
}

// ValidateAll checks a whole form's answers at once. answers holds the
// raw value of each field by id: typed text for text, id, datetime and
// contact fields; an option id for choice and severity fields (or free
// text where the field allows it); an option path "root/child" for tree
// fields, with the text of an "other" leaf under "<field>_other". files
// are the files given for the form's attachments field.
//
// It returns the draft, and for every refused field its id mapped to the
// localized reason — the same texts the dialog shows, plus "required"
// for empty required fields, including those required only by a
// condition (required_if) that the other answers make true. The draft is
// complete only when the map is empty.
func (e *Engine) ValidateAll(formID string, answers map[string]string, files []FileRef, locale string) (Draft, map[string]string, bool) {
	f, ok := e.forms.Get(formID)
	if !ok {
		return Draft{}, nil, false
	}
	loc := e.localeFor(locale)
	t := &turn{e: e, form: f, locale: loc}
	st := &state{Form: f.ID, Locale: loc, DraftID: rand.Text(), Step: stepReview, Answers: map[string]*Answer{}, Started: e.now()}
	problems := map[string]string{}
	now := e.now()
	for _, fd := range f.Fields {
		raw := strings.TrimSpace(answers[fd.ID])
		if fd.Type == TypeAttachments {
			if len(files) == 0 {
				continue
			}
			a := &Answer{}
			for _, file := range files {
				if len(a.Files) >= fd.MaxFiles && fd.MaxFiles > 0 {
					problems[fd.ID] = t.problemText(problem("dialog.err.file.too_many", "Name", clip(fileName(file), 60), "Max", fd.MaxFiles))
					break
				}
				if p := ValidateFile(file, fd); p != nil {
					problems[fd.ID] = t.problemText(p)
					break
				}
				a.Files = append(a.Files, file)
			}
			if problems[fd.ID] == "" && fd.MinFiles > 0 && len(a.Files) < fd.MinFiles {
				problems[fd.ID] = t.problemText(problem("dialog.err.file.min", "Min", fd.MinFiles, "Got", len(a.Files)))
			}
			if problems[fd.ID] == "" {
				st.Answers[fd.ID] = a
			}
			continue
		}
		if raw == "" {
			continue
		}
		var (
			a *Answer
			p *Problem
		)
		switch fd.Type {
		case TypeText:
			var s string
			if s, p = ValidateText(raw, fd.MinLength, fd.MaxLength); p == nil {
				a = &Answer{Text: s}
			}
		case TypeID:
			var s string
			if s, p = ValidateID(raw, fd); p == nil {
				a = &Answer{Text: s}
			}
		case TypeChoice, TypeSeverity:
			if o := findOption(fd.Options, raw); o != nil {
				a = &Answer{Option: o.ID}
			} else if o := t.matchOption(fd.Options, raw); o != nil {
				a = &Answer{Option: o.ID}
			} else if fd.FreeText {
				var s string
				if s, p = ValidateText(raw, 1, fd.MaxLength); p == nil {
					a = &Answer{Text: s}
				}
			} else {
				p = t.unknownOption(fd.Options, raw)
			}
		case TypeTree:
			o := findOption(fd.Options, raw)
			switch {
			case o == nil:
				p = t.unknownOption(fd.Options, raw)
			case len(o.Children) > 0:
				// Only the root was chosen: the child is still missing.
				p = problem("dialog.whole.tree.child", "Label", t.T(fd.Key("label"), nil), "Root", t.T(o.Key, nil))
			case o.Other:
				var s string
				if s, p = ValidateText(answers[fd.ID+"_other"], 1, fd.OtherMaxLength); p == nil {
					a = &Answer{Path: strings.Split(o.Path, "/"), Other: s}
				}
			default:
				a = &Answer{Path: strings.Split(o.Path, "/")}
			}
		case TypeDateTime:
			var dt DateTime
			if dt, p = ParseDateTime(raw, now, e.loc); p == nil {
				if fd.MaxAge > 0 && now.Sub(dt.Time) > fd.MaxAge {
					p = problem("dialog.err.datetime.too_old", "When", dt.Format(), "Days", int(fd.MaxAge/(24*time.Hour)))
				} else {
					a = &Answer{Time: &dt}
				}
			}
		case TypeContact:
			var c Contacts
			if c, p = ParseContacts(raw, fd.Kinds); p == nil {
				a = &Answer{Contacts: &c}
			}
		}
		if p != nil {
			problems[fd.ID] = t.problemText(p)
			continue
		}
		st.Answers[fd.ID] = a
	}
	// Required fields, once every answer is known: a condition may
	// depend on any other field's answer.
	for _, fd := range f.Fields {
		if _, bad := problems[fd.ID]; bad || !st.Answers[fd.ID].empty() || !fd.IsRequired(st.Answers) {
			continue
		}
		label := t.T(fd.Key("label"), nil)
		if !fd.Required && fd.RequiredIf != nil {
			problems[fd.ID] = t.T("dialog.whole.required_if", map[string]any{"Label": label, "Rule": t.conditionText(fd.RequiredIf)})
		} else {
			problems[fd.ID] = t.T("dialog.whole.required", map[string]any{"Label": label})
		}
	}
	return e.buildDraft(f, st), problems, true
}

// maxSuggestions is how many suggestions a reporter is shown at most:
// botkit.Suggester's 2 own tickets, 2 incidents and 3 entries.
const maxSuggestions = 7

// Suggest asks the Suggester for knowledge-base answers, open incidents
// and the reporter's own open tickets like d (key: whose dialog), as the
// dialog does once the form's SuggestAfter field is
// answered; a whole-form channel asks it after a complete submission. It
// returns none without a Suggester; an error is logged and gives none.
func (e *Engine) Suggest(ctx context.Context, key SessionKey, d Draft) []Suggestion {
	if e.suggester == nil {
		return nil
	}
	sugs, err := e.suggester.Suggest(ctx, key, d)
	if err != nil {
		e.log.WarnContext(ctx, "dialogs: suggester failed", "form", d.Form, "err", err)
	}
	if len(sugs) > maxSuggestions {
		sugs = sugs[:maxSuggestions]
	}
	return sugs
}

// JoinIncident links the reporter to the incident they chose instead of
// filing d, as the dialog's "join" button does: through the Suggester's
// Joiner, if it has one (nothing is recorded otherwise).
func (e *Engine) JoinIncident(ctx context.Context, key SessionKey, incidentID string, d Draft) error {
	if j, ok := e.suggester.(Joiner); ok {
		return j.JoinIncident(ctx, key, incidentID, d)
	}
	return nil
}

// AddToTicket adds d to the reporter's own open ticket number instead of
// filing it, as the dialog's "add" button does: through the Suggester's
// Adder, if it has one (an error otherwise: nothing would be recorded).
func (e *Engine) AddToTicket(ctx context.Context, key SessionKey, number string, d Draft) error {
	if a, ok := e.suggester.(Adder); ok {
		return a.AddToTicket(ctx, key, number, d)
	}
	return errors.New("dialogs: the suggester cannot add to a ticket")
}

// Held is a complete whole-form submission kept while its reporter looks
// at the suggestions for it, so that "file it anyway" files exactly what
// was submitted.
type Held struct {
	Draft       Draft        `json:"d"`
	Suggestions []Suggestion `json:"s"`
}

// Hold keeps h under key in the session store (a key of its own, not a
// dialog's), for as long as an idle dialog lives; a second Hold replaces it.
func (e *Engine) Hold(ctx context.Context, key SessionKey, h Held) error {
	data, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("dialogs: hold: %w", err)
	}
	e.recent.drop(key)
	var version int64
	if rec, err := e.sessions.Get(ctx, key); err == nil {
		version = rec.Version
	} else if !errors.Is(err, ErrNoSession) {
		return err
	}
	_, err = e.sessions.Put(ctx, key, data, version)
	return err
}

// Held returns what Hold kept under key and its version (for Release);
// ErrNoSession when it was released or expired.
func (e *Engine) Held(ctx context.Context, key SessionKey) (Held, int64, error) {
	rec, err := e.sessions.Get(ctx, key)
	if err != nil {
		return Held{}, 0, err
	}
	var h Held
	if err := json.Unmarshal(rec.Data, &h); err != nil {
		return Held{}, 0, fmt.Errorf("dialogs: held submission: %w", err)
	}
	return h, rec.Version, nil
}

// Release forgets a held submission if it is still at version
// (ErrConflict when someone else released or replaced it first).
func (e *Engine) Release(ctx context.Context, key SessionKey, version int64) error {
	e.recent.drop(key)
	return e.sessions.Delete(ctx, key, version)
}

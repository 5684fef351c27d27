package dialogs

import (
	"encoding/json"
	"fmt"
	"time"
)

// stateVersion is bumped when state changes incompatibly; a session of
// another version is ended with a message.
const stateVersion = 1

type step string

const (
	stepField   step = "field"   // asking Form.Fields[Field]
	stepSuggest step = "suggest" // showing suggestions
	stepReview  step = "review"  // showing the summary card
	stepConfirm step = "confirm" // submit pressed: last look before filing
	stepFiling  step = "filing"  // Filer running
)

// filingStale is how long a "filing" state blocks other inputs; after it a
// crashed filing can be confirmed again (Draft.ID lets the Filer
// de-duplicate).
const filingStale = 30 * time.Second

// state is one dialog, stored as JSON in the SessionStore. Short JSON names
// keep 10,000 sessions small.
type state struct {
	V       int                `json:"v"`
	Form    string             `json:"f"`
	Locale  string             `json:"l"`
	DraftID string             `json:"id"`
	Step    step               `json:"s"`
	Field   int                `json:"i"`
	Path    []string           `json:"p,omitempty"` // tree: options chosen so far in the current field
	Other   bool               `json:"o,omitempty"` // tree: waiting for the "other" text
	Editing bool               `json:"e,omitempty"` // go back to the summary after this field
	Strikes int                `json:"k,omitempty"` // wrong answers in a row
	Pending string             `json:"pc,omitempty"`
	History []int              `json:"h,omitempty"` // fields asked before the current one, for back
	Answers map[string]*Answer `json:"a,omitempty"`

	// Customer is who the lookup field's number found in the directory.
	Customer *Customer `json:"cu,omitempty"`

	Suggested   bool         `json:"sd,omitempty"`
	Suggestions []Suggestion `json:"sg,omitempty"`
	FilingAt    time.Time    `json:"fa,omitzero"`
	Started     time.Time    `json:"t0"`
	// Shown counts the turns that showed buttons; a button carries the
	// count of its turn ("cmd:skip#7"), so a button of an earlier turn
	// (a double tap, an old message) is told apart from the current ones.
	Shown int `json:"n,omitempty"`
	// Source is the group chat message the dialog reports (Draft.Source).
	Source string `json:"src,omitempty"`
}

// Answer is one field's answer. Which parts are set depends on the type.
type Answer struct {
	Skipped  bool      `json:"s,omitempty"`  // optional field skipped
	Text     string    `json:"t,omitempty"`  // text, id, free-text choice
	Option   string    `json:"o,omitempty"`  // choice / severity option id
	Path     []string  `json:"p,omitempty"`  // tree option ids from the root
	Other    string    `json:"x,omitempty"`  // tree "other" text
	Time     *DateTime `json:"d,omitempty"`  // datetime
	Contacts *Contacts `json:"c,omitempty"`  // contact
	Files    []FileRef `json:"fl,omitempty"` // attachments
}

// empty reports whether the answer gives nothing (skipped, or an
// attachments field with no file).
func (a *Answer) empty() bool {
	if a == nil || a.Skipped {
		return true
	}
	return a.Text == "" && a.Option == "" && len(a.Path) == 0 && a.Time == nil && a.Contacts == nil && len(a.Files) == 0
}

func encodeState(st *state) ([]byte, error) {
	st.V = stateVersion
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("dialogs: encode session: %w", err)
	}
	return b, nil
}

func decodeState(b []byte) (*state, error) {
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("dialogs: decode session: %w", err)
	}
	if st.V != stateVersion {
		return nil, fmt.Errorf("dialogs: session format %d, want %d", st.V, stateVersion)
	}
	return &st, nil
}

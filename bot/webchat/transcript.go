package webchat

import (
	"container/list"
	"sync"
	"time"

	"github.com/deskbot/deskbot/dialogs"
)

// entry is one bubble of a chat page.
type entry struct {
	Kind       string // "me", "bot", "notice", "problem"
	Text       string
	Buttons    [][]dialogs.Button
	ExpectFile bool
	Number     string // a ticket to link to
	At         time.Time
}

// transcripts keeps the recent bubbles of each reporter's chat page in
// memory, so a reload shows the conversation. It is bounded (entries per
// reporter, reporters overall, least recently used first out); the
// dialog itself lives in the session store and never depends on it.
type transcripts struct {
	mu       sync.Mutex
	perUser  int
	maxUsers int
	users    map[string]*list.Element
	lru      *list.List // of *userLog, most recent at the front
}

type userLog struct {
	id      string
	entries []entry
	seq     int // bumped on every change
}

func newTranscripts(perUser, maxUsers int) *transcripts {
	return &transcripts{perUser: perUser, maxUsers: maxUsers, users: map[string]*list.Element{}, lru: list.New()}
}

func (ts *transcripts) get(id string) *userLog {
	if el, ok := ts.users[id]; ok {
		ts.lru.MoveToFront(el)
		return el.Value.(*userLog)
	}
	u := &userLog{id: id}
	ts.users[id] = ts.lru.PushFront(u)
	for ts.lru.Len() > ts.maxUsers {
		old := ts.lru.Back()
		ts.lru.Remove(old)
		delete(ts.users, old.Value.(*userLog).id)
	}
	return u
}

// add appends entries to id's transcript.
func (ts *transcripts) add(id string, es ...entry) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	u := ts.get(id)
	u.entries = append(u.entries, es...)
	if over := len(u.entries) - ts.perUser; over > 0 {
		u.entries = append([]entry(nil), u.entries[over:]...)
	}
	u.seq++
}

// list returns a copy of id's transcript.
func (ts *transcripts) list(id string) []entry {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	el, ok := ts.users[id]
	if !ok {
		return nil
	}
	return append([]entry(nil), el.Value.(*userLog).entries...)
}

// lastNumber is the ticket the chat last spoke about: the number of the
// most recent bot bubble when that is a filing, a notice or a ticket's
// status, and "" when it is anything else (a question of a form).
func (ts *transcripts) lastNumber(id string) string {
	number := ""
	ts.newestFirst(id, func(e entry) bool {
		if e.Kind == "bot" || e.Kind == "notice" {
			number = e.Number
			return true
		}
		return false
	})
	return number
}

// newestFirst shows id's bubbles to f, the most recent first, until f
// returns true.
func (ts *transcripts) newestFirst(id string, f func(entry) bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	el, ok := ts.users[id]
	if !ok {
		return
	}
	es := el.Value.(*userLog).entries
	for i := len(es) - 1; i >= 0; i-- {
		if f(es[i]) {
			return
		}
	}
}

// label finds the label of a button id among id's recent bubbles, to show
// what the reporter pressed.
func (ts *transcripts) label(id, button string) string {
	label := ""
	ts.newestFirst(id, func(e entry) bool {
		for _, row := range e.Buttons {
			for _, b := range row {
				if b.ID == button {
					label = b.Label
					return true
				}
			}
		}
		return false
	})
	return label
}

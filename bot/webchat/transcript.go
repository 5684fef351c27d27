package webchat

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/deskbot/deskbot/dialogs"
)

// entry is one bubble of a chat page.
type entry struct {
	Kind       string             `json:"k"` // "me", "bot", "notice", "problem"
	Text       string             `json:"t"`
	Buttons    [][]dialogs.Button `json:"b,omitempty"`
	ExpectFile bool               `json:"f,omitempty"`
	Number     string             `json:"n,omitempty"` // a ticket to link to
	At         time.Time          `json:"at"`
}

// transcriptStore keeps the recent bubbles of each reporter's chat page,
// so a reload shows the conversation. The dialog itself lives in the
// session store and never depends on it, so a transcript that cannot be
// read or written costs a page its history, never an answer: the stores
// log such errors and go on. A notice is another matter: add's error
// makes its delivery fail, and the outbox try it again.
type transcriptStore interface {
	add(ctx context.Context, id string, es ...entry) error
	list(ctx context.Context, id string) []entry
}

// transcripts keeps transcripts in memory, for one process (the embedded
// default). It is bounded (entries per reporter, reporters overall, least
// recently used first out).
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
func (ts *transcripts) add(_ context.Context, id string, es ...entry) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	u := ts.get(id)
	u.entries = append(u.entries, es...)
	if over := len(u.entries) - ts.perUser; over > 0 {
		u.entries = append([]entry(nil), u.entries[over:]...)
	}
	return nil
}

// list returns a copy of id's transcript.
func (ts *transcripts) list(_ context.Context, id string) []entry {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	el, ok := ts.users[id]
	if !ok {
		return nil
	}
	return append([]entry(nil), el.Value.(*userLog).entries...)
}

// redisTranscripts keeps transcripts in Redis, shared by every replica:
// a notice one replica delivers is on the page another serves, and a
// restart keeps them. Each is a list of JSON bubbles, the newest
// perUser kept, forgotten ttl after its last change.
type redisTranscripts struct {
	rdb     redis.Cmdable
	prefix  string
	perUser int
	ttl     time.Duration
	log     *slog.Logger
}

func (ts *redisTranscripts) key(id string) string { return ts.prefix + id }

func (ts *redisTranscripts) add(ctx context.Context, id string, es ...entry) error {
	if len(es) == 0 {
		return nil
	}
	vals := make([]any, 0, len(es))
	for _, e := range es {
		b, err := json.Marshal(e)
		if err != nil {
			ts.log.Error("webchat: encoding a bubble", "err", err)
			return err
		}
		vals = append(vals, b)
	}
	k := ts.key(id)
	_, err := ts.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, k, vals...)
		p.LTrim(ctx, k, int64(-ts.perUser), -1)
		p.PExpire(ctx, k, ts.ttl)
		return nil
	})
	if err != nil {
		ts.log.Warn("webchat: saving the chat page's history", "err", err)
		return fmt.Errorf("webchat: saving the chat page's history: %w", err)
	}
	return nil
}

func (ts *redisTranscripts) list(ctx context.Context, id string) []entry {
	raw, err := ts.rdb.LRange(ctx, ts.key(id), 0, -1).Result()
	if err != nil {
		ts.log.Warn("webchat: reading the chat page's history", "err", err)
		return nil
	}
	es := make([]entry, 0, len(raw))
	for _, r := range raw {
		var e entry
		if err := json.Unmarshal([]byte(r), &e); err != nil {
			ts.log.Warn("webchat: a bubble of the chat page's history cannot be read", "err", err)
			continue
		}
		es = append(es, e)
	}
	return es
}

// lastNumber is the ticket the chat last spoke about: the number of the
// most recent bot bubble when that is a filing, a notice or a ticket's
// status, and "" when it is anything else (a question of a form).
func lastNumber(es []entry) string {
	for i := len(es) - 1; i >= 0; i-- {
		if e := es[i]; e.Kind == "bot" || e.Kind == "notice" {
			return e.Number
		}
	}
	return ""
}

// label finds the label of a button id among the recent bubbles es, to
// show what the reporter pressed.
func label(es []entry, button string) string {
	for i := len(es) - 1; i >= 0; i-- {
		for _, row := range es[i].Buttons {
			for _, b := range row {
				if b.ID == button {
					return b.Label
				}
			}
		}
	}
	return ""
}

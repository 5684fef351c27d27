package dialogs

import (
	"strconv"
	"testing"
	"time"
)

// TestRecent: a record is taken once, not after its TTL, and the map
// stays within its bound.
func TestRecent(t *testing.T) {
	r := newRecent(time.Minute, 3)
	now := testNow
	key := func(i int) SessionKey { return SessionKey{Platform: "test", ChatID: strconv.Itoa(i), UserID: "u"} }
	r.keep(key(1), Record{Version: 7}, now)
	if rec, ok := r.take(key(1), now.Add(time.Second)); !ok || rec.Version != 7 {
		t.Fatalf("take = %v %v, want version 7", rec, ok)
	}
	if _, ok := r.take(key(1), now.Add(time.Second)); ok {
		t.Fatal("taken twice")
	}
	r.keep(key(1), Record{Version: 8}, now)
	if _, ok := r.take(key(1), now.Add(time.Minute)); ok {
		t.Fatal("taken after its TTL")
	}
	for i := range 10 {
		r.keep(key(i), Record{Version: int64(i)}, now)
	}
	if len(r.m) > 3 {
		t.Fatalf("%d records kept, want at most 3", len(r.m))
	}
	if rec, ok := r.take(key(9), now); !ok || rec.Version != 9 {
		t.Fatalf("the last record kept: %v %v", rec, ok)
	}
	r.keep(key(2), Record{Version: 2}, now)
	r.drop(key(2))
	if _, ok := r.take(key(2), now); ok {
		t.Fatal("taken after drop")
	}
}

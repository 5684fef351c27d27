package dialogs

import (
	"context"
	"errors"
	"strings"
)

// SessionKey identifies one reporter's dialog: a user in a chat on a
// platform. The same user in two chats has two dialogs.
type SessionKey struct {
	Platform string // "telegram", "slack", "webchat"
	ChatID   string
	UserID   string
}

// String renders the key with each part escaped, so no two keys collide:
// platform:chat:user.
func (k SessionKey) String() string {
	return keyEscaper.Replace(k.Platform) + ":" + keyEscaper.Replace(k.ChatID) + ":" + keyEscaper.Replace(k.UserID)
}

// keyEscaper escapes a part of a SessionKey (built once: every turn uses it).
var keyEscaper = strings.NewReplacer("%", "%25", ":", "%3A")

// keyUnescaper undoes keyEscaper.
var keyUnescaper = strings.NewReplacer("%3A", ":", "%25", "%")

// parseSessionKey reads back what SessionKey.String wrote.
func parseSessionKey(s string) (SessionKey, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return SessionKey{}, false
	}
	return SessionKey{Platform: keyUnescaper.Replace(parts[0]), ChatID: keyUnescaper.Replace(parts[1]), UserID: keyUnescaper.Replace(parts[2])}, true
}

// Errors returned by a SessionStore.
var (
	// ErrNoSession: the key has no live session.
	ErrNoSession = errors.New("dialogs: no session")
	// ErrConflict: the session changed (or appeared, or expired) since the
	// version the caller read. The caller reloads and tries again.
	ErrConflict = errors.New("dialogs: session changed concurrently")
	// ErrUnavailable wraps a failure to reach the session store (Redis
	// down): nothing was lost, and trying again later may work.
	ErrUnavailable = errors.New("dialogs: session store unavailable")
)

// ExpiredSession is a session that expired idle, with the note of its
// last put, handed out by NoticeStore.TakeExpiredDue.
type ExpiredSession struct {
	Key  SessionKey
	Note []byte
}

// Record is a stored session: opaque data and the version it was read at.
type Record struct {
	Data    []byte
	Version int64
}

// SessionStore keeps dialog state between inputs. Implementations must be
// safe for concurrent use, also from several processes sharing the store
// (RedisStore), and must make Put a compare-and-swap on the version so two
// concurrent inputs never overwrite each other's answer.
//
// A session expires after the store's idle timeout without a Put. The store
// then remembers, for a longer while, that it expired, so the reporter can
// be told once (TakeExpired), or, by a NoticeStore, at once.
type SessionStore interface {
	// Get returns the live session for key, or ErrNoSession.
	Get(ctx context.Context, key SessionKey) (Record, error)
	// Put stores data for key if the stored version is still version (0:
	// no live session may exist) and returns the new version; ErrConflict
	// otherwise. It restarts the idle timeout.
	Put(ctx context.Context, key SessionKey, data []byte, version int64) (int64, error)
	// Delete ends the session without leaving an expiry marker. With a
	// non-zero version it is a compare-and-delete (ErrConflict on
	// mismatch); deleting a missing session is not an error.
	Delete(ctx context.Context, key SessionKey, version int64) error
	// TakeExpired reports whether key's session expired idle since its last
	// Put and has not been reported yet; it reports it only once.
	TakeExpired(ctx context.Context, key SessionKey) (bool, error)
}

// NoticeStore is a SessionStore that lets the engine tell a reporter of
// an expiry at once, not at their next input (MemoryStore and RedisStore
// are). With PutNoted, a put keeps a short note besides the data (the
// engine's: which form, in which language); once the session expired
// idle, the note outlives the data as long as the expiry is remembered,
// so the session's answers, personal data among them, go at the idle
// timeout all the same.
type NoticeStore interface {
	SessionStore
	// PutNoted is Put that keeps note for after the session expires; a
	// nil note (as Put) asks for no notice.
	PutNoted(ctx context.Context, key SessionKey, data, note []byte, version int64) (int64, error)
	// TakeExpiredDue hands out up to limit sessions of platform that
	// expired idle, were last put with a note and were not reported yet,
	// each once (also across processes sharing the store); TakeExpired
	// then no longer reports them.
	TakeExpiredDue(ctx context.Context, platform string, limit int) ([]ExpiredSession, error)
}

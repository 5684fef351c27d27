package backend

import "time"

// Login lets a person sign in to the web console with a name and a
// password. Only the bcrypt hash of the password is stored.
type Login struct {
	PersonID  int64
	Name      string // unique; compared exactly (callers lower-case it)
	Hash      []byte // bcrypt
	UpdatedAt time.Time
}

// MagicLink is a one-time sign-in link to the web console, sent to a
// person in chat. Only the SHA-256 hash of its secret is stored; it is
// single-use and expires.
type MagicLink struct {
	ID        int64
	PersonID  int64
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
}

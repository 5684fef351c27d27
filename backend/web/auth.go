package web

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/deskbot/deskbot/backend"
)

// Store is what the console's sign-in needs from the database.
// backend/postgres and backend/sqlite implement it.
type Store interface {
	Person(ctx context.Context, id int64) (*backend.Person, error)
	PeopleWithRole(ctx context.Context, r backend.Role, teamID int64) ([]*backend.Person, error)
	SetLogin(ctx context.Context, l *backend.Login) error
	LoginByName(ctx context.Context, name string) (*backend.Login, error)
	LoginOf(ctx context.Context, personID int64) (*backend.Login, error)
	CreateMagicLink(ctx context.Context, m *backend.MagicLink) error
	UseMagicLink(ctx context.Context, hash []byte, at time.Time) (*backend.MagicLink, error)
	Secret(ctx context.Context, name string, value []byte) ([]byte, error)
}

// AuthConfig configures an Auth; zero values take the defaults.
type AuthConfig struct {
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// SessionTTL is how long a console sign-in lasts. Default 12 h.
	SessionTTL time.Duration
	// MagicLinkTTL is how long a sign-in link is valid. Default 15 min.
	MagicLinkTTL time.Duration
	// BcryptCost is the password hashing cost. Default bcrypt.DefaultCost;
	// tests use bcrypt.MinCost.
	BcryptCost int
	// MinPassword is the shortest password accepted. Default 10.
	MinPassword int
	// Failures shares the count of failed sign-ins between replicas
	// (RedisFailures). Default: each process counts its own.
	Failures Failures
	// Logger gets warnings. Default slog.Default().
	Logger *slog.Logger
}

// Auth signs cookies and CSRF tokens with a server key kept in the
// database (so every replica agrees and sessions survive restarts), checks
// passwords and one-time sign-in links, and creates console users.
type Auth struct {
	store Store
	svc   *backend.Service
	key   []byte
	cfg   AuthConfig
	fails throttle // recent failed sign-ins seen by this process
	// sharedDown is when (Unix ns) to try cfg.Failures again after it failed.
	sharedDown atomic.Int64
}

// secretName is the name of the cookie-signing key in the secrets table.
const secretName = "web-cookie-key"

// NewAuth loads (creating on first start) the signing key.
func NewAuth(ctx context.Context, svc *backend.Service, store Store, cfg AuthConfig) (*Auth, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.MagicLinkTTL <= 0 {
		cfg.MagicLinkTTL = 15 * time.Minute
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.DefaultCost
	}
	if cfg.MinPassword <= 0 {
		cfg.MinPassword = 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	key, err := store.Secret(ctx, secretName, randomBytes(32))
	if err != nil {
		return nil, err
	}
	return &Auth{store: store, svc: svc, key: key, cfg: cfg}, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return b
}

// RandomToken returns n random bytes, base64url-encoded.
func RandomToken(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }

// MAC returns the base64url HMAC of purpose and value under the server
// key. Different purposes never yield interchangeable tokens.
func (a *Auth) MAC(purpose, value string) string {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Sign returns value with its MAC appended, for a cookie.
func (a *Auth) Sign(purpose, value string) string { return value + "~" + a.MAC(purpose, value) }

// Verify returns the value of a signed string if its MAC is right.
func (a *Auth) Verify(purpose, signed string) (string, bool) {
	i := strings.LastIndexByte(signed, '~')
	if i < 0 {
		return "", false
	}
	v := signed[:i]
	return v, Equal(signed[i+1:], a.MAC(purpose, v))
}

// Seal encrypts value for purpose under the server key, base64url: a
// value that must travel in a URL without being readable there (a
// console search for a customer's phone number, DESIGN §10). Open
// reverses it; a sealed value opens only for its purpose.
func (a *Auth) Seal(purpose, value string) string {
	aead := a.aead(purpose)
	nonce := randomBytes(aead.NonceSize())
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(value), nil))
}

// Open returns the value Seal sealed for purpose; false if sealed was
// changed, made for another purpose or under another key.
func (a *Auth) Open(purpose, sealed string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	aead := a.aead(purpose)
	if err != nil || len(b) < aead.NonceSize() {
		return "", false
	}
	v, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], nil)
	return string(v), err == nil
}

// aead is AES-256-GCM under a key of its own for purpose, derived with
// HKDF: no MAC value, which is an HMAC under the server key itself, can
// ever be one of these keys.
func (a *Auth) aead(purpose string) cipher.AEAD {
	key, err := hkdf.Key(sha256.New, a.key, nil, "deskbot seal "+purpose, 32)
	if err != nil {
		panic(err) // 32 bytes of SHA-256 HKDF never fail
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// Equal compares two tokens in constant time.
func Equal(x, y string) bool { return subtle.ConstantTimeCompare([]byte(x), []byte(y)) == 1 }

// Secure reports whether cookies for r must be Secure: the request came
// over TLS, directly or through a proxy that says so.
func Secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// SetCookie sets an HttpOnly, SameSite=Lax cookie on path, Secure when
// served over TLS; maxAge < 0 deletes it.
func SetCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, Secure: Secure(r), SameSite: http.SameSiteLaxMode}
	if maxAge < 0 {
		c.MaxAge = -1
	} else if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}

// Session is a signed-in console user, from the session cookie.
type Session struct {
	PersonID int64
	Expires  time.Time
	Nonce    string // random per sign-in; the CSRF token is derived from it
}

const (
	sessionCookie = "deskbot_console"
	preCookie     = "deskbot_pre" // anti-CSRF nonce of the sign-in form
	purposeSess   = "console-session"
	purposeCSRF   = "console-csrf"
	purposePre    = "console-pre"
)

// startSession sets the session cookie for p.
func (a *Auth) startSession(w http.ResponseWriter, r *http.Request, p *backend.Person) {
	exp := a.cfg.Now().Add(a.cfg.SessionTTL)
	v := strconv.FormatInt(p.ID, 10) + "." + strconv.FormatInt(exp.Unix(), 10) + "." + RandomToken(16)
	SetCookie(w, r, sessionCookie, a.Sign(purposeSess, v), "/", a.cfg.SessionTTL)
}

// session reads and checks the session cookie.
func (a *Auth) session(r *http.Request) (Session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return Session{}, false
	}
	v, ok := a.Verify(purposeSess, c.Value)
	if !ok {
		return Session{}, false
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return Session{}, false
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || !a.cfg.Now().Before(time.Unix(exp, 0)) {
		return Session{}, false
	}
	return Session{PersonID: id, Expires: time.Unix(exp, 0), Nonce: parts[2]}, true
}

// CSRF is the anti-forgery token of a session: every form and htmx
// request carries it (field "csrf" or header X-CSRF-Token).
func (a *Auth) CSRF(s Session) string { return a.MAC(purposeCSRF, s.Nonce) }

// RequestToken returns the CSRF token a request carries.
func RequestToken(r *http.Request) string {
	if t := r.Header.Get("X-CSRF-Token"); t != "" {
		return t
	}
	return r.PostFormValue("csrf")
}

// IsStaff reports whether p may use the console.
func IsStaff(p *backend.Person) bool { return p.Handles() || p.HasRole(backend.RoleInfoSpecialist) }

// dummyHash makes a sign-in with an unknown name cost as much as one with
// a wrong password, so names cannot be probed by timing.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("deskbot-dummy-password"), bcrypt.MinCost)

// CheckPassword returns the staff member whose login is name with that
// password. EUNAUTHORIZED for any mismatch, without saying which part.
func (a *Auth) CheckPassword(ctx context.Context, name, password string) (*backend.Person, error) {
	bad := backend.Errorf(backend.EUNAUTHORIZED, "wrong name or password")
	l, err := a.store.LoginByName(ctx, NormalizeLogin(name))
	if err != nil {
		if backend.ErrorCode(err) != backend.ENOTFOUND {
			return nil, err
		}
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, bad
	}
	if bcrypt.CompareHashAndPassword(l.Hash, []byte(password)) != nil {
		return nil, bad
	}
	p, err := a.store.Person(ctx, l.PersonID)
	if err != nil {
		return nil, err
	}
	if !IsStaff(p) {
		return nil, bad
	}
	return p, nil
}

// NormalizeLogin is how login names are compared: trimmed, lower case.
func NormalizeLogin(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// SetPassword gives person a console login (name, password), replacing
// any earlier one. EINVALID for a short password or an empty name,
// ECONFLICT when the name is someone else's.
func (a *Auth) SetPassword(ctx context.Context, personID int64, name, password string) error {
	name = NormalizeLogin(name)
	if name == "" || strings.ContainsAny(name, " \t\n") {
		return backend.Invalid("invalid login", "login", "required, without spaces", backend.Problem{Key: "login"})
	}
	if utf8.RuneCountInString(password) < a.cfg.MinPassword || len(password) > 72 {
		return backend.Invalid("invalid password", "password", "must be "+strconv.Itoa(a.cfg.MinPassword)+"–72 bytes",
			backend.Problem{Key: "password", Args: map[string]any{"Min": a.cfg.MinPassword}})
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), a.cfg.BcryptCost)
	if err != nil {
		return err
	}
	return a.store.SetLogin(ctx, &backend.Login{PersonID: personID, Name: name, Hash: hash})
}

// CreateUser makes a staff member who signs in to the console as name.
// An empty password is replaced by a random one; the password used is
// returned so that it can be shown once. ECONFLICT if name is taken.
func (a *Auth) CreateUser(ctx context.Context, name string, role backend.Role, teamID int64, password string) (*backend.Person, string, error) {
	login := NormalizeLogin(name)
	if _, err := a.store.LoginByName(ctx, login); err == nil {
		return nil, "", backend.Errorf(backend.ECONFLICT, "login %q exists already", login)
	} else if backend.ErrorCode(err) != backend.ENOTFOUND {
		return nil, "", err
	}
	if password == "" {
		password = RandomToken(12)
	}
	if utf8.RuneCountInString(password) < a.cfg.MinPassword {
		return nil, "", backend.Invalid("invalid password", "password", "must be at least "+strconv.Itoa(a.cfg.MinPassword)+" characters",
			backend.Problem{Key: "password_min", Args: map[string]any{"Min": a.cfg.MinPassword}})
	}
	p := &backend.Person{Name: strings.TrimSpace(name), Roles: []backend.Role{role}, TeamID: teamID}
	if err := a.svc.CreatePerson(ctx, p); err != nil {
		return nil, "", err
	}
	if err := a.SetPassword(ctx, p.ID, login, password); err != nil {
		return nil, "", err
	}
	return p, password, nil
}

// EnsureFirstAdmin creates an admin with a random password when no admin
// can sign in to the console yet (a fresh install), so that the first
// start can print a login. created is false when there is one already.
func (a *Auth) EnsureFirstAdmin(ctx context.Context) (name, password string, created bool, err error) {
	admins, err := a.store.PeopleWithRole(ctx, backend.RoleAdmin, 0)
	if err != nil {
		return "", "", false, err
	}
	for _, p := range admins {
		if _, err := a.store.LoginOf(ctx, p.ID); err == nil {
			return "", "", false, nil
		} else if backend.ErrorCode(err) != backend.ENOTFOUND {
			return "", "", false, err
		}
	}
	name = "admin"
	if _, err := a.store.LoginByName(ctx, name); err == nil {
		name = "admin-" + strings.ToLower(RandomToken(3))
	}
	_, password, err = a.CreateUser(ctx, name, backend.RoleAdmin, 0, "")
	if err != nil {
		return "", "", false, err
	}
	return name, password, true, nil
}

// NewMagicLink makes a one-time sign-in token for a staff member and
// returns it; only its hash is stored. EFORBIDDEN for a non-staff person.
func (a *Auth) NewMagicLink(ctx context.Context, personID int64) (string, error) {
	p, err := a.store.Person(ctx, personID)
	if err != nil {
		return "", err
	}
	if !IsStaff(p) {
		return "", backend.Errorf(backend.EFORBIDDEN, "only staff may sign in to the console")
	}
	token := RandomToken(32)
	now := a.cfg.Now()
	m := &backend.MagicLink{PersonID: p.ID, Hash: backend.HashToken(token), CreatedAt: now, ExpiresAt: now.Add(a.cfg.MagicLinkTTL)}
	if err := a.store.CreateMagicLink(ctx, m); err != nil {
		return "", err
	}
	return token, nil
}

// UseMagicLink redeems a sign-in token once. EUNAUTHORIZED when it is
// unknown, used or expired.
func (a *Auth) UseMagicLink(ctx context.Context, token string) (*backend.Person, error) {
	m, err := a.store.UseMagicLink(ctx, backend.HashToken(token), a.cfg.Now())
	if err != nil {
		switch backend.ErrorCode(err) {
		case backend.ENOTFOUND, backend.ECONFLICT:
			return nil, backend.Errorf(backend.EUNAUTHORIZED, "this sign-in link is unknown, used or expired")
		}
		return nil, err
	}
	p, err := a.store.Person(ctx, m.PersonID)
	if err != nil {
		return nil, err
	}
	if !IsStaff(p) {
		return nil, backend.Errorf(backend.EUNAUTHORIZED, "this sign-in link is unknown, used or expired")
	}
	return p, nil
}

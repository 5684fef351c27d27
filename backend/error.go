package backend

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error codes. Every adapter maps them in one place (an HTTP status, a chat
// reply); the messages of EINTERNAL errors are logged, never shown.
const (
	EINVALID      = "invalid"      // the input is wrong; Fields names what
	ENOTFOUND     = "not_found"    // no such thing, or the caller may not know it exists
	ECONFLICT     = "conflict"     // the state does not allow it (illegal transition, concurrent change, duplicate)
	EFORBIDDEN    = "forbidden"    // the caller's role does not allow it
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EUNAVAILABLE  = "unavailable"  // a dependency (the database) is down; try again later
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// Error is a domain error: a code that callers branch on and a message for
// people. Fields, set with EINVALID, names every bad input field.
//
// Message is English (logs, the JSON API). Key, when set, names the same
// sentence in the message catalogs ("err."+Key, with Args), which chats
// and pages show in the reader's language.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string // field name → what is wrong with it
	Key     string
	Args    map[string]any // Number, Status, From, To, Severity, Name, ID
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(e.Message)
	for i, k := range names {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(k + ": " + e.Fields[k])
	}
	return b.String()
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Keyed is Errorf with the catalog key (and its arguments) of the same
// sentence, for the people who read it in another language.
func Keyed(code, key string, args map[string]any, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...), Key: key, Args: args}
}

// ErrorText is err's message for a person, in the language of t (which
// renders a catalog id with data): the sentence under "err."+Key, with
// statuses and severities named in that language too, or Message when
// the error has no key. Internal errors are "internal error".
func ErrorText(err error, t func(id string, data map[string]any) string) string {
	key, args := ErrorKey(err)
	if key == "" {
		return ErrorMessage(err)
	}
	data := make(map[string]any, len(args))
	for k, v := range args {
		switch v := v.(type) {
		case Status:
			data[k] = t("status."+string(v), nil)
		case Severity:
			data[k] = t("severity.name."+string(v), nil)
		default:
			data[k] = v
		}
	}
	return t("err."+key, data)
}

// ErrorKey returns the catalog key and arguments of the first *Error in
// err's chain, or "" when it has none.
func ErrorKey(err error) (string, map[string]any) {
	var e *Error
	if errors.As(err, &e) {
		return e.Key, e.Args
	}
	return "", nil
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of a domain error, and a generic
// text for internal errors so that internals never leak.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "internal error"
}

// ErrorFields returns the per-field problems of an EINVALID error, or nil.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// fieldErrors collects per-field problems during validation.
type fieldErrors map[string]string

func (f fieldErrors) add(field, format string, args ...any) {
	if _, ok := f[field]; !ok {
		f[field] = fmt.Sprintf(format, args...)
	}
}

// err returns nil when nothing was added, else an EINVALID *Error.
func (f fieldErrors) err(what string) error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "invalid " + what, Fields: map[string]string(f)}
}

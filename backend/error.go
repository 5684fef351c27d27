package backend

import (
	"errors"
	"fmt"
	"maps"
	"slices"
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
// Message and Fields are English (logs, the JSON API). Key, when set,
// names the same sentence in the message catalogs ("err."+Key, with Args),
// and Problems the same field problems, which chats and pages show in the
// reader's language.
type Error struct {
	Code     string
	Message  string
	Fields   map[string]string // field name → what is wrong with it
	Key      string
	Args     map[string]any     // Number, Status, From, To, Severity, Name, ID
	Problems map[string]Problem // field name → the problem in Fields, for the catalogs
}

// Problem is what is wrong with one input field, as a catalog key
// ("err.problem."+Key, with Args); the field itself is named by
// "err.field."+<field name>.
type Problem struct {
	Key  string
	Args map[string]any
}

// Invalid is an EINVALID error about one field: message and text in
// English, the problem for people in their language.
func Invalid(message, field, text string, p Problem) *Error {
	return &Error{Code: EINVALID, Message: message, Fields: map[string]string{field: text}, Problems: map[string]Problem{field: p}}
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

// ErrorKey returns the catalog key of a domain error ("" for any other
// error or an error without one).
func ErrorKey(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Key
	}
	return ""
}

// ErrorText is err's message for a person, in the language of t (which
// renders a catalog id with data): the sentence under "err."+Key, with
// statuses and severities named in that language too, or Message when
// the error has no key. Internal errors are "internal error".
//
// The bad fields of an EINVALID error follow, sorted by name, each as its
// label and problem in the language of t; a field without a Problem, or
// whose label t does not know, is shown as in Fields.
func ErrorText(err error, t func(id string, data map[string]any) string) string {
	var e *Error
	if !errors.As(err, &e) || e.Code == EINTERNAL {
		return ErrorMessage(err)
	}
	text := e.Message
	if e.Key != "" {
		text = t("err."+e.Key, localArgs(e.Args, t))
	}
	if len(e.Fields) == 0 {
		return text
	}
	parts := make([]string, 0, len(e.Fields))
	for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
		p, ok := e.Problems[f]
		if !ok {
			parts = append(parts, f+": "+e.Fields[f])
			continue
		}
		label := t("err.field."+f, nil)
		if label == "err.field."+f {
			label = f
		}
		parts = append(parts, t("err.field_problem", map[string]any{"Field": label, "Problem": t("err.problem."+p.Key, localArgs(p.Args, t))}))
	}
	fields := strings.Join(parts, t("err.field_sep", nil))
	if e.Key == "" && len(e.Problems) > 0 {
		return fields // the fields say it all; Message is the English summary
	}
	return t("err.with_fields", map[string]any{"Text": text, "Fields": fields})
}

// localArgs names statuses and severities among args in the language of t.
func localArgs(args map[string]any, t func(id string, data map[string]any) string) map[string]any {
	if args == nil {
		return nil
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
	return data
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

// fieldErrors collects per-field problems during validation: the first
// problem of each field, in English and for the catalogs.
type fieldErrors struct {
	text     map[string]string
	problems map[string]Problem
}

func (f *fieldErrors) add(field string, p Problem, format string, args ...any) {
	if f.text == nil {
		f.text, f.problems = map[string]string{}, map[string]Problem{}
	}
	if _, ok := f.text[field]; !ok {
		f.text[field], f.problems[field] = fmt.Sprintf(format, args...), p
	}
}

// err returns nil when nothing was added, else an EINVALID *Error.
func (f *fieldErrors) err(what string) error {
	if len(f.text) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "invalid " + what, Fields: f.text, Problems: f.problems}
}

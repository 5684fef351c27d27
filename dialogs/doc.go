// Package dialogs is deskbot's platform-neutral intake dialog engine: it
// turns a reporter's chat messages into a complete ticket draft by asking
// the questions of a declarative form one at a time, validating every
// answer, and refusing to file until the required fields are there.
//
// The pieces:
//
//   - Forms (form.go, formload.go) are YAML, embedded as defaults (forms/)
//     and overridable from a directory (FORMS_DIR). A form is checked when it
//     is loaded: field types, slots, conditions and catalog keys.
//   - Validators (validate.go, contact.go, datetime.go) are pure functions
//     that return a *Problem (a catalog key and its data) for a bad answer.
//   - The Engine (engine.go, turn.go, render.go) takes an Input for a
//     SessionKey and returns abstract Replies; at the end it hands a Draft to
//     a Filer.
//   - Sessions (session.go, memstore.go, redisstore.go) keep the dialog
//     state between inputs, with optimistic concurrency so two replicas
//     never lose an answer.
//
// Channels (bot/telegram, bot/slack, bot/webchat) translate their updates
// into Inputs and the Replies back into platform messages; the backend
// implements Filer and, optionally, Suggester.
//
// The package may import only the standard library, dialogs/catalog,
// go-i18n, golang.org/x/text, gopkg.in/yaml.v3 and go-redis. It must never
// import a chat SDK or anything under backend/ or bot/.
package dialogs

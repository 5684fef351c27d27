// Package web is deskbot's assistant console (/console): the queues, the
// ticket page with every field, the thread and the actions, live updates
// over server-sent events, password and magic-link sign-in, and the signed
// cookies and CSRF tokens the web chat (bot/webchat) shares.
//
// Pages are server-rendered html/template with htmx, vendored in static/
// (no build step). Every action goes through backend.Service, which checks
// the actor's role; the templates only hide what the service would refuse.
//
// web may import the standard library, backend and golang.org/x/crypto —
// never bot/ or dialogs/. Texts come from a Translator (the dialogs catalog,
// passed in by cmd/deskbot).
package web

// Package webchat is deskbot's web chat channel (/chat): a reporter page
// that runs the same intake dialogs as Telegram and Slack (buttons for
// choices, file upload for screenshots, the summary with edit, the ticket
// number at the end), then follows the reporter's tickets live over
// server-sent events, with the satisfaction buttons on resolve.
//
// Reporters are anonymous: a random id in a signed cookie is their chat
// account {Platform: "web", UserID: id}, turned into a person with
// Service.ReporterFor on first use. The Chat is also the notify.Sender for
// platform "web": a notice is shown on the reporter's open pages.
//
// webchat may import the standard library, backend, backend/notify,
// backend/web (cookies, live updates, static files), bot/botkit, dialogs
// and dialogs/catalog. No other channel imports it; cmd/deskbot wires it.
package webchat

// Package botkit holds what every chat channel shares: filing a finished
// intake dialog as a ticket (Filer), the content-addressed attachment store
// (Files), the knowledge-base answers offered during intake (Suggester),
// and the localized text of ticket notifications (Renderer).
//
// It imports backend, backend/notify, dialogs and dialogs/catalog — never a
// chat SDK; the channels in bot/telegram, bot/slack and bot/webchat build on it.
package botkit

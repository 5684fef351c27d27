// Package telegram is deskbot's Telegram channel: reporters file tickets by
// chatting with the bot (the dialogs engine asks the questions), follow
// them by number and reply to add information; assistants handle the
// tickets from a triage group, or their team's own group (a triage chat
// per team, backend.Team.Chats), through buttons on a card; every public step
// goes back to the reporter through the outbox, for which the Channel is
// a notify.Sender; managers who subscribe get the weekly and monthly
// reports in private, text and chart, for which it is a reportsend.Sender.
// The owners of a complaint's tasks list them with /tasks and complete
// them with a ✅ and a reply with the result (task.go).
//
// Updates arrive by long polling (getUpdates) or on a webhook
// (/telegram/webhook, checked against the secret header). Either way each
// update id is handled once (Redis SET NX, or the store) and the updates of
// one chat are handled in order, while different chats are handled in
// parallel.
//
// It imports backend, backend/notify, backend/reportsend, bot/botkit,
// dialogs, dialogs/catalog, go-telegram/bot and go-redis; never another
// channel.
package telegram

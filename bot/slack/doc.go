// Package slack is deskbot's Slack channel. Reporters file tickets with
// /ticket or a global shortcut, which open a modal built from the same
// form definition the chat dialog uses (validated as a whole with
// dialogs.Engine.ValidateAll, errors shown per field), or by chatting with
// the bot in a direct message (the dialogs engine asks the questions).
// /ticket status NUMBER and /ticket my answer privately; the App Home
// lists the reporter's open tickets and a task owner's open tasks.
// Assistants handle new tickets from a card in the triage channel, or in
// their team's own channel (backend.Team.Chats) (Claim, Ask, Return,
// Status, Severity,
// Resolve), and thread replies are synced both ways: an assistant's reply
// in the card's thread goes to the reporter, the reporter's reply in the
// ticket's thread in their DM goes into the ticket and the card's thread
// (whatever chat the assignee uses). A complete modal first shows the
// Suggester's knowledge-base answers and open incidents, if any. The
// owners of a complaint's tasks list them with /ticket tasks and complete
// them with a button and a modal for the result (task.go).
// Progress reaches reporters through the outbox, for which the Channel is
// a notify.Sender; weekly and monthly reports reach their subscribers'
// DMs as a text and a chart image, for which it is a reportsend.Sender.
//
// Requests arrive over Socket Mode (SLACK_APP_TOKEN) or as signed HTTP
// requests (SLACK_SIGNING_SECRET) on /slack/events, /slack/interactivity
// and /slack/commands. Every request is answered at once (Slack wants an
// answer within 3 s) and the work is done after, in order per user or
// channel; retried events are handled once (event id).
//
// It imports backend, backend/notify, backend/reportsend, bot/botkit, dialogs,
// dialogs/catalog, slack-go and go-redis; never another channel.
package slack

// Package email is the e-mail route for notifications (DESIGN §4: e-mail
// as a second route for managers): a notify.Sender for the "email"
// platform that sends each outbox message as a plain-text mail over SMTP.
// A person is reachable by e-mail through a chat account with Platform
// "email" and UserID their address.
//
// It imports backend, backend/notify, bot/botkit and the standard library;
// never another channel.
package email

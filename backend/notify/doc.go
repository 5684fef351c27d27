// Package notify delivers the outbox: it claims due messages from the
// store, resolves who and where each is for, hands it to the channel's
// Sender, and marks it sent or schedules a retry (honouring a platform's
// retry_after). A message is delivered at most once per outbox row: it is
// marked sent right after its Sender succeeds, and a crash before that
// leaves it for the next process.
//
// It imports backend and the standard library only; channels implement
// Sender.
package notify

// Package sla runs deskbot's deadlines (DESIGN §4, seeds 002 and 004): the
// work calendar with China's public holidays and make-up workdays, SLA
// policies and routing rules as YAML data, the clocks of each ticket, and
// the timers that warn assignees and climb the escalation chain.
//
// It imports the backend domain and the standard library (plus YAML and the
// job queue); never bot/ or dialogs/. Messages leave through the backend's
// outbox like every other notification.
package sla

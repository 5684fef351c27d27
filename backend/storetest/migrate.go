package storetest

import (
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// MigrateOccurredDateOnly checks the migration that added
// Ticket.OccurredDateOnly (00053 in both stores): the tickets filed before
// it keep the reading cards gave them, a midnight in China time as the day
// alone, any other time as a moment. insert writes a ticket row (status
// new) into a database migrated up to the migration before; at is zero
// for a form that did not ask. migrated then migrates that database to the
// end and returns the store on it.
//
//	storetest.MigrateOccurredDateOnly(t,
//		func(number string, at time.Time) { /* INSERT INTO tickets … */ },
//		func() backend.Store { /* Open, Migrate */ })
func MigrateOccurredDateOnly(t *testing.T, insert func(number string, at time.Time), migrated func() backend.Store) {
	t.Helper()
	tickets := []struct {
		number   string
		at       time.Time
		dateOnly bool
	}{
		{"FB-20261121-0001", time.Date(2026, 11, 21, 0, 0, 0, 0, cst), true},
		{"FB-20261121-0002", time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), false},
		{"FB-20261121-0003", time.Date(2026, 11, 21, 9, 30, 0, 0, cst), false},
		{"SG-20261121-0001", time.Time{}, false},
	}
	for _, tc := range tickets {
		insert(tc.number, tc.at)
	}
	s := migrated()
	for _, tc := range tickets {
		tk, err := s.Ticket(t.Context(), tc.number)
		must(t, err)
		if tk.OccurredDateOnly != tc.dateOnly {
			t.Errorf("%s occurred %v: date only %v, want %v", tc.number, tk.OccurredAt, tk.OccurredDateOnly, tc.dateOnly)
		}
	}
}

package main

import (
	"context"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// sweepEvery is how often stored attachments that no ticket names are
// looked for (the first time sweepFirst after start; tests shorten it).
const sweepEvery = 6 * time.Hour

var sweepFirst = time.Minute

// sweepAge is how old an attachment no ticket names must be to go: a
// day, or twice DIALOG_IDLE_TIMEOUT when that is longer, since the files
// of a dialog in progress are named by no ticket until it is filed.
func (m *Main) sweepAge() time.Duration { return max(24*time.Hour, 2*m.Config.DialogIdle) }

// sweepFiles removes the attachments of dialogs that were cancelled or
// abandoned (botkit.Files.Sweep) until ctx ends.
func (m *Main) sweepFiles(ctx context.Context) {
	log := m.Log.With("component", "attachments")
	wait := sweepFirst
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = sweepEvery
		n, err := m.Files.Sweep(ctx, time.Now().Add(-m.sweepAge()), m.Store.AttachmentsInUse)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("attachments: sweep failed; trying again later", "err", err, "code", backend.ErrorCode(err), "next", sweepEvery)
		case n > 0:
			log.Info("attachments: removed files no ticket names", "files", n, "older_than", m.sweepAge())
		}
	}
}

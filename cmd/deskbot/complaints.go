package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// taskReminderEvery is how often a process looks for complaint tasks past
// their deadline (DESIGN §5); every replica may, each task is reminded
// once.
const taskReminderEvery = time.Minute

// remindTasks reminds the owners of overdue complaint tasks at once and
// then every taskReminderEvery until ctx ends.
func (m *Main) remindTasks(ctx context.Context) {
	sweep(ctx, m.Log.With("component", "tasks"), taskReminderEvery, m.Service.RemindOverdueTasks,
		"tasks: reminding overdue tasks failed; trying again in a minute", "tasks: reminded the owners of overdue tasks")
}

// progressEvery is how often a process looks for tickets whose reporters
// are owed news (Service.SyncProgress); every replica may, each silence
// gets one note.
const progressEvery = time.Minute

// syncProgress sends progress notes at once and then every progressEvery
// until ctx ends; never with PROGRESS_EVERY=off.
func (m *Main) syncProgress(ctx context.Context) {
	if len(m.Config.ProgressEvery) == 0 {
		return
	}
	sync := func(ctx context.Context) (int, error) { return m.Service.SyncProgress(ctx, m.Config.ProgressEvery) }
	sweep(ctx, m.Log.With("component", "progress"), progressEvery, sync,
		"progress: sending progress notes failed; trying again in a minute", "progress: told reporters where their tickets stand")
}

// followUpEvery is how often a process looks for dissatisfaction
// follow-ups to remind (Service.RemindFollowUps, at 09:00 on the first
// day of their window); every replica may, each is reminded once a week.
const followUpEvery = time.Minute

// remindFollowUps reminds the staff of due follow-ups at once and then
// every followUpEvery until ctx ends.
func (m *Main) remindFollowUps(ctx context.Context) {
	sweep(ctx, m.Log.With("component", "followups"), followUpEvery, m.Service.RemindFollowUps,
		"followups: reminding due follow-ups failed; trying again in a minute", "followups: reminded the staff of due follow-ups")
}

// sweep runs fn at once and then every period until ctx ends, logging
// failed when it fails and done when it did something.
func sweep(ctx context.Context, log *slog.Logger, period time.Duration, fn func(context.Context) (int, error), failed, done string) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		n, err := fn(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn(failed, "err", err, "code", backend.ErrorCode(err))
		case n > 0:
			log.Info(done, "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

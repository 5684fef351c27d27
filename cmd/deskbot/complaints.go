package main

import (
	"context"
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
	log := m.Log.With("component", "tasks")
	t := time.NewTicker(taskReminderEvery)
	defer t.Stop()
	for {
		n, err := m.Service.RemindOverdueTasks(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("tasks: reminding overdue tasks failed; trying again in a minute", "err", err, "code", backend.ErrorCode(err))
		case n > 0:
			log.Info("tasks: reminded the owners of overdue tasks", "tasks", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

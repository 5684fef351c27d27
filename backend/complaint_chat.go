package backend

import "context"

// TaskToComplete returns a task and its ticket when actor may complete
// it now, as CompleteTask would decide: a chat asks for the result only
// then, so that a press by someone who may not ends there with the
// reason. ENOTFOUND as Task; ECONFLICT when it is done already;
// EFORBIDDEN for anyone but its owner, the complaint's assignee and
// managers.
func (s *Service) TaskToComplete(ctx context.Context, actor *Person, id int64) (*Task, *Ticket, error) {
	task, t, err := s.Task(ctx, actor, id)
	if err != nil {
		return nil, nil, err
	}
	if task.Done() {
		return nil, nil, Keyed(ECONFLICT, "task_done", map[string]any{"ID": TaskRef(id)}, "task %s is done already", TaskRef(id))
	}
	if err := mayComplete(actor, task, t); err != nil {
		return nil, nil, err
	}
	return task, t, nil
}

package slack

import (
	"context"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Complaint tasks (DESIGN §5, seed 001) in Slack: "/ticket tasks" lists
// the user's open tasks, each with a Complete button (action "tc", the
// task id as value), as does the owner's notice of a new or overdue
// task; pressing it opens a modal asking for the result, and submitting
// it completes the task. Who may complete it is the service's call,
// asked at the press and again on submission.

// cbTask is the callback id of the modal that asks for a task's result;
// cbTaskObject, of the one that asks its owner for an objection (seed
// 001: the plan goes ahead unless they object).
const (
	cbTask       = "task"
	cbTaskObject = "task_object"
)

// actTask is the action id of a task's Complete button; actTaskObject, of
// its owner's Object button.
const (
	actTask       = "tc"
	actTaskObject = "to"
)

// maxTasksListed bounds the list (Slack takes 50 blocks in a message).
const maxTasksListed = 20

// commandTasks answers "/ticket tasks": the user's open tasks, the
// earliest deadline first, each with its Complete button, shown to them
// only.
func (c *Channel) commandTasks(ctx context.Context, user, channel string) {
	p, err := c.reporter(ctx, user)
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(catalog.ZhCN, err))
		return
	}
	loc := botkit.Locale(p)
	tasks, err := c.svc.MyTasks(ctx, p, false)
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(loc, err))
		return
	}
	if len(tasks) == 0 {
		c.ephemeral(ctx, channel, user, c.T(loc, "task.list.none", nil))
		return
	}
	tasks = tasks[:min(len(tasks), maxTasksListed)]
	title := c.T(loc, "task.list.title", map[string]any{"Count": len(tasks)})
	lines := []string{title}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(title), nil, nil)}
	now := c.now()
	for _, t := range tasks {
		line := c.render.TaskLine(loc, t, now)
		lines = append(lines, line)
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(line), nil, slack.NewAccessory(c.taskButton(loc, t.ID))))
	}
	c.ephemeralBlocks(ctx, channel, user, strings.Join(lines, "\n"), blocks)
}

// homeTasks are the App Home's section of p's open tasks (as "/ticket
// tasks" lists them), none when they have none.
func (c *Channel) homeTasks(ctx context.Context, p *backend.Person) []slack.Block {
	tasks, err := c.svc.MyTasks(ctx, p, false)
	if err != nil {
		c.log.Warn("slack: app home tasks", "person", p.ID, "err", err)
		return nil
	}
	if len(tasks) == 0 {
		return nil
	}
	loc := botkit.Locale(p)
	tasks = tasks[:min(len(tasks), maxTasksListed)]
	blocks := []slack.Block{slack.NewDividerBlock(), slack.NewSectionBlock(mrkdwn(c.T(loc, "task.list.title", map[string]any{"Count": len(tasks)})), nil, nil)}
	now := c.now()
	for _, t := range tasks {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(c.render.TaskLine(loc, t, now)), nil, slack.NewAccessory(c.taskButton(loc, t.ID))))
	}
	return blocks
}

// taskButton completes task id.
func (c *Channel) taskButton(loc string, id int64) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actTask, strconv.FormatInt(id, 10),
		plainN(c.T(loc, "task.btn.complete", map[string]any{"Task": backend.TaskRef(id)}), 75))
}

// taskBlocks are a notice to a task's owner with its Complete button,
// and its Object button when objectable.
func (c *Channel) taskBlocks(loc, text string, id int64, objectable bool) []slack.Block {
	buttons := []slack.BlockElement{c.taskButton(loc, id)}
	if objectable {
		buttons = append(buttons, slack.NewButtonBlockElement(actTaskObject, strconv.FormatInt(id, 10), plainN(c.T(loc, "task.btn.object", nil), 75)))
	}
	return []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil), slack.NewActionBlock(actTask, buttons...)}
}

// taskModal are the texts of the modal that asks for a task's result,
// or for its owner's objection.
type taskModal struct {
	callback, title, label, placeholder, empty, done string
	check                                            func(context.Context, *backend.Person, int64) (*backend.Task, *backend.Ticket, error)
	record                                           func(context.Context, *backend.Person, int64, string) (*backend.Task, error)
}

func (c *Channel) taskModalOf(object bool) taskModal {
	if object {
		return taskModal{callback: cbTaskObject, title: "task.object.title", label: "task.object.label", placeholder: "task.object.placeholder",
			empty: "task.object.empty", done: "task.object.done", check: c.svc.TaskToObject, record: c.svc.ObjectTask}
	}
	return taskModal{callback: cbTask, title: "task.modal.title", label: "task.modal.label", placeholder: "task.prompt.placeholder",
		empty: "task.result.empty", done: "task.completed", check: c.svc.TaskToComplete, record: c.svc.CompleteTask}
}

// ephemeralBlocks shows text and blocks to one user in a channel, or in
// their DM when it cannot (as ephemeral does).
func (c *Channel) ephemeralBlocks(ctx context.Context, channel, user, text string, blocks []slack.Block) {
	if channel != "" {
		err := c.retry(ctx, func() error {
			_, err := c.api.PostEphemeralContext(ctx, channel, user, fallbackText(text), slack.MsgOptionBlocks(blocks...))
			return err
		})
		if err == nil {
			return
		}
		c.log.Debug("slack: ephemeral failed, writing to the DM", "channel", channel, "err", err)
	}
	c.post(ctx, user, text, blocks, "")
}

// noticeText is the text of a task's notice (taskBlocks) as the owner
// reads it, from its message's section, or "" when it has none.
func noticeText(msg slack.Message) string {
	for _, b := range msg.Blocks.BlockSet {
		if sec, ok := b.(*slack.SectionBlock); ok && sec.Text != nil {
			return entityDecoder.Replace(sec.Text.Text)
		}
	}
	return ""
}

// maxMeta bounds a view's private_metadata (Slack's limit).
const maxMeta = 3000

// openTaskModal opens the modal that asks for a task's result (object:
// the owner's objection), when the service says the user may give it;
// otherwise it tells them why, to them only, and nothing changes.
// trigger expires 3 s after the press. An objection's modal carries the
// notice pressed (msg), which loses its Object button once the objection
// is in, when it fits the modal's metadata.
func (c *Channel) openTaskModal(ctx context.Context, trigger, user, value, channel string, msg slack.Message, object bool) {
	tm := c.taskModalOf(object)
	p, err := c.reporter(ctx, user)
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(catalog.ZhCN, err))
		return
	}
	loc := botkit.Locale(p)
	id, ok := backend.ParseTaskRef(value)
	if !ok {
		return
	}
	task, _, err := tm.check(ctx, p, id)
	if err != nil {
		c.ephemeral(ctx, channel, user, c.errorText(loc, err))
		return
	}
	meta := strconv.FormatInt(id, 10) + metaSep + channel
	if text := noticeText(msg); object && text != "" && msg.Timestamp != "" {
		if full := meta + metaSep + msg.Timestamp + metaSep + text; len(full) <= maxMeta {
			meta = full
		}
	}
	in := slack.NewPlainTextInputBlockElement(plainN(c.T(loc, botkit.TaskKey(task.Kind, tm.placeholder), nil), 150), actValue)
	in.Multiline = true
	in.MaxLength = 2000
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      tm.callback,
		Title:           plainN(c.T(loc, tm.title, nil), 24),
		Submit:          plainN(c.T(loc, "slack.modal.submit", nil), 24),
		Close:           plainN(c.T(loc, "slack.modal.close", nil), 24),
		PrivateMetadata: meta,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("text", plainN(c.T(loc, botkit.TaskKey(task.Kind, tm.label), botkit.TaskData(task)), 2000), nil, in),
		}},
	}
	if _, err := c.api.OpenViewContext(ctx, trigger, v); err != nil {
		c.log.Warn("slack: views.open failed", "user", user, "err", err)
	}
}

// submitTask completes the task of a submitted result modal (object:
// records the objection of an objection's modal) while the modal waits
// (as submitAction): an empty text or the service's refusal (done
// meanwhile, not theirs) is shown on the text and Slack keeps what was
// typed; done, the user is told so.
func (c *Channel) submitTask(ctx context.Context, cb slack.InteractionCallback, object bool) any {
	tm := c.taskModalOf(object)
	// id|channel, and for an objection the notice's ts|text.
	meta := append(strings.SplitN(cb.View.PrivateMetadata, metaSep, 4), "", "", "")
	ref, channel, ts, notice := meta[0], meta[1], meta[2], meta[3]
	id, ok := backend.ParseTaskRef(ref)
	if !ok {
		return nil
	}
	user := cb.User.ID
	loc := c.cfg.TriageLocale
	if p, err := c.store.PersonByAccount(ctx, Platform, user); err == nil {
		loc = botkit.Locale(p)
	}
	text := ""
	if cb.View.State != nil {
		text = strings.TrimSpace(cb.View.State.Values["text"][actValue].Value)
	}
	if text == "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{"text": c.T(loc, tm.empty, nil)})
	}
	return c.fileWaiting(ctx, user, func(ctx context.Context) modalProblem {
		p, err := c.reporter(ctx, user)
		if err != nil {
			return modalProblem{block: "text", text: c.errorText(loc, err)}
		}
		task, err := tm.record(ctx, p, id, text)
		if err != nil {
			return modalProblem{block: "text", text: c.errorText(loc, err)}
		}
		c.later(user, func(ctx context.Context) {
			if object && ts != "" {
				_ = c.update(ctx, channel, ts, notice, c.taskBlocks(loc, notice, id, false)) // logged
			}
			c.ephemeral(ctx, channel, user, c.T(loc, botkit.TaskKey(task.Kind, tm.done), botkit.TaskData(task)))
		})
		c.refreshHome(user) // its list loses the task
		return modalProblem{}
	}, func(p modalProblem) any {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{p.block: clip(p.text, 1000)})
	})
}

package telegram

import (
	"context"
	"strconv"
	"strings"

	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Complaint tasks (DESIGN §5, seed 001) in Telegram: /tasks lists the
// sender's open tasks, each with a ✅ button ("tc:<id>"), as does the
// owner's notice of a new or overdue task; pressing it asks for the
// result (a ForceReply question remembered as kindTaskPrompt + id), and
// the reply completes the task. Who may complete it is the service's
// call, asked at the press and again with the result. Once the task is
// done its ✅ leaves the message it was pressed on (the other tasks'
// buttons of a /tasks list stay); a ✅ of a task done elsewhere goes at
// its first press, which says the task is done.

// kindTaskPrompt + a task id is the question whose reply is that task's
// result; kindObjectPrompt + a task id, the one whose reply is its
// owner's objection (✋, "to:<id>", seed 001).
const (
	kindTaskPrompt   = "task:"
	kindObjectPrompt = "taskobj:"
)

// maxTasksListed bounds the /tasks list (and its buttons).
const maxTasksListed = 20

// myTasks answers /tasks: the sender's open tasks, the earliest deadline
// first, each with its ✅ button.
func (c *Channel) myTasks(ctx context.Context, m *models.Message) {
	chat := m.Chat.ID
	p, err := c.reporter(ctx, m.From, chat)
	if err != nil {
		c.fail(ctx, chat, catalog.Normalize(m.From.LanguageCode), err)
		return
	}
	loc := botkit.Locale(p)
	tasks, err := c.svc.MyTasks(ctx, p, false)
	if err != nil {
		c.fail(ctx, chat, loc, err)
		return
	}
	if len(tasks) == 0 {
		c.say(ctx, chat, c.T(loc, "task.list.none", nil))
		return
	}
	tasks = tasks[:min(len(tasks), maxTasksListed)]
	lines := []string{c.T(loc, "task.list.title", map[string]any{"Count": len(tasks)})}
	ids := make([]int64, 0, len(tasks))
	now := c.now()
	for _, t := range tasks {
		lines = append(lines, c.render.TaskLine(loc, t, now))
		ids = append(ids, t.ID)
	}
	c.reply(ctx, out{chat: chat, text: strings.Join(lines, "\n"), markup: c.tasksKeyboard(loc, ids)})
}

// taskButton completes task id.
func (c *Channel) taskButton(loc string, id int64) models.InlineKeyboardButton {
	return button(c.T(loc, "task.btn.complete", map[string]any{"Task": backend.TaskRef(id)}), "tc:"+strconv.FormatInt(id, 10))
}

// objectButton objects to task id.
func (c *Channel) objectButton(loc string, id int64) models.InlineKeyboardButton {
	return button(c.T(loc, "task.btn.object", nil), "to:"+strconv.FormatInt(id, 10))
}

// ownerKeyboard is the owner's buttons under a notice of their task: ✅,
// and ✋ for a complaint's task they may object to.
func (c *Channel) ownerKeyboard(loc string, id int64, objectable bool) *models.InlineKeyboardMarkup {
	kb := c.tasksKeyboard(loc, []int64{id})
	if objectable {
		kb.InlineKeyboard[0] = append(kb.InlineKeyboard[0], c.objectButton(loc, id))
	}
	return kb
}

// onTaskButton asks the presser for the result of the task, when the
// service says they may complete it; otherwise the press is answered
// with the service's reason and nothing changes.
func (c *Channel) onTaskButton(ctx context.Context, q *models.CallbackQuery, msg *models.Message, rest string) {
	c.askTask(ctx, q, msg, rest, false)
}

// onObjectButton asks the task's owner for their objection, as
// onTaskButton asks for a result.
func (c *Channel) onObjectButton(ctx context.Context, q *models.CallbackQuery, msg *models.Message, rest string) {
	c.askTask(ctx, q, msg, rest, true)
}

// askTask asks the presser for the result of the task (object: their
// objection to it) when the service says they may give it.
func (c *Channel) askTask(ctx context.Context, q *models.CallbackQuery, msg *models.Message, rest string, object bool) {
	loc := catalog.Normalize(q.From.LanguageCode)
	p, err := c.actor(ctx, &q.From, &msg.Chat)
	if err != nil {
		if backend.ErrorCode(err) == backend.ENOTFOUND {
			c.answer(ctx, q, c.T(c.cfg.TriageLocale, "telegram.triage.not_allowed", nil), true) // a group: only linked staff
			return
		}
		c.answer(ctx, q, c.errorText(loc, err), true)
		return
	}
	loc = c.localeIn(&msg.Chat, p)
	id, ok := backend.ParseTaskRef(rest)
	if !ok {
		c.answer(ctx, q, "", false)
		return
	}
	others := otherTasks(msg, id)
	toAsk, prompt, placeholder, kind := c.svc.TaskToComplete, "task.prompt", "task.prompt.placeholder", kindTaskPrompt
	if object {
		toAsk, prompt, placeholder, kind = c.svc.TaskToObject, "task.object.prompt", "task.object.placeholder", kindObjectPrompt
	}
	task, t, err := toAsk(ctx, p, id)
	if err != nil {
		c.answer(ctx, q, c.errorText(loc, err), true)
		switch backend.ErrorKey(err) {
		case "task_done":
			c.editMarkup(ctx, msg.Chat.ID, msg.ID, c.tasksKeyboard(loc, others))
		case "task_objected":
			c.editMarkup(ctx, msg.Chat.ID, msg.ID, c.tasksKeyboard(loc, append([]int64{id}, others...)))
		}
		return
	}
	c.answer(ctx, q, "", false)
	sent, err := c.reply(ctx, out{chat: msg.Chat.ID, replyTo: msg.ID, text: c.T(loc, botkit.TaskKey(task.Kind, prompt), botkit.TaskData(task)),
		markup: &models.ForceReply{ForceReply: true, InputFieldPlaceholder: clip(c.T(loc, botkit.TaskKey(task.Kind, placeholder), nil), 64)}})
	if err != nil {
		return
	}
	c.remember(ctx, &backend.ChatMessage{Platform: Platform, ChatID: itoa(msg.Chat.ID), MessageID: strconv.Itoa(sent.ID),
		TicketID: t.ID, Kind: kind + taskPrompt{task: id, buttons: msg.ID, others: others}.String()})
}

// taskPrompt is what the question for a task's result remembers: the
// task, and the message whose ✅ was pressed with the tasks whose buttons
// stay on it once this one is done. Stored as "12@345:13,14" ("12": a
// question asked before the buttons were remembered).
type taskPrompt struct {
	task    int64
	buttons int // the message with the ✅; 0: unknown
	others  []int64
}

func (tp taskPrompt) String() string {
	s := strconv.FormatInt(tp.task, 10) + "@" + strconv.Itoa(tp.buttons) + ":"
	for i, id := range tp.others {
		if i > 0 {
			s += ","
		}
		s += strconv.FormatInt(id, 10)
	}
	return s
}

func parseTaskPrompt(s string) (tp taskPrompt, ok bool) {
	ref, rest, _ := strings.Cut(s, "@")
	if tp.task, ok = backend.ParseTaskRef(ref); !ok {
		return tp, false
	}
	msg, others, _ := strings.Cut(rest, ":")
	tp.buttons, _ = strconv.Atoi(msg)
	for f := range strings.SplitSeq(others, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			tp.others = append(tp.others, id)
		}
	}
	return tp, true
}

// otherTasks lists the tasks whose ✅ msg carries, but task's.
func otherTasks(msg *models.Message, task int64) []int64 {
	var ids []int64
	if msg.ReplyMarkup == nil {
		return nil
	}
	for _, row := range msg.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if v, ok := strings.CutPrefix(b.CallbackData, "tc:"); ok {
				if id, err := strconv.ParseInt(v, 10, 64); err == nil && id != task {
					ids = append(ids, id)
				}
			}
		}
	}
	return ids
}

// tasksKeyboard is a ✅ per task, one a row; nil for none.
func (c *Channel) tasksKeyboard(loc string, ids []int64) *models.InlineKeyboardMarkup {
	if len(ids) == 0 {
		return nil
	}
	kb := &models.InlineKeyboardMarkup{}
	for _, id := range ids {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{c.taskButton(loc, id)})
	}
	return kb
}

// objectTask takes a reply to the question for an objection to a task:
// the ✋ leaves the message it was pressed on.
func (c *Channel) objectTask(ctx context.Context, m *models.Message, p *backend.Person, loc, ref, text string) {
	chat := m.Chat.ID
	tp, ok := parseTaskPrompt(ref)
	if !ok {
		return
	}
	if text == "" {
		c.reply(ctx, out{chat: chat, text: c.T(loc, "task.object.empty", nil), replyTo: m.ID})
		return
	}
	task, err := c.svc.ObjectTask(ctx, p, tp.task, text)
	if err != nil {
		c.reply(ctx, out{chat: chat, text: c.errorText(loc, err), replyTo: m.ID})
		return
	}
	c.reply(ctx, out{chat: chat, text: c.T(loc, "task.object.done", botkit.TaskData(task)), replyTo: m.ID})
	if tp.buttons != 0 {
		c.editMarkup(ctx, chat, tp.buttons, c.tasksKeyboard(loc, append([]int64{tp.task}, tp.others...)))
	}
}

// completeTask takes a reply to the question for a task's result.
func (c *Channel) completeTask(ctx context.Context, m *models.Message, p *backend.Person, loc, ref, text string) {
	chat := m.Chat.ID
	tp, ok := parseTaskPrompt(ref)
	if !ok {
		return
	}
	id := tp.task
	if text == "" {
		c.reply(ctx, out{chat: chat, text: c.T(loc, "task.result.empty", nil), replyTo: m.ID})
		return
	}
	task, err := c.svc.CompleteTask(ctx, p, id, text)
	if err != nil {
		c.reply(ctx, out{chat: chat, text: c.errorText(loc, err), replyTo: m.ID})
		return
	}
	c.reply(ctx, out{chat: chat, text: c.T(loc, botkit.TaskKey(task.Kind, "task.completed"), botkit.TaskData(task)), replyTo: m.ID})
	if tp.buttons != 0 {
		c.editMarkup(ctx, chat, tp.buttons, c.tasksKeyboard(loc, tp.others))
	}
}

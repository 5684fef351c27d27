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
// call, asked at the press and again with the result.

// kindTaskPrompt + a task id is the question whose reply is that task's
// result.
const kindTaskPrompt = "task:"

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
	kb := &models.InlineKeyboardMarkup{}
	now := c.now()
	for _, t := range tasks {
		lines = append(lines, c.render.TaskLine(loc, t, now))
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{c.taskButton(loc, t.ID)})
	}
	c.reply(ctx, out{chat: chat, text: strings.Join(lines, "\n"), markup: kb})
}

// taskButton completes task id.
func (c *Channel) taskButton(loc string, id int64) models.InlineKeyboardButton {
	return button(c.T(loc, "task.btn.complete", map[string]any{"Task": backend.TaskRef(id)}), "tc:"+strconv.FormatInt(id, 10))
}

// taskKeyboard is the ✅ button under the owner's notice of a task.
func (c *Channel) taskKeyboard(loc string, id int64) *models.InlineKeyboardMarkup {
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{c.taskButton(loc, id)}}}
}

// onTaskButton asks the presser for the result of the task, when the
// service says they may complete it; otherwise the press is answered
// with the service's reason and nothing changes.
func (c *Channel) onTaskButton(ctx context.Context, q *models.CallbackQuery, msg *models.Message, rest string) {
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
	task, t, err := c.svc.TaskToComplete(ctx, p, id)
	if err != nil {
		c.answer(ctx, q, c.errorText(loc, err), true)
		return
	}
	c.answer(ctx, q, "", false)
	sent, err := c.reply(ctx, out{chat: msg.Chat.ID, replyTo: msg.ID, text: c.T(loc, "task.prompt", botkit.TaskData(task)),
		markup: &models.ForceReply{ForceReply: true, InputFieldPlaceholder: clip(c.T(loc, "task.prompt.placeholder", nil), 64)}})
	if err != nil {
		return
	}
	c.remember(ctx, &backend.ChatMessage{Platform: Platform, ChatID: itoa(msg.Chat.ID), MessageID: strconv.Itoa(sent.ID),
		TicketID: t.ID, Kind: kindTaskPrompt + strconv.FormatInt(id, 10)})
}

// completeTask takes a reply to the question for a task's result.
func (c *Channel) completeTask(ctx context.Context, m *models.Message, p *backend.Person, loc, ref, text string) {
	chat := m.Chat.ID
	id, ok := backend.ParseTaskRef(ref)
	if !ok {
		return
	}
	if text == "" {
		c.reply(ctx, out{chat: chat, text: c.T(loc, "task.result.empty", nil), replyTo: m.ID})
		return
	}
	task, err := c.svc.CompleteTask(ctx, p, id, text)
	if err != nil {
		c.reply(ctx, out{chat: chat, text: c.errorText(loc, err), replyTo: m.ID})
		return
	}
	c.reply(ctx, out{chat: chat, text: c.T(loc, "task.completed", botkit.TaskData(task)), replyTo: m.ID})
}

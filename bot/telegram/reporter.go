package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/backend/size"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// numberRE finds a ticket number in a message (the bot's own texts).
var numberRE = regexp.MustCompile(`\b[A-Z]{1,8}-\d{8}-\d{4,}\b`)

func sessionKey(chat, user int64) dialogs.SessionKey {
	return dialogs.SessionKey{Platform: Platform, ChatID: itoa(chat), UserID: itoa(user)}
}

func displayName(u *models.User) string {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" && u.Username != "" {
		name = "@" + u.Username
	}
	return name
}

// reporter returns the person behind a user writing in a private chat,
// created as a reporter on first contact.
func (c *Channel) reporter(ctx context.Context, u *models.User, chat int64) (*backend.Person, error) {
	acct := backend.ChatAccount{Platform: Platform, UserID: itoa(u.ID), ChatID: itoa(chat)}
	return c.svc.ReporterFor(ctx, acct, displayName(u), catalog.Normalize(u.LanguageCode))
}

// T is a catalog text.
func (c *Channel) T(loc, key string, data map[string]any) string { return c.cat.T(loc, key, data) }

// say sends a plain text answer to a chat.
func (c *Channel) say(ctx context.Context, chat int64, text string) {
	c.reply(ctx, out{chat: chat, text: text})
}

// parseCommand splits "/cmd@bot arg" into ("cmd", "arg").
func parseCommand(text string) (string, string, bool) {
	if !strings.HasPrefix(text, "/") {
		return "", "", false
	}
	word, arg, _ := strings.Cut(strings.TrimSpace(text[1:]), " ")
	word, _, _ = strings.Cut(word, "@")
	return strings.ToLower(word), strings.TrimSpace(arg), word != ""
}

func (c *Channel) onMessage(ctx context.Context, m *models.Message) {
	switch { // a group became a supergroup: both say so
	case m.MigrateToChatID != 0:
		c.learnMigration(ctx, m.Chat.ID, m.MigrateToChatID)
		return
	case m.MigrateFromChatID != 0:
		c.learnMigration(ctx, m.MigrateFromChatID, m.Chat.ID)
		return
	}
	if m.From == nil || m.From.IsBot {
		return
	}
	if m.Chat.Type != models.ChatTypePrivate {
		c.onGroupMessage(ctx, m)
		return
	}
	chat := m.Chat.ID
	key := sessionKey(chat, m.From.ID)
	text := strings.TrimSpace(m.Text)
	hasFile := len(m.Photo) > 0 || m.Document != nil

	if cmd, arg, ok := parseCommand(text); ok && c.onCommand(ctx, m, key, cmd, arg) {
		return
	}
	if tg, ok := c.replyTarget(ctx, m); ok {
		c.onReply(ctx, m, tg)
		return
	}
	if text != "" && c.isLabel(text, "telegram.btn.new") {
		c.startForm(ctx, m, key, c.cfg.DefaultForm)
		return
	}
	if text != "" && c.isLabel(text, "telegram.btn.my") {
		c.myTickets(ctx, m)
		return
	}
	if hasFile {
		c.onFile(ctx, m, key)
		return
	}
	// A dialog in progress takes the text; otherwise it may ask for a
	// ticket's status (a number, alone or in 查一下 FB-… 的进度), else the
	// dialog engine answers it (and offers the forms).
	o, active, err := c.engine.Continue(ctx, key, dialogs.Input{Text: text, Locale: catalog.Normalize(m.From.LanguageCode)})
	if err != nil {
		c.fail(ctx, chat, catalog.Normalize(m.From.LanguageCode), err)
		return
	}
	if active {
		c.sendOutput(ctx, chat, o)
		return
	}
	p, err := c.reporter(ctx, m.From, chat)
	if err != nil {
		c.fail(ctx, chat, catalog.Normalize(m.From.LanguageCode), err)
		return
	}
	if n, ok := c.words.AskedNumber(text); ok {
		c.showStatus(ctx, chat, p, n)
		return
	}
	// 满意 typed instead of pressed rates the latest resolved ticket; 已解决
	// answers the solution put to them.
	if number, answer, err := c.words.AnswerTyped(ctx, c.svc, c.cat, p, text); number != "" {
		if err != nil {
			c.fail(ctx, chat, botkit.Locale(p), err)
			return
		}
		c.reply(ctx, out{chat: chat, text: answer})
		return
	}
	c.dialog(ctx, chat, key, dialogs.Input{Text: text, Locale: botkit.Locale(p)})
}

// onFile hands a photo or document to the dialog in progress, or says
// that files belong in one.
func (c *Channel) onFile(ctx context.Context, m *models.Message, key dialogs.SessionKey) {
	chat := m.Chat.ID
	loc := catalog.Normalize(m.From.LanguageCode)
	active, err := c.engine.Active(ctx, key)
	if err != nil {
		c.fail(ctx, chat, loc, err)
		return
	}
	if !active {
		if p, err := c.reporter(ctx, m.From, chat); err == nil {
			loc = botkit.Locale(p)
		}
		c.say(ctx, chat, c.T(loc, "telegram.file.no_dialog", nil))
		return
	}
	ref, ok := c.receiveFile(ctx, m, loc)
	if !ok {
		return
	}
	c.dialog(ctx, chat, key, dialogs.Input{Files: []dialogs.FileRef{ref}, Text: strings.TrimSpace(m.Caption)})
}

// onCommand handles a slash command; false lets the text go on to the
// dialog (which knows /back, /skip, …).
func (c *Channel) onCommand(ctx context.Context, m *models.Message, key dialogs.SessionKey, cmd, arg string) bool {
	chat := m.Chat.ID
	switch cmd {
	case "start":
		if backend.IsInviteCode(arg) {
			c.redeem(ctx, m, arg)
			return true
		}
		if isSourcePayload(arg) {
			c.startFromSource(ctx, m, key, arg)
			return true
		}
		p, err := c.reporter(ctx, m.From, chat)
		if err != nil {
			c.fail(ctx, chat, catalog.Normalize(m.From.LanguageCode), err)
			return true
		}
		loc := botkit.Locale(p)
		c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.welcome", map[string]any{"Name": p.Name}), markup: c.mainKeyboard(loc)})
		c.startFormFor(ctx, m, key, p, c.cfg.DefaultForm)
	case "new":
		form := arg
		if form == "" {
			form = c.cfg.DefaultForm
		}
		c.startForm(ctx, m, key, form)
	case "status":
		p, err := c.reporter(ctx, m.From, chat)
		if err != nil {
			c.fail(ctx, chat, catalog.Normalize(m.From.LanguageCode), err)
			return true
		}
		if n := strings.ToUpper(arg); backend.ValidNumber(n) {
			c.showStatus(ctx, chat, p, n)
		} else {
			c.say(ctx, chat, c.T(botkit.Locale(p), "telegram.status.usage", nil))
		}
	case "my":
		c.myTickets(ctx, m)
	case "tasks":
		c.myTasks(ctx, m) // task.go
	case "cancel":
		active, err := c.engine.Active(ctx, key)
		if err != nil || !active {
			c.say(ctx, chat, c.T(catalog.Normalize(m.From.LanguageCode), "telegram.cancel.none", nil))
			return true
		}
		c.dialog(ctx, chat, key, dialogs.Input{Button: "cmd:cancel"})
	case "lang":
		p, err := c.reporter(ctx, m.From, chat)
		if err != nil {
			c.fail(ctx, chat, catalog.Normalize(m.From.LanguageCode), err)
			return true
		}
		if loc := parseLang(arg); loc != "" {
			c.setLang(ctx, chat, key, p, loc)
			return true
		}
		loc := botkit.Locale(p)
		c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.lang.choose", nil), markup: &models.InlineKeyboardMarkup{
			InlineKeyboard: [][]models.InlineKeyboardButton{{button("中文", "lg:"+catalog.ZhCN), button("English", "lg:"+catalog.En)}}}})
	case "console":
		c.consoleLink(ctx, m)
	case "report":
		c.reportCommand(ctx, m, arg)
	case "help":
		p, err := c.reporter(ctx, m.From, chat)
		if err != nil {
			c.fail(ctx, chat, catalog.Normalize(m.From.LanguageCode), err)
			return true
		}
		c.help(ctx, chat, p)
	default:
		return false
	}
	return true
}

func parseLang(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "en", "english", "英文", "英语":
		return catalog.En
	case "zh", "zh-cn", "cn", "中文", "chinese", "汉语":
		return catalog.ZhCN
	}
	return ""
}

// mainKeyboard is the persistent keyboard under the input field.
func (c *Channel) mainKeyboard(loc string) *models.ReplyKeyboardMarkup {
	return &models.ReplyKeyboardMarkup{
		Keyboard:       [][]models.KeyboardButton{{{Text: c.T(loc, "telegram.btn.new", nil)}, {Text: c.T(loc, "telegram.btn.my", nil)}}},
		ResizeKeyboard: true, IsPersistent: true,
	}
}

// isLabel reports whether text is the label of a keyboard button in any
// language.
func (c *Channel) isLabel(text, key string) bool {
	for _, loc := range c.cat.Locales() {
		if text == c.T(loc, key, nil) {
			return true
		}
	}
	return false
}

func (c *Channel) help(ctx context.Context, chat int64, p *backend.Person) {
	loc := botkit.Locale(p)
	text := c.T(loc, "telegram.help.reporter", nil)
	if p.Handles() {
		text += "\n\n" + c.T(loc, "telegram.help.staff", nil)
	}
	c.reply(ctx, out{chat: chat, text: text, markup: c.mainKeyboard(loc)})
}

func (c *Channel) startForm(ctx context.Context, m *models.Message, key dialogs.SessionKey, form string) {
	p, err := c.reporter(ctx, m.From, m.Chat.ID)
	if err != nil {
		c.fail(ctx, m.Chat.ID, catalog.Normalize(m.From.LanguageCode), err)
		return
	}
	c.startFormFor(ctx, m, key, p, form)
}

// startFormFor is startForm for the reporter p, already looked up.
func (c *Channel) startFormFor(ctx context.Context, m *models.Message, key dialogs.SessionKey, p *backend.Person, form string) {
	if _, ok := c.engine.Form(form); !ok {
		c.say(ctx, m.Chat.ID, c.T(botkit.Locale(p), "telegram.form.unknown", map[string]any{"Form": form}))
		return
	}
	o, err := c.engine.Start(ctx, key, form, botkit.Locale(p))
	if err != nil { // the session store is down, say
		c.fail(ctx, m.Chat.ID, botkit.Locale(p), err)
		return
	}
	c.sendOutput(ctx, m.Chat.ID, o)
}

// dialog passes one input to the dialog engine and shows its replies.
func (c *Channel) dialog(ctx context.Context, chat int64, key dialogs.SessionKey, in dialogs.Input) {
	o, err := c.engine.Handle(ctx, key, in)
	if err != nil {
		c.fail(ctx, chat, in.Locale, err)
		return
	}
	c.sendOutput(ctx, chat, o)
}

func (c *Channel) sendOutput(ctx context.Context, chat int64, o dialogs.Output) error {
	var last *models.Message
	for _, r := range o.Replies {
		o := out{chat: chat, text: r.Text}
		if kb := keyboard(r.Buttons); kb != nil {
			o.markup = kb
		}
		m, err := c.reply(ctx, o)
		if err != nil {
			return err
		}
		last = m
	}
	if last != nil {
		c.filed(ctx, chat, last.ID, o.TicketNumber)
	}
	return nil
}

// SendNotice implements botkit.NoticeSender: the dialog's notice (its form
// expired) goes to the chat of its session.
func (c *Channel) SendNotice(ctx context.Context, n dialogs.Notice) error {
	chat, err := strconv.ParseInt(n.Key.ChatID, 10, 64)
	if err != nil {
		return fmt.Errorf("telegram: notice for chat %q: %w", n.Key.ChatID, err)
	}
	return c.sendOutput(ctx, chat, n.Out)
}

// filed remembers the message that told the reporter their ticket was
// filed (none when number is ""): a reply to it goes into the ticket, and
// the outbox's receipt, which would say the same again, is not sent.
func (c *Channel) filed(ctx context.Context, chat int64, msgID int, number string) {
	if number == "" {
		return
	}
	if t, err := c.store.Ticket(ctx, number); err == nil {
		c.remember(ctx, &backend.ChatMessage{Platform: Platform, ChatID: itoa(chat), MessageID: strconv.Itoa(msgID), TicketID: t.ID, Kind: kindFiled})
	}
}

// receiveFile downloads the photo or document of m into Files. A refused
// file is explained to the user, and the dialog is not touched.
func (c *Channel) receiveFile(ctx context.Context, m *models.Message, loc string) (dialogs.FileRef, bool) {
	var fileID, name string
	var size int64
	max := c.files.MaxSize()
	if len(m.Photo) > 0 {
		// Telegram sends several sizes; take the largest that fits.
		best := -1
		for i, ph := range m.Photo {
			if int64(ph.FileSize) <= max && (best < 0 || ph.FileSize > m.Photo[best].FileSize) {
				best = i
			}
		}
		if best < 0 {
			size = int64(m.Photo[len(m.Photo)-1].FileSize)
		} else {
			fileID, size, name = m.Photo[best].FileID, int64(m.Photo[best].FileSize), "photo.jpg"
		}
	} else {
		fileID, name, size = m.Document.FileID, m.Document.FileName, m.Document.FileSize
	}
	ref, err := c.fetch(ctx, fileID, name, size)
	if err != nil {
		c.say(ctx, m.Chat.ID, c.fileProblem(loc, err))
		return ref, false
	}
	return ref, true
}

// fetch downloads a Telegram file through getFile into Files.
func (c *Channel) fetch(ctx context.Context, fileID, name string, announced int64) (dialogs.FileRef, error) {
	max := c.files.MaxSize()
	if fileID == "" || announced > max {
		return dialogs.FileRef{}, &botkit.FileError{Code: "too_big", Size: announced, Max: max}
	}
	f, err := c.bot.GetFile(ctx, &bot.GetFileParams{FileID: fileID})
	if err != nil {
		return dialogs.FileRef{}, fmt.Errorf("getFile: %w", err)
	}
	if f.FileSize > max {
		return dialogs.FileRef{}, &botkit.FileError{Code: "too_big", Size: f.FileSize, Max: max}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.bot.FileDownloadLink(f), nil)
	if err != nil {
		return dialogs.FileRef{}, errors.New("download: bad request")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL holds the token: never put it in an error.
		return dialogs.FileRef{}, errors.New("download: " + strings.ReplaceAll(err.Error(), c.cfg.Token, "***"))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return dialogs.FileRef{}, fmt.Errorf("download: HTTP %d", resp.StatusCode)
	}
	a, err := c.files.Put(resp.Body, name)
	if err != nil {
		return dialogs.FileRef{}, err
	}
	return dialogs.FileRef{ID: a.SHA256, Name: a.Name, ContentType: a.ContentType, Size: a.Size}, nil
}

func (c *Channel) fileProblem(loc string, err error) string {
	var fe *botkit.FileError
	if errors.As(err, &fe) {
		if fe.Code == "too_big" {
			return c.T(loc, "telegram.file.too_big", map[string]any{"Max": size.Text(fe.Max)})
		}
		return c.T(loc, "telegram.file.type", map[string]any{"Type": fe.ContentType})
	}
	c.log.Warn("telegram: file download failed", "err", err)
	return c.T(loc, "telegram.file.failed", nil)
}

// redeem links the user as staff with an invite code (/start <code>).
func (c *Channel) redeem(ctx context.Context, m *models.Message, code string) {
	acct := backend.ChatAccount{Platform: Platform, UserID: itoa(m.From.ID), ChatID: itoa(m.Chat.ID)}
	loc := catalog.Normalize(m.From.LanguageCode)
	p, err := c.svc.RedeemInvite(ctx, code, acct, displayName(m.From), loc)
	switch backend.ErrorCode(err) {
	case "":
	case backend.ENOTFOUND, backend.ECONFLICT:
		c.say(ctx, m.Chat.ID, c.T(loc, "telegram.invite.bad", nil))
		return
	default:
		c.fail(ctx, m.Chat.ID, loc, err)
		return
	}
	loc = botkit.Locale(p)
	roles := make([]string, 0, len(p.Roles))
	for _, r := range p.Roles {
		if r != backend.RoleReporter {
			roles = append(roles, string(r))
		}
	}
	c.log.Info("telegram: account linked by invite", "person", p.ID, "roles", roles)
	c.reply(ctx, out{chat: m.Chat.ID, text: c.T(loc, "telegram.invite.ok", map[string]any{"Name": p.Name, "Roles": strings.Join(roles, ", ")}), markup: c.mainKeyboard(loc)})
}

// showStatus shows a ticket and its latest progress to p.
func (c *Channel) showStatus(ctx context.Context, chat int64, p *backend.Person, number string) {
	loc := botkit.Locale(p)
	t, events, err := c.svc.Thread(ctx, p, number)
	if err != nil {
		c.fail(ctx, chat, loc, err)
		return
	}
	latest := c.T(loc, "telegram.status.no_progress", nil)
	audience := backend.AudienceReporter
	if t.ReporterID != p.ID {
		audience = backend.AudienceAssignee
	}
	for i := len(events) - 1; i >= 0; i-- {
		if e := events[i]; e.Kind != backend.EventNotificationSent && e.Kind != backend.EventCreated {
			latest = c.render.Notice(ctx, notify.Message{Outbox: &backend.OutboxMessage{Audience: audience}, Ticket: t, Event: e, Recipient: p})
			break
		}
	}
	text := c.T(loc, "telegram.status.show", map[string]any{
		"Number": t.Number, "Status": c.render.Status(loc, t.Status), "Severity": c.render.Severity(loc, t.Severity),
		"Summary": clip(t.Summary, 300), "Latest": latest,
	})
	if progress := c.render.TaskProgress(ctx, c.svc, p, loc, t, c.now()); progress != "" {
		text += "\n" + progress // a complaint's tasks: 任务 2/3 已完成
	}
	o := out{chat: chat, text: text}
	switch {
	case t.ReporterID != p.ID:
	case t.Status == backend.StatusResolved && t.Satisfaction == backend.SatisfactionNone:
		o.markup = c.ratingKeyboard(loc, t.Number)
	case t.Status == backend.StatusPendingConfirmation:
		o.markup = c.confirmKeyboard(loc, t.Number)
	}
	c.reply(ctx, o)
}

// openStatuses are the statuses /my lists.
var openStatuses = func() []backend.Status {
	var s []backend.Status
	for _, st := range backend.Statuses {
		if st.Open() {
			s = append(s, st)
		}
	}
	return s
}()

// myTickets lists the user's open tickets (an assistant's: assigned to them).
func (c *Channel) myTickets(ctx context.Context, m *models.Message) {
	chat := m.Chat.ID
	p, err := c.reporter(ctx, m.From, chat)
	if err != nil {
		c.fail(ctx, chat, catalog.Normalize(m.From.LanguageCode), err)
		return
	}
	loc := botkit.Locale(p)
	f := backend.TicketFilter{Status: openStatuses, Limit: 10}
	if p.Handles() {
		f.AssigneeID = p.ID
	}
	page, err := c.svc.Tickets(ctx, p, f)
	if err != nil {
		c.fail(ctx, chat, loc, err)
		return
	}
	if len(page.Tickets) == 0 {
		c.say(ctx, chat, c.T(loc, "telegram.my.none", nil))
		return
	}
	lines := []string{c.T(loc, "telegram.my.title", map[string]any{"Count": len(page.Tickets)})}
	kb := &models.InlineKeyboardMarkup{}
	for _, t := range page.Tickets {
		lines = append(lines, c.T(loc, "telegram.my.line", map[string]any{"Number": t.Number, "Status": c.render.Status(loc, t.Status), "Summary": clip(t.Summary, 40)}))
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{button(t.Number+" · "+c.render.Status(loc, t.Status), "vw:"+t.Number)})
	}
	c.reply(ctx, out{chat: chat, text: strings.Join(lines, "\n"), markup: kb})
}

// setLang changes p's language, and the running dialog's.
func (c *Channel) setLang(ctx context.Context, chat int64, key dialogs.SessionKey, p *backend.Person, loc string) {
	p.Locale = loc
	if err := c.store.UpdatePerson(ctx, p); err != nil {
		c.fail(ctx, chat, loc, err)
		return
	}
	c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.lang.set", nil), markup: c.mainKeyboard(loc)})
	if active, err := c.engine.Active(ctx, key); err == nil && active {
		c.dialog(ctx, chat, key, dialogs.Input{Button: "cmd:lang:" + loc})
	}
}

// fail tells the user what went wrong, mapping error codes in one place;
// internals are logged, not shown.
func (c *Channel) fail(ctx context.Context, chat int64, loc string, err error) {
	c.say(ctx, chat, c.errorText(loc, err))
}

func (c *Channel) errorText(loc string, err error) string {
	return botkit.ErrorText(c.cat, c.log, "telegram", loc, err)
}

// consoleLink answers /console in a private chat: a linked staff member
// gets a one-time sign-in link to the web console. (In a group the link
// could be used by anyone who sees it first; onGroupMessage refuses.)
func (c *Channel) consoleLink(ctx context.Context, m *models.Message) {
	chat := m.Chat.ID
	p, err := c.reporter(ctx, m.From, chat)
	if err != nil {
		c.fail(ctx, chat, catalog.Normalize(m.From.LanguageCode), err)
		return
	}
	text, err := botkit.ConsoleReply(ctx, c.cat, c.console, p)
	if err != nil {
		c.fail(ctx, chat, botkit.Locale(p), err)
		return
	}
	c.say(ctx, chat, text)
}

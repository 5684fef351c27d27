package telegram

// Groups as ticket sources (DESIGN §11). Agents talk about problems in
// their own groups, as they did on QQ. In any group the bot is in, other
// than the triage and team groups, `/new` — as a reply to the message
// that describes the problem, or followed by the description — answers
// with a button that opens a private chat with the bot, where the form
// starts with that message's text and picture already in it. The ticket
// remembers the message (backend.Ticket.Source), and the group hears,
// as replies to it, when the ticket is filed and when it is resolved; the
// rest of the handling goes to the reporter privately, as for any ticket.
//
// The button is a deep link (t.me/<bot>?start=<payload>) naming the
// group, the message and the form, signed with a server secret so that a
// link cannot be made up for a message of a group one is not in. The
// message itself is not stored: the bot forwards it into the private chat
// when the link is opened (the reporter sees what they report), and reads
// its text and picture from the forwarded copy.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// sourceSecret names the server secret that signs source links.
const sourceSecret = "telegram-source-links"

// A source link's payload: "g" and the base64url of chat (8 bytes),
// message (4), flags (1), the form id, and a MAC of those (9). Telegram
// takes up to 64 characters of [A-Za-z0-9_-] after ?start=.
const (
	sourcePrefix = "g"
	sourceMAC    = 9
	sourceQuote  = 1 // the message describes the problem: bring it along
	maxPayload   = 64
)

// sourceLink is what a source link names.
type sourceLink struct {
	chat  int64
	msg   int
	quote bool
	form  string
}

// source is the ticket's Source for the link's message.
func (l sourceLink) source() string {
	return fmt.Sprintf("%s:%d:%d", Platform, l.chat, l.msg)
}

// sourceKey is the secret that signs source links, the same in every
// replica (the store keeps it).
func (c *Channel) sourceKey(ctx context.Context) ([]byte, error) {
	c.srcMu.Lock()
	defer c.srcMu.Unlock()
	if c.srcKey != nil {
		return c.srcKey, nil
	}
	key, err := c.store.Secret(ctx, sourceSecret, []byte(rand.Text()))
	if err != nil {
		return nil, err
	}
	c.srcKey = key
	return key, nil
}

func sourceSum(key, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(body)
	return h.Sum(nil)[:sourceMAC]
}

// encode is the link's payload, "" when it does not fit.
func (l sourceLink) encode(key []byte) string {
	body := binary.BigEndian.AppendUint64(nil, uint64(l.chat))
	body = binary.BigEndian.AppendUint32(body, uint32(l.msg))
	flags := byte(0)
	if l.quote {
		flags |= sourceQuote
	}
	body = append(append(body, flags), l.form...)
	p := sourcePrefix + base64.RawURLEncoding.EncodeToString(append(body, sourceSum(key, body)...))
	if len(p) > maxPayload {
		return ""
	}
	return p
}

// decodeSource reads a payload made by encode with key; ok is false for
// anything else (another kind of payload, a link made up or cut short).
func decodeSource(key []byte, payload string) (l sourceLink, ok bool) {
	rest, found := strings.CutPrefix(payload, sourcePrefix)
	if !found {
		return l, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(raw) < 13+sourceMAC {
		return l, false
	}
	body, sum := raw[:len(raw)-sourceMAC], raw[len(raw)-sourceMAC:]
	if !hmac.Equal(sum, sourceSum(key, body)) {
		return l, false
	}
	l.chat = int64(binary.BigEndian.Uint64(body))
	l.msg = int(binary.BigEndian.Uint32(body[8:]))
	l.quote = body[12]&sourceQuote != 0
	l.form = string(body[13:])
	return l, true
}

// isSourcePayload tells a source link's payload from an invite code and
// the rest.
func isSourcePayload(arg string) bool {
	return strings.HasPrefix(arg, sourcePrefix) && !backend.IsInviteCode(arg)
}

// forMe reports whether a command in a group is for this bot: "/new",
// or "/new@<this bot>" where several bots share the group.
func (c *Channel) forMe(text string) bool {
	word, _, _ := strings.Cut(strings.TrimSpace(text), " ")
	_, to, addressed := strings.Cut(word, "@")
	return !addressed || strings.EqualFold(to, c.username())
}

func (c *Channel) username() string {
	if u, ok := c.me.Load().(string); ok {
		return u
	}
	return ""
}

// onSourceGroup serves a group that is not a staff group: /new (and
// /help); everything else there is the group's own talk.
func (c *Channel) onSourceGroup(ctx context.Context, m *models.Message) {
	cmd, arg, ok := parseCommand(m.Text)
	if !ok || !c.forMe(m.Text) {
		return
	}
	loc := catalog.Normalize(m.From.LanguageCode)
	switch cmd {
	case "help":
		c.reply(ctx, out{chat: m.Chat.ID, text: c.T(loc, "telegram.source.help", nil), replyTo: m.ID})
	case "new":
		c.offerSource(ctx, m, arg, loc)
	}
}

// offerSource answers /new in a group with the button that continues in
// private. The message reported is the one /new replies to; else /new's
// own, when a description follows it; else none (the form starts empty,
// the group still hears about the ticket).
func (c *Channel) offerSource(ctx context.Context, m *models.Message, arg, loc string) {
	l := sourceLink{chat: m.Chat.ID, msg: m.ID, form: c.cfg.DefaultForm}
	if _, ok := c.engine.Form(arg); ok {
		l.form, arg = arg, ""
	}
	switch r := m.ReplyToMessage; {
	case r != nil && (r.From == nil || !r.From.IsBot) && (r.Text != "" || r.Caption != "" || len(r.Photo) > 0 || r.Document != nil):
		l.msg, l.quote = r.ID, true
	case arg != "":
		l.quote = true
	}
	key, err := c.sourceKey(ctx)
	if err != nil {
		c.fail(ctx, m.Chat.ID, loc, err)
		return
	}
	payload := l.encode(key)
	if payload == "" { // a form id too long for a link: the default form
		l.form = c.cfg.DefaultForm
		payload = l.encode(key)
	}
	link := "https://t.me/" + url.PathEscape(c.username()) + "?start=" + payload
	text := c.T(loc, "telegram.source.offer", map[string]any{"Quoted": l.quote})
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: c.T(loc, "telegram.source.btn", nil), URL: link},
	}}}
	c.reply(ctx, out{chat: m.Chat.ID, text: text, markup: kb, replyTo: m.ID})
}

// startFromSource opens the form for a source link in the reporter's
// private chat: the message is forwarded there, and its text and picture
// are the first answers.
func (c *Channel) startFromSource(ctx context.Context, m *models.Message, key dialogs.SessionKey, arg string) {
	chat := m.Chat.ID
	p, err := c.reporter(ctx, m.From, chat)
	if err != nil {
		c.fail(ctx, chat, catalog.Normalize(m.From.LanguageCode), err)
		return
	}
	loc := botkit.Locale(p)
	secret, err := c.sourceKey(ctx)
	if err != nil {
		c.fail(ctx, chat, loc, err)
		return
	}
	l, ok := decodeSource(secret, arg)
	if !ok {
		c.reply(ctx, out{chat: chat, text: c.T(loc, "telegram.source.bad_link", nil), markup: c.mainKeyboard(loc)})
		c.startFormFor(ctx, m, key, p, c.cfg.DefaultForm)
		return
	}
	if _, ok := c.engine.Form(l.form); !ok {
		l.form = c.cfg.DefaultForm
	}
	in := dialogs.Input{Locale: loc}
	if l.quote {
		in = c.quote(ctx, chat, l, loc)
	}
	o, err := c.engine.StartFrom(ctx, key, l.form, loc, l.source())
	if err != nil {
		c.fail(ctx, chat, loc, err)
		return
	}
	c.sendOutput(ctx, chat, o)
	if in.Text != "" || len(in.Files) > 0 {
		c.dialog(ctx, chat, key, in)
	}
}

// quote forwards the link's message into chat and returns it as a
// dialog input: its text or caption (without a leading /new) and its
// picture or file. A message that cannot be forwarded (deleted, or the
// group forbids saving its content) is said so, and the form starts
// empty.
func (c *Channel) quote(ctx context.Context, chat int64, l sourceLink, loc string) dialogs.Input {
	in := dialogs.Input{Locale: loc}
	fwd, err := c.bot.ForwardMessage(ctx, &bot.ForwardMessageParams{ChatID: chat, FromChatID: l.chat, MessageID: l.msg})
	if err != nil {
		c.log.Info("telegram: the reported group message cannot be forwarded", "group", l.chat, "message", l.msg, "err", err)
		c.say(ctx, chat, c.T(loc, "telegram.source.unavailable", nil))
		return in
	}
	text := strings.TrimSpace(fwd.Text)
	if text == "" {
		text = strings.TrimSpace(fwd.Caption)
	}
	if cmd, arg, ok := parseCommand(text); ok && cmd == "new" {
		if _, isForm := c.engine.Form(arg); isForm {
			arg = ""
		}
		text = arg
	}
	in.Text = text
	if len(fwd.Photo) > 0 || fwd.Document != nil {
		if ref, ok := c.receiveFile(ctx, fwd, loc); ok {
			in.Files = []dialogs.FileRef{ref}
		}
	}
	return in
}

// sourceNotice is what a ticket's source group hears: that it was filed
// (or, for a problem its reporter added to their ticket instead, that it
// went there), and that it was resolved, as replies to the message
// reported. A group other than the ticket's source (its problem added to
// a ticket reported from elsewhere) gets no reply: that message is not
// the ticket's. The earlier ticket's summary is not shown: it may have
// been reported in private.
func (c *Channel) sourceNotice(m notify.Message, loc string) (out, bool) {
	_, chat, msg, ok := backend.ParseSource(m.Ticket.Source)
	id, err := strconv.Atoi(msg)
	if !ok || err != nil {
		return out{}, false
	}
	here := chat == m.Outbox.Chat
	data := map[string]any{"Number": m.Ticket.Number, "Summary": clip(m.Ticket.Summary, 80),
		"Status": c.render.Status(loc, m.Ticket.Status), "Here": here}
	o := out{}
	if here {
		o.replyTo = id
	}
	switch e := m.Event; {
	case e.Kind == backend.EventCreated:
		o.text = c.T(loc, "telegram.source.filed", data)
	case e.Kind == backend.EventComment:
		o.text = c.T(loc, "telegram.source.added", data)
	case e.Kind == backend.EventStatusChanged && e.Data.To == backend.StatusResolved:
		o.text = c.T(loc, "telegram.source.resolved", data)
	default:
		return out{}, false
	}
	return o, true
}

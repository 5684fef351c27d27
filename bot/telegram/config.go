package telegram

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Modes of receiving updates.
const (
	ModePoll    = "poll"
	ModeWebhook = "webhook"
)

// WebhookPath is where the webhook handler is registered.
const WebhookPath = "/telegram/webhook"

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// Config is the channel's configuration; cmd/deskbot fills it from the
// environment. Zero values take the defaults stated on each field.
type Config struct {
	// Token (TELEGRAM_BOT_TOKEN) is the bot token from @BotFather. Empty:
	// the channel is off.
	Token string
	// APIURL (TELEGRAM_API_URL) is the Bot API server, without a trailing
	// slash. Default https://api.telegram.org; tests point it at a fake.
	APIURL string
	// Mode (TELEGRAM_MODE) is "poll" (default) or "webhook".
	Mode string
	// WebhookSecret (TELEGRAM_WEBHOOK_SECRET) is the secret Telegram sends
	// in X-Telegram-Bot-Api-Secret-Token; required in webhook mode, 1–256
	// characters of A-Z a-z 0-9 _ -.
	WebhookSecret string
	// WebhookURL (TELEGRAM_WEBHOOK_URL) is the public https URL of
	// /telegram/webhook. When set, Run registers it with setWebhook; when
	// empty, the webhook is registered by hand. Default empty.
	WebhookURL string
	// TriageChat (TELEGRAM_TRIAGE_CHAT) is the assistants' group id, such
	// as -1001234567890. 0 (default): no triage cards are posted.
	TriageChat int64
	// TriageLocale is the language of the triage group. Default zh-CN.
	TriageLocale string
	// DefaultForm is the form /start, /new and the "New ticket" button
	// start. Default "feedback".
	DefaultForm string

	// PollTimeout is how long one getUpdates call waits. Default 50 s.
	PollTimeout time.Duration
	// Workers is how many chats are served at once; the updates of one
	// chat are always handled in order. Default 32.
	Workers int
	// DedupTTL is how long an update id is remembered. Default 24 h.
	DedupTTL time.Duration
	// Limits are Telegram's sending limits, applied to notifications.
	// Default: Telegram's published limits (DefaultLimits).
	Limits Limits
	// ReceiptWait is how long the reporter's receipt for a ticket filed
	// through the dialog waits for the dialog's own answer to be recorded
	// before it goes out anyway (botkit.DialogReceipt). Default
	// botkit.ReceiptWait (5 s).
	ReceiptWait time.Duration
}

// Limits are the sending rates the channel keeps to.
type Limits struct {
	// Global is the minimum interval between any two notifications
	// (≈30/s). Default 34 ms.
	Global time.Duration
	// GlobalBurst is how many may go out at once. Default 30.
	GlobalBurst int
	// Chat is the interval between messages to one private chat. Default 1 s.
	Chat time.Duration
	// ChatBurst: default 2.
	ChatBurst int
	// Group is the interval between messages to one group. Default 4 s:
	// with the burst of 5 that is at most 20 in any minute, Telegram's
	// limit for a group.
	Group time.Duration
	// GroupBurst: default 5.
	GroupBurst int
	// MaxWait is the longest a notification waits for its slot before it
	// is handed back to the outbox to retry later. Default 2 s.
	MaxWait time.Duration
}

// DefaultLimits are Telegram's published limits: about 30 messages a
// second overall, one a second per chat, 20 a minute per group.
var DefaultLimits = Limits{
	Global: 34 * time.Millisecond, GlobalBurst: 30,
	Chat: time.Second, ChatBurst: 2,
	Group: 4 * time.Second, GroupBurst: 5, // 5 + 60 s ÷ 4 s = 20 a minute
	MaxWait: 2 * time.Second,
}

// Enabled reports whether a token is set.
func (c Config) Enabled() bool { return strings.TrimSpace(c.Token) != "" }

var secretRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// Validate checks an enabled configuration; the error names the variable.
func (c Config) Validate() error {
	var errs []string
	if c.Mode != "" && c.Mode != ModePoll && c.Mode != ModeWebhook {
		errs = append(errs, fmt.Sprintf("TELEGRAM_MODE: %q is not poll or webhook", c.Mode))
	}
	if c.Mode == ModeWebhook && !secretRE.MatchString(c.WebhookSecret) {
		errs = append(errs, "TELEGRAM_WEBHOOK_SECRET: required in webhook mode, 1–256 characters of A-Z a-z 0-9 _ -")
	}
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.HasSuffix(c.APIURL, "/") {
			errs = append(errs, fmt.Sprintf("TELEGRAM_API_URL: %q is not an http(s) URL without a trailing slash", c.APIURL))
		}
	}
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Sprintf("TELEGRAM_WEBHOOK_URL: %q is not an https URL", c.WebhookURL))
		}
	}
	if c.TriageChat > 0 {
		errs = append(errs, "TELEGRAM_TRIAGE_CHAT: a group id is negative, like -1001234567890")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func (c *Config) defaults() {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.Mode == "" {
		c.Mode = ModePoll
	}
	if c.TriageLocale == "" {
		c.TriageLocale = "zh-CN"
	}
	if c.DefaultForm == "" {
		c.DefaultForm = "feedback"
	}
	if c.PollTimeout <= 0 {
		c.PollTimeout = 50 * time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 32
	}
	if c.DedupTTL <= 0 {
		c.DedupTTL = 24 * time.Hour
	}
	d := DefaultLimits
	l := &c.Limits
	if l.Global <= 0 {
		l.Global = d.Global
	}
	if l.GlobalBurst <= 0 {
		l.GlobalBurst = d.GlobalBurst
	}
	if l.Chat <= 0 {
		l.Chat = d.Chat
	}
	if l.ChatBurst <= 0 {
		l.ChatBurst = d.ChatBurst
	}
	if l.Group <= 0 {
		l.Group = d.Group
	}
	if l.GroupBurst <= 0 {
		l.GroupBurst = d.GroupBurst
	}
	if l.MaxWait <= 0 {
		l.MaxWait = d.MaxWait
	}
}

// ValidGroup says whether s is a Telegram group id, which is negative
// (-1001234567890), as TELEGRAM_TRIAGE_CHAT and a team's own group
// (deskbot team set-chat, the console's Teams page) must be.
func ValidGroup(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n < 0
}

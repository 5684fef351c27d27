package slack

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Modes of receiving requests.
const (
	ModeSocket = "socket" // Socket Mode: a websocket opened with the app token
	ModeHTTP   = "http"   // Events API and interactivity over signed HTTP requests
)

// Paths of the HTTP-mode endpoints on the main server.
const (
	EventsPath      = "/slack/events"
	InteractionPath = "/slack/interactivity"
	CommandsPath    = "/slack/commands"
)

// DefaultAPIURL is Slack's Web API.
const DefaultAPIURL = "https://slack.com/api/"

// Config is the channel's configuration; cmd/deskbot fills it from the
// environment. Zero values take the defaults stated on each field.
type Config struct {
	// BotToken (SLACK_BOT_TOKEN) is the bot token, xoxb-…. Empty: the
	// channel is off.
	BotToken string
	// AppToken (SLACK_APP_TOKEN) is an app-level token, xapp-…, with
	// connections:write. When set, the channel uses Socket Mode.
	AppToken string
	// SigningSecret (SLACK_SIGNING_SECRET) verifies HTTP requests. Required
	// without an app token (HTTP mode).
	SigningSecret string
	// APIURL (SLACK_API_URL) is the Web API base, with a trailing slash.
	// Default https://slack.com/api/; tests point it at a fake.
	APIURL string
	// TriageChannel (SLACK_TRIAGE_CHANNEL) is the assistants' channel id,
	// such as C0123456789. Empty (default): no triage cards are posted.
	TriageChannel string
	// TriageLocale is the language of the triage channel. Default zh-CN.
	TriageLocale string
	// DefaultForm is the form /ticket, the shortcut and a DM start.
	// Default "feedback".
	DefaultForm string
	// Command is the slash command. Default "/ticket".
	Command string
	// Workers is how many users and channels are served at once; the
	// requests of one are handled in order. Default 32.
	Workers int
	// DedupTTL is how long an event id is remembered. Default 24 h.
	DedupTTL time.Duration
	// MaxWait is the longest a reply waits out a 429 before it gives up.
	// Default 5 s.
	MaxWait time.Duration
	// SubmitWait is how long a modal submission waits for its ticket to
	// be filed, so that a failure can be shown on the modal; Slack allows
	// 3 s for the answer. Default 2 s.
	SubmitWait time.Duration
	// ReceiptWait is how long the reporter's receipt for a ticket filed
	// through the dialog waits for the dialog's own answer to be recorded
	// before it goes out anyway (botkit.DialogReceipt). Default
	// botkit.ReceiptWait (5 s).
	ReceiptWait time.Duration
}

// Enabled reports whether a bot token is set.
func (c Config) Enabled() bool { return strings.TrimSpace(c.BotToken) != "" }

// Mode is "socket" with an app token, else "http".
func (c Config) Mode() string {
	if strings.TrimSpace(c.AppToken) != "" {
		return ModeSocket
	}
	return ModeHTTP
}

// Validate checks an enabled configuration; the error names the variable.
func (c Config) Validate() error {
	var errs []string
	if !strings.HasPrefix(c.BotToken, "xoxb-") {
		errs = append(errs, "SLACK_BOT_TOKEN: a bot token starts with xoxb-")
	}
	if c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-") {
		errs = append(errs, "SLACK_APP_TOKEN: an app-level token starts with xapp-")
	}
	if c.AppToken == "" && c.SigningSecret == "" {
		errs = append(errs, "SLACK_SIGNING_SECRET: required without SLACK_APP_TOKEN (HTTP mode: requests must be verified)")
	}
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !strings.HasSuffix(c.APIURL, "/") {
			errs = append(errs, fmt.Sprintf("SLACK_API_URL: %q is not an http(s) URL ending in a slash, like https://slack.com/api/", c.APIURL))
		}
	}
	if c.TriageChannel != "" && !channelRE(c.TriageChannel) {
		errs = append(errs, fmt.Sprintf("SLACK_TRIAGE_CHANNEL: %q is not a channel id like C0123456789", c.TriageChannel))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// ValidChannel says whether s looks like a Slack channel id (C0123456789,
// or G… for an old private channel), as SLACK_TRIAGE_CHANNEL and a team's
// own channel (deskbot team set-chat) must.
func ValidChannel(s string) bool { return channelRE(s) }

func channelRE(s string) bool {
	if len(s) < 3 || (s[0] != 'C' && s[0] != 'G') {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func (c *Config) defaults() {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.TriageLocale == "" {
		c.TriageLocale = "zh-CN"
	}
	if c.DefaultForm == "" {
		c.DefaultForm = "feedback"
	}
	if c.Command == "" {
		c.Command = "/ticket"
	}
	if c.Workers <= 0 {
		c.Workers = 32
	}
	if c.DedupTTL <= 0 {
		c.DedupTTL = 24 * time.Hour
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 5 * time.Second
	}
	if c.SubmitWait <= 0 {
		c.SubmitWait = 2 * time.Second
	}
}

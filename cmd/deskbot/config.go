package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/deskbot/deskbot/backend"
	slackbot "github.com/deskbot/deskbot/bot/slack"
	"github.com/deskbot/deskbot/bot/telegram"
)

// Config is everything deskbot reads from its environment, parsed once at
// start-up. Secrets may also be given as a file with the _FILE variant of
// the variable (DATABASE_URL_FILE=/run/secrets/db).
type Config struct {
	// DatabaseURL (DATABASE_URL) is a postgres:// URL. Default: empty, which
	// means the embedded SQLite database at DataDir/deskbot.db.
	DatabaseURL string
	// DataDir (DESKBOT_DATA) holds the SQLite file and attachments. Default ./data.
	DataDir string
	// RedisURL (REDIS_URL) is a redis:// URL for dialog sessions and
	// de-duplication. Default: empty, which means in-process state.
	RedisURL string
	// RedisPrefix (REDIS_PREFIX) starts every key deskbot writes in Redis,
	// so that several deployments (or test runs) can share one database.
	// Default "deskbot:".
	RedisPrefix string
	// HTTPAddr (HTTP_ADDR) is where the web chat, console and API listen. Default :8080.
	HTTPAddr string
	// TZName (TZ_NAME) is the IANA zone for ticket numbers, dates in dialogs
	// and business hours. Default Asia/Shanghai.
	TZName string
	// LogLevel (LOG_LEVEL) is debug, info, warn or error. Default info.
	LogLevel string
	// PublicURL (PUBLIC_URL) is how people reach this server, for links
	// sent in chat (console magic links). Default: the address deskbot
	// listens on (http://localhost:<port>).
	PublicURL string
	// FormsDir (FORMS_DIR) holds intake forms (*.yaml) and their texts
	// (name.zh-CN.yaml, name.en.yaml) that replace or add to the embedded
	// ones. Default: empty, the embedded forms only.
	FormsDir string
	// DialogIdle (DIALOG_IDLE_TIMEOUT) is how long an unfinished intake
	// dialog is kept without an answer. Default 30m.
	DialogIdle time.Duration
	// StartTimeout (START_TIMEOUT) is how long "serve" and "migrate" wait
	// for Postgres and Redis to answer at start-up, retrying, before they
	// give up. Default 60s; 0 does not wait. Other commands never wait.
	StartTimeout time.Duration
	// MetricsToken (METRICS_TOKEN), when set, is the bearer token /metrics
	// asks for. Default: empty, /metrics is open (keep it off the public
	// internet, or set a token).
	MetricsToken string
	// WebhookURL (WEBHOOK_URL) gets every ticket event as a signed POST
	// (backend/webhook). Default: empty, no webhook. WebhookSecret
	// (WEBHOOK_SECRET, secret; required with the URL, 16 characters or
	// more) keys the signature.
	WebhookURL    string
	WebhookSecret string
	// ProgressEvery (PROGRESS_EVERY) is how long a ticket may go without
	// news to its reporter before a progress note, by severity:
	// "P1=24h,P2=48h" (the default, seed 002); "off" sends none.
	ProgressEvery map[backend.Severity]time.Duration

	// Telegram is the Telegram channel (TELEGRAM_* variables); off without
	// TELEGRAM_BOT_TOKEN. See bot/telegram/README.md.
	Telegram telegram.Config
	// Slack is the Slack channel (SLACK_* variables); off without
	// SLACK_BOT_TOKEN. See bot/slack/README.md.
	Slack slackbot.Config
	// SLA is deadlines and escalation (SLA_POLICY_FILE, SLA_HOLIDAYS_FILE,
	// SLA_POLL, SMTP_URL, SMS_WEBHOOK_*). See backend/sla/README.md.
	SLA SLAConfig

	location *time.Location
}

// Location returns the parsed TZ_NAME.
func (c *Config) Location() *time.Location { return c.location }

// SQLitePath is the embedded database file.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "deskbot.db") }

// LoadConfig reads the configuration from getenv (os.Getenv in main, a map
// in tests) and validates it; the error names the variable at fault.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []string
	get := func(name, def string) string {
		v := strings.TrimSpace(getenv(name))
		if file := strings.TrimSpace(getenv(name + "_FILE")); v == "" && file != "" {
			b, err := os.ReadFile(file)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s_FILE: cannot read %s: %v", name, file, err))
				return def
			}
			v = strings.TrimSpace(string(b))
		}
		if v == "" {
			return def
		}
		return v
	}
	c := Config{
		DatabaseURL: get("DATABASE_URL", ""),
		DataDir:     get("DESKBOT_DATA", "./data"),
		RedisURL:    get("REDIS_URL", ""),
		RedisPrefix: get("REDIS_PREFIX", "deskbot:"),
		HTTPAddr:    get("HTTP_ADDR", ":8080"),
		TZName:      get("TZ_NAME", "Asia/Shanghai"),
		LogLevel:    strings.ToLower(get("LOG_LEVEL", "info")),
		FormsDir:    get("FORMS_DIR", ""),
		PublicURL:   strings.TrimRight(get("PUBLIC_URL", ""), "/"),

		MetricsToken: get("METRICS_TOKEN", ""),

		WebhookURL:    get("WEBHOOK_URL", ""),
		WebhookSecret: get("WEBHOOK_SECRET", ""),
	}
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Sprintf("WEBHOOK_URL: %q is not an http(s) URL like https://hooks.example.com/deskbot", c.WebhookURL))
		}
		if len(c.WebhookSecret) < 16 {
			errs = append(errs, "WEBHOOK_SECRET: required with WEBHOOK_URL, at least 16 characters (receivers check the signature with it)")
		}
	} else if c.WebhookSecret != "" {
		errs = append(errs, "WEBHOOK_SECRET: set, but WEBHOOK_URL is empty: nothing would be sent")
	}
	if d, err := time.ParseDuration(get("DIALOG_IDLE_TIMEOUT", "30m")); err != nil || d < time.Minute {
		errs = append(errs, "DIALOG_IDLE_TIMEOUT: must be a duration of at least 1m, like 30m or 2h")
	} else {
		c.DialogIdle = d
	}
	if every, err := parseProgressEvery(get("PROGRESS_EVERY", "P1=24h,P2=48h")); err != nil {
		errs = append(errs, "PROGRESS_EVERY: "+err.Error())
	} else {
		c.ProgressEvery = every
	}
	if d, err := time.ParseDuration(get("START_TIMEOUT", "60s")); err != nil || d < 0 {
		errs = append(errs, "START_TIMEOUT: must be a duration like 60s or 2m (0: do not wait for Postgres and Redis)")
	} else {
		c.StartTimeout = d
	}
	if c.FormsDir != "" {
		if st, err := os.Stat(c.FormsDir); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Sprintf("FORMS_DIR: %q is not a readable directory", c.FormsDir))
		}
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, "DATABASE_URL: must be a postgres:// URL (leave it empty for the embedded SQLite database)")
	}
	if c.RedisURL != "" {
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			errs = append(errs, fmt.Sprintf("REDIS_URL: %v", err))
		}
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		errs = append(errs, fmt.Sprintf("HTTP_ADDR: %q is not host:port (e.g. :8080 or 127.0.0.1:8080)", c.HTTPAddr))
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Sprintf("PUBLIC_URL: %q is not an http(s) URL like https://desk.example.com", c.PublicURL))
		}
	}
	c.Telegram = telegram.Config{
		Token:         get("TELEGRAM_BOT_TOKEN", ""),
		APIURL:        get("TELEGRAM_API_URL", ""),
		Mode:          get("TELEGRAM_MODE", "poll"),
		WebhookSecret: get("TELEGRAM_WEBHOOK_SECRET", ""),
		WebhookURL:    get("TELEGRAM_WEBHOOK_URL", ""),
	}
	if v := get("TELEGRAM_TRIAGE_CHAT", ""); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Sprintf("TELEGRAM_TRIAGE_CHAT: %q is not a chat id like -1001234567890", v))
		}
		c.Telegram.TriageChat = id
	}
	if c.Telegram.Enabled() {
		if err := c.Telegram.Validate(); err != nil { // its messages name the variable
			errs = append(errs, err.Error())
		}
	}
	c.Slack = slackbot.Config{
		BotToken:      get("SLACK_BOT_TOKEN", ""),
		AppToken:      get("SLACK_APP_TOKEN", ""),
		SigningSecret: get("SLACK_SIGNING_SECRET", ""),
		APIURL:        get("SLACK_API_URL", ""),
		TriageChannel: get("SLACK_TRIAGE_CHANNEL", ""),
	}
	if c.Slack.Enabled() {
		if err := c.Slack.Validate(); err != nil { // its messages name the variable
			errs = append(errs, err.Error())
		}
	}
	loc, err := time.LoadLocation(c.TZName)
	if err != nil {
		errs = append(errs, fmt.Sprintf("TZ_NAME: unknown time zone %q (use an IANA name like Asia/Shanghai)", c.TZName))
	}
	c.location = loc
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Sprintf("LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel))
	}
	slaCfg, slaErrs := loadSLAConfig(get)
	c.SLA, errs = slaCfg, append(errs, slaErrs...)
	if len(errs) > 0 {
		return c, fmt.Errorf("invalid configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
}

// ChatPlatforms lists the chat platforms that are on: they post to the
// teams' own chats (deskbot team set-chat) as well as to their triage chat.
func (c *Config) ChatPlatforms() []string {
	var out []string
	if c.Telegram.Enabled() {
		out = append(out, telegram.Platform)
	}
	if c.Slack.Enabled() {
		out = append(out, slackbot.Platform)
	}
	return out
}

// TriagePlatforms lists the platforms with a triage chat configured; each
// gets its own copy of every triage card.
func (c *Config) TriagePlatforms() []string {
	var out []string
	if c.Telegram.Enabled() && c.Telegram.TriageChat != 0 {
		out = append(out, telegram.Platform)
	}
	if c.Slack.Enabled() && c.Slack.TriageChannel != "" {
		out = append(out, slackbot.Platform)
	}
	return out
}

// parseProgressEvery reads "P1=24h,P2=48h" ("off": none).
func parseProgressEvery(v string) (map[backend.Severity]time.Duration, error) {
	every := map[backend.Severity]time.Duration{}
	if strings.EqualFold(v, "off") {
		return every, nil
	}
	for part := range strings.SplitSeq(v, ",") {
		sev, d, ok := strings.Cut(strings.TrimSpace(part), "=")
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		s := backend.Severity(strings.ToUpper(strings.TrimSpace(sev)))
		if !ok || !s.Valid() || err != nil || dur < time.Hour {
			return nil, fmt.Errorf("%q is not like P1=24h,P2=48h (a severity P1–P4 and a duration of at least 1h each), or off", v)
		}
		every[s] = dur
	}
	return every, nil
}

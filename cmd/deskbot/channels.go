package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/deskbot/deskbot/backend/web"
	"github.com/deskbot/deskbot/bot/botkit"
	slackbot "github.com/deskbot/deskbot/bot/slack"
	"github.com/deskbot/deskbot/bot/telegram"
	"github.com/deskbot/deskbot/bot/webchat"
)

// openChannels builds the web chat and console (always on) and the chat
// platforms that are configured, and mounts their HTTP handlers on mux.
func (m *Main) openChannels(ctx context.Context, mux *http.ServeMux) error {
	ac := web.AuthConfig{Logger: m.Log.With("component", "console")}
	if m.Redis != nil {
		ac.Failures = web.RedisFailures{Client: m.Redis, Prefix: m.Config.RedisPrefix + "signin:"}
	}
	auth, err := web.NewAuth(ctx, m.Service, m.Store, ac)
	if err != nil {
		return err
	}
	base := m.Config.PublicURL
	var chats []web.TeamChat
	for _, f := range chatFlags { // team.go
		chats = append(chats, web.TeamChat{Platform: f.platform, Valid: f.valid, On: slices.Contains(m.Config.ChatPlatforms(), f.platform)})
	}
	m.Console, err = web.New(web.Config{Service: m.Service, Auth: auth, Hub: m.Hub, Text: m.Catalog, Files: m.Files, SLA: m.SLA.Engine != nil,
		BaseURL: base, TeamChats: chats, Logger: m.Log.With("component", "console")})
	if err != nil {
		return err
	}
	m.Console.Register(mux)
	cc := webchat.Config{Service: m.Service, Engine: m.Dialogs, Files: m.Files, Catalog: m.Catalog,
		Auth: auth, Hub: m.Hub, Logger: m.Log.With("component", "webchat")}
	if m.Redis != nil {
		cc.Redis, cc.RedisPrefix = m.Redis, m.Config.RedisPrefix
	}
	m.Chat, err = webchat.New(cc)
	if err != nil {
		return err
	}
	m.Chat.Register(mux)
	m.Dispatcher.Register(m.Chat, false) // platform "web"; not a triage chat
	mux.Handle("GET /{$}", http.RedirectHandler("/chat/", http.StatusSeeOther))

	var (
		name, password string
		created        bool
	)
	err = m.exclusive(ctx, "first admin", func(ctx context.Context) (err error) {
		name, password, created, err = auth.EnsureFirstAdmin(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if created {
		m.Log.Warn("first start: created a console admin; this password is shown only once",
			"console", base+"/console/", "login", name, "password", password)
	}
	m.Log.Info("web", "chat", base+"/chat/", "console", base+"/console/")
	if err := m.openTelegram(mux); err != nil {
		return err
	}
	return m.openSlack(mux)
}

func (m *Main) openSlack(mux *http.ServeMux) error {
	cfg := m.Config.Slack
	if !cfg.Enabled() {
		m.Log.Info("slack: off (SLACK_BOT_TOKEN is not set)")
		return nil
	}
	var dedup slackbot.Deduper // nil: de-duplicate in the store
	if m.Redis != nil {
		dedup = slackbot.RedisDeduper{Client: m.RedisHot, Prefix: m.Config.RedisPrefix + "slack:event:"}
	}
	sl, err := slackbot.New(cfg, slackbot.Deps{Service: m.Service, Engine: m.Dialogs, Catalog: m.Catalog,
		Files: m.Files, Dedup: dedup, Console: m.Console, ConsoleURL: m.Config.PublicURL, Logger: m.Log.With("component", "slack")})
	if err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	sl.Register(mux) // HTTP mode: POST /slack/events, /slack/interactivity, /slack/commands
	m.Dispatcher.Register(sl, cfg.TriageChannel != "")
	m.Slack = sl
	m.Log.Info("slack: on", "mode", cfg.Mode(), "triage_channel", cfg.TriageChannel)
	return nil
}

func (m *Main) openTelegram(mux *http.ServeMux) error {
	cfg := m.Config.Telegram
	if !cfg.Enabled() {
		m.Log.Info("telegram: off (TELEGRAM_BOT_TOKEN is not set)")
		return nil
	}
	var dedup telegram.Deduper // nil: de-duplicate in the store
	if m.Redis != nil {
		dedup = telegram.RedisDeduper{Client: m.RedisHot, Prefix: m.Config.RedisPrefix + "tg:update:"}
	}
	tg, err := telegram.New(cfg, telegram.Deps{Service: m.Service, Engine: m.Dialogs, Catalog: m.Catalog,
		Files: m.Files, Dedup: dedup, Console: m.Console, ConsoleURL: m.Config.PublicURL, Logger: m.Log.With("component", "telegram")})
	if err != nil {
		return fmt.Errorf("telegram: %w", err)
	}
	tg.Register(mux) // POST /telegram/webhook
	m.Dispatcher.Register(tg, cfg.TriageChat != 0)
	m.Telegram = tg
	m.Log.Info("telegram: on", "mode", cfg.Mode, "triage_chat", cfg.TriageChat)
	return nil
}

// startChannels starts the channels' background loops (long polling, the
// webhook queue) and the one that tells reporters their form expired.
func (m *Main) startChannels(ctx context.Context) {
	senders := []botkit.NoticeSender{m.Chat}
	if m.Telegram != nil {
		senders = append(senders, m.Telegram)
	}
	if m.Slack != nil {
		senders = append(senders, m.Slack)
	}
	m.loops.Go(func() {
		botkit.TellExpired(ctx, m.Dialogs, botkit.ExpiryEvery(m.Config.DialogIdle), m.Log.With("component", "dialogs"), senders...)
	})
	if m.Telegram != nil {
		m.loops.Go(func() {
			if err := m.Telegram.Run(ctx); err != nil && ctx.Err() == nil {
				m.Log.Error("telegram: stopped", "err", err)
			}
		})
	}
	if m.Slack != nil {
		m.loops.Go(func() {
			if err := m.Slack.Run(ctx); err != nil && ctx.Err() == nil {
				m.Log.Error("slack: stopped", "err", err)
			}
		})
	}
}

// stopChannels stops the channels before the server and the store close.
func (m *Main) stopChannels() {}

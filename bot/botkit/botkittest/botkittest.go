// Package botkittest holds test helpers shared by the chat channels.
package botkittest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/web"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// BaseURL is the console address of Console.
const BaseURL = "https://desk.example"

// Console is the real web console on svc's store, at BaseURL, for tests
// of the chat commands and buttons that hand out sign-in links.
func Console(tb testing.TB, svc *backend.Service, cat *catalog.Catalog, files *botkit.Files) *web.Console {
	tb.Helper()
	store, ok := svc.Store().(web.Store)
	if !ok {
		tb.Fatal("botkittest: the store does not serve the console")
	}
	auth, err := web.NewAuth(context.Background(), svc, store, web.AuthConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	c, err := web.New(web.Config{Service: svc, Auth: auth, Hub: web.NewHub(), Text: cat, Files: files, BaseURL: BaseURL})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Forms is the embedded message catalog and intake forms, as the
// channels' tests build their dialog engines on.
func Forms(tb testing.TB) (*catalog.Catalog, *dialogs.FormSet) {
	tb.Helper()
	cat, err := catalog.New()
	if err != nil {
		tb.Fatal(err)
	}
	forms, err := dialogs.DefaultForms(cat)
	if err != nil {
		tb.Fatal(err)
	}
	return cat, forms
}

// ExpiringEngine is a dialog engine on the default forms whose dialogs
// live idle for idle in Redis (rdb, under prefix), filing through svc and
// files; with it, TellExpired tells of each expiry at once (every 100 ms)
// through sender until the test ends. A channel's test of its expiry
// notices sets the engine in its Deps, then calls the returned start
// with the channel.
func ExpiringEngine(tb testing.TB, svc *backend.Service, files *botkit.Files, rdb redis.Cmdable, prefix string, idle time.Duration) (*dialogs.Engine, func(botkit.NoticeSender)) {
	tb.Helper()
	cat, forms := Forms(tb)
	eng, err := dialogs.NewEngine(dialogs.Config{Forms: forms, Catalog: cat, Sessions: dialogs.NewRedisStore(rdb, prefix, idle),
		Filer: &botkit.Filer{Service: svc, Files: files}})
	if err != nil {
		tb.Fatal(err)
	}
	start := func(sender botkit.NoticeSender) {
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			botkit.TellExpired(ctx, eng, 100*time.Millisecond, slog.New(slog.DiscardHandler), sender)
		}()
		tb.Cleanup(func() { stop(); <-done })
	}
	return eng, start
}

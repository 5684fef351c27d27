// Package botkittest holds test helpers shared by the chat channels.
package botkittest

import (
	"context"
	"testing"

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

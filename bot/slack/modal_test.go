package slack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/deskbot/deskbot/bot/botkit/botkittest"
	"github.com/deskbot/deskbot/dialogs"
)

type nopFiler struct{}

func (nopFiler) FileTicket(context.Context, dialogs.SessionKey, dialogs.Draft) (string, error) {
	return "FB-20261120-0001", nil
}

// TestModalLimits builds the modal of every embedded form in both
// languages, with every tree root chosen, and checks Slack's Block Kit
// limits: unique block ids, at most 100 blocks, title and button texts
// ≤ 24, labels and hints ≤ 2000, option texts ≤ 75 characters.
func TestModalLimits(t *testing.T) {
	cat, forms := botkittest.Forms(t)
	eng, err := dialogs.NewEngine(dialogs.Config{Forms: forms, Catalog: cat, Sessions: dialogs.NewMemoryStore(nil, 0), Filer: nopFiler{}})
	if err != nil {
		t.Fatal(err)
	}
	c := &Channel{cat: cat, engine: eng}
	for _, id := range eng.FormIDs() {
		f, _ := eng.Form(id)
		for _, loc := range cat.Locales() {
			metas := []modalMeta{{Form: id, Roots: map[string]string{}}}
			for _, fd := range f.Fields {
				if fd.Type == dialogs.TypeTree {
					for _, o := range fd.Options {
						metas = append(metas, modalMeta{Form: id, Roots: map[string]string{fd.ID: o.Path}})
					}
				}
			}
			for _, meta := range metas {
				v := c.modal(f, loc, meta)
				name := id + "/" + loc + "/" + meta.String()
				if !slack.ValidateUniqueBlockID(v) {
					t.Errorf("%s: block ids are not unique", name)
				}
				if n := len(v.Blocks.BlockSet); n > 100 || n < len(f.Fields) {
					t.Errorf("%s: %d blocks", name, n)
				}
				for _, txt := range []*slack.TextBlockObject{v.Title, v.Submit, v.Close} {
					if utf8.RuneCountInString(txt.Text) > 24 {
						t.Errorf("%s: %q is over 24 characters", name, txt.Text)
					}
				}
				if parseMeta(v.PrivateMetadata).Form != id || len(v.PrivateMetadata) > 3000 {
					t.Errorf("%s: metadata %q", name, v.PrivateMetadata)
				}
				raw, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				var doc struct {
					Blocks []struct {
						Label, Hint *struct{ Text string }
						Element     struct {
							Options []struct {
								Text        struct{ Text string }
								Description *struct{ Text string }
							}
						}
					}
				}
				if err := json.Unmarshal(raw, &doc); err != nil {
					t.Fatal(err)
				}
				for _, b := range doc.Blocks {
					for _, txt := range []*struct{ Text string }{b.Label, b.Hint} {
						if txt != nil && (utf8.RuneCountInString(txt.Text) > 2000 || strings.Contains(txt.Text, "form.")) {
							t.Errorf("%s: text %q", name, txt.Text)
						}
					}
					for _, o := range b.Element.Options {
						if utf8.RuneCountInString(o.Text.Text) > 75 || (o.Description != nil && utf8.RuneCountInString(o.Description.Text) > 75) {
							t.Errorf("%s: option %q over 75 characters", name, o.Text.Text)
						}
					}
				}
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string // "" = valid
	}{
		{Config{BotToken: "xoxb-1", AppToken: "xapp-1"}, ""},
		{Config{BotToken: "xoxb-1", SigningSecret: "s", APIURL: "http://127.0.0.1:9/api/", TriageChannel: "C0123"}, ""},
		{Config{BotToken: "xoxb-1"}, "SLACK_SIGNING_SECRET"},
		{Config{BotToken: "nope", AppToken: "xapp-1"}, "SLACK_BOT_TOKEN"},
		{Config{BotToken: "xoxb-1", AppToken: "xoxp-1"}, "SLACK_APP_TOKEN"},
		{Config{BotToken: "xoxb-1", AppToken: "xapp-1", APIURL: "http://x/api"}, "SLACK_API_URL"},
		{Config{BotToken: "xoxb-1", AppToken: "xapp-1", TriageChannel: "general"}, "SLACK_TRIAGE_CHANNEL"},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.cfg, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v does not name %s", tc.cfg, err, tc.want)
		}
	}
	if (Config{BotToken: "xoxb-1", AppToken: "xapp-1"}).Mode() != ModeSocket || (Config{BotToken: "xoxb-1"}).Mode() != ModeHTTP {
		t.Fatal("Mode")
	}
}

package slack

import (
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend/redistest"
	"github.com/deskbot/deskbot/bot/botkit"
	"github.com/deskbot/deskbot/bot/botkit/botkittest"
	"github.com/deskbot/deskbot/bot/slack/slacktest"
)

// TestExpiryNoticeUnasked: a DM dialog left idle is reported in the DM
// when it expires (botkit.TellExpired over the Redis session store),
// naming the form, with the buttons to start again.
func TestExpiryNoticeUnasked(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	var tell func(botkit.NoticeSender)
	h := newHarnessWith(t, ModeSocket, func(d *Deps) {
		d.Engine, tell = botkittest.ExpiringEngine(t, d.Service, d.Files, rdb, prefix, time.Second)
	})
	tell(h.ch)
	fake := h.fake
	isStart := func(m slacktest.Message) bool {
		for _, v := range m.Buttons() {
			if v == "start:feedback" {
				return true
			}
		}
		return false
	}
	fake.DM(t, reporter, "你好", "")
	menu := fake.WaitMessage(t, "a start button", isStart)
	for id, v := range menu.Buttons() {
		if v == "start:feedback" {
			fake.Press(t, reporter, menu, id, v, "")
		}
	}
	fake.WaitMessage(t, "the first question", inChannel(dmChannel(reporter), "", "1/10"))
	notice := fake.WaitMessage(t, "the expiry notice", inChannel(dmChannel(reporter), "", "您填写的「问题反馈」因长时间未操作已过期"))
	if !isStart(notice) {
		t.Fatalf("the notice has no button to start again: %+v", notice)
	}
}

package botkit

import (
	"context"
	"log/slog"
	"time"

	"github.com/deskbot/deskbot/dialogs"
)

// NoticeSender is a channel that can show a dialog notice in the chat of
// its session key.
type NoticeSender interface {
	Platform() string
	SendNotice(ctx context.Context, n dialogs.Notice) error
}

// ExpiryEvery is how often TellExpired looks for expired dialogs when the
// idle timeout is idle: a thirtieth of it, between a second and a minute,
// so a reporter hears within moments, whatever the timeout.
func ExpiryEvery(idle time.Duration) time.Duration {
	return min(max(idle/30, time.Second), time.Minute)
}

// expiryBatch is how many expired dialogs one look takes per platform;
// noticeWait is how long one notice may take to send.
const (
	expiryBatch = 20
	noticeWait  = 30 * time.Second
)

// TellExpired runs until ctx ends: every `every`, it takes the dialogs
// of each sender's platform that expired idle and sends each its notice,
// so that a dialog does not end silently (DESIGN §2). Every replica may
// run it: each expiry is handed to one of them. An expiry taken is sent
// even when ctx ends meanwhile (shutdown stops the next look, not the
// sends of this one). A notice that cannot be sent is logged, not tried
// again: the reporter who writes next gets a fresh start either way.
func TellExpired(ctx context.Context, eng *dialogs.Engine, every time.Duration, log *slog.Logger, senders ...NoticeSender) {
	if len(senders) == 0 {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, s := range senders {
			tellExpired(ctx, eng, s, log)
		}
	}
}

// tellExpired sends the notices of s's platform due now.
func tellExpired(ctx context.Context, eng *dialogs.Engine, s NoticeSender, log *slog.Logger) {
	for ctx.Err() == nil {
		notices, err := eng.ExpiredNotices(ctx, s.Platform(), expiryBatch)
		for _, n := range notices {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), noticeWait)
			serr := s.SendNotice(sctx, n)
			cancel()
			if serr != nil {
				log.Warn("dialogs: telling a reporter their form expired", "platform", n.Key.Platform, "chat", n.Key.ChatID, "err", serr)
			}
		}
		if err != nil {
			log.Warn("dialogs: looking for expired forms", "platform", s.Platform(), "err", err)
			return
		}
		if len(notices) < expiryBatch {
			return
		}
	}
}

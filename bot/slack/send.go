package slack

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"
)

// post sends a message (blocks optional; text is the notification and
// fallback) to a channel or user, in a thread when thread is set. text is
// plain: what people typed in it ("<!channel>", a spoofed "<url|label>")
// is escaped, never markup. A 429 is waited out once when Slack asks for
// at most MaxWait; other errors are logged and returned.
func (c *Channel) post(ctx context.Context, channel, text string, blocks []slack.Block, thread string) (postedAt, error) {
	opts := []slack.MsgOption{textFor(text, blocks)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	var at postedAt
	err := c.retry(ctx, func() error {
		var err error
		at.channel, at.ts, err = c.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	if err != nil {
		c.log.Warn("slack: post failed", "channel", channel, "err", err)
	}
	return at, err
}

// postedAt is where a message landed.
type postedAt struct{ channel, ts string }

// retry runs fn, and once more after a 429 that asks for at most MaxWait.
func (c *Channel) retry(ctx context.Context, fn func() error) error {
	err := fn()
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) && rl.RetryAfter <= c.cfg.MaxWait {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(rl.RetryAfter):
		}
		err = fn()
	}
	return err
}

// update replaces a message's text and blocks (chat.update). A failure
// is logged and returned.
func (c *Channel) update(ctx context.Context, channel, ts, text string, blocks []slack.Block) error {
	opts := []slack.MsgOption{fallbackText(text), slack.MsgOptionBlocks(blocks...)}
	err := c.retry(ctx, func() error {
		_, _, _, err := c.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
	if err != nil {
		c.log.Warn("slack: update failed", "channel", channel, "ts", ts, "err", err)
	}
	return err
}

// ephemeral shows text to one user in a channel.
func (c *Channel) ephemeral(ctx context.Context, channel, user, text string) {
	if channel == "" {
		c.dm(ctx, user, text)
		return
	}
	err := c.retry(ctx, func() error {
		_, err := c.api.PostEphemeralContext(ctx, channel, user, plainText(text))
		return err
	})
	if err != nil {
		// Not in that channel (a DM with someone else, a channel without
		// the bot): say it in the DM instead.
		c.log.Debug("slack: ephemeral failed, writing to the DM", "channel", channel, "err", err)
		c.dm(ctx, user, text)
	}
}

// dm writes to a user in their DM with the bot.
func (c *Channel) dm(ctx context.Context, user, text string) {
	c.post(ctx, user, text, nil, "")
}

// react marks a message as taken into the ticket.
func (c *Channel) react(ctx context.Context, channel, ts string) {
	if err := c.api.AddReactionContext(ctx, "white_check_mark", slack.ItemRef{Channel: channel, Timestamp: ts}); err != nil {
		c.log.Debug("slack: reaction", "err", err)
	}
}

// Slack shows a message's text whole up to 40,000 characters (longer is
// cut); as the notification of a message with blocks, whose blocks show
// the content, 4,000 is what it reads.
const (
	maxText     = 39000
	maxFallback = 3900
)

// plainText is a message's text option for plain text: escaped for
// Slack's mrkdwn and clipped to what Slack takes.
func plainText(text string) slack.MsgOption {
	return slack.MsgOptionText(clip(escape(text), maxText), false)
}

// fallbackText is the text option of a message with blocks: its
// notification and what clients without blocks show.
func fallbackText(text string) slack.MsgOption {
	return slack.MsgOptionText(clip(escape(text), maxFallback), false)
}

// textFor is plainText, or fallbackText when blocks carry the content.
func textFor(text string, blocks []slack.Block) slack.MsgOption {
	if len(blocks) > 0 {
		return fallbackText(text)
	}
	return plainText(text)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

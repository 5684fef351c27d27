package slack

import "github.com/deskbot/deskbot/bot/botkit"

// The de-duplication of updates is shared by every channel (bot/botkit).
type (
	Deduper      = botkit.Deduper
	RedisDeduper = botkit.RedisDeduper
	StoreDeduper = botkit.StoreDeduper
)

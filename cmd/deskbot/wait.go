package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/deskbot/deskbot/backend"
)

// untilUp runs try until it succeeds, fails in a way that waiting cannot
// mend (down says which failures are worth waiting out: the server is
// not there yet, or is starting), or limit has passed. Each failure is
// logged with the next wait, so an operator watching a container start
// sees what it waits for. A limit ≤ 0 tries once.
//
// Start-up waits for Postgres and Redis this way: started together (a
// compose file, a pod restarted while the database fails over), deskbot
// would otherwise exit on the first refused connection.
func untilUp(ctx context.Context, log *slog.Logger, limit time.Duration, what string, down func(error) bool, try func(context.Context) error) error {
	deadline := time.Now().Add(limit)
	wait := 250 * time.Millisecond
	for {
		err := try(ctx)
		if err == nil || limit <= 0 || !down(err) || ctx.Err() != nil {
			return err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("%w (still unreachable after waiting %s, START_TIMEOUT)", err, limit)
		}
		wait = min(wait, left)
		log.Warn("start-up: waiting for "+what, "retry_in", wait.Round(time.Millisecond), "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// databaseDown reports whether a store error is the database being
// unreachable or not ready (rather than, say, a wrong password).
func databaseDown(err error) bool { return backend.ErrorCode(err) == backend.EUNAVAILABLE }

// redisDown reports whether a Redis error is the server being unreachable
// or loading. A reply from a working server (WRONGPASS, NOAUTH) is not
// mended by waiting.
func redisDown(err error) bool {
	var re redis.Error
	if errors.As(err, &re) {
		return redis.IsLoadingError(err) || redis.IsTryAgainError(err)
	}
	return true
}

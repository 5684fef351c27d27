package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend/postgres/pgtest"
)

// TestReplicasStartTogether: several replicas started at once on a fresh
// database (a Deployment's first rollout, the Helm chart with replicas > 1)
// all come up: the schema, River's tables and the first console admin are
// made once, by whichever replica is first, and none fails on the
// others' work. Their start-up times are spread over a second, as pods'
// are, so one replica's start meets another's half-way.
func TestReplicasStartTogether(t *testing.T) {
	const n = 6
	vars := map[string]string{"DATABASE_URL": pgtest.NewSchema(t), "HTTP_ADDR": "127.0.0.1:0"}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []string
		logs = make([]*syncBuffer, n)
	)
	for i := range n {
		logs[i] = &syncBuffer{}
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 1000 * time.Millisecond / n)
			v := map[string]string{"DESKBOT_DATA": t.TempDir()}
			for k, x := range vars {
				v[k] = x
			}
			cfg, err := LoadConfig(env(v))
			if err != nil {
				t.Error(err)
				return
			}
			m := NewMain(cfg, slog.New(slog.NewTextHandler(logs[i], nil)))
			err = m.Run(context.Background())
			t.Cleanup(func() { m.Close() })
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("replica %d: %v", i, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d replicas failed to start:\n%s", len(errs), n, strings.Join(errs, "\n"))
	}
	admins := 0
	for _, l := range logs {
		admins += strings.Count(l.String(), "first start: created a console admin")
	}
	if admins != 1 {
		t.Fatalf("%d replicas created the first console admin, want 1", admins)
	}
}

package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// RunClients runs fn n times spread over clients goroutines and returns the
// wall time. The first error stops the run.
//
//	d, err := storetest.RunClients(8, b.N, func(i int) error { return insert(i) })
func RunClients(clients, n int, fn func(i int) error) (time.Duration, error) {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start), firstErr
}

// BenchCreateTicket measures Service.CreateTicket on store against a raw
// baseline measured in the same run (raw does one bare insert of a ticket
// and its event for index i), at the given number of concurrent clients,
// and reports both rates and their ratio (deskbot / raw; 1 = as fast as
// the raw insert).
func BenchCreateTicket(b *testing.B, store backend.Store, clients int, raw func(ctx context.Context, i int) error) {
	b.Helper()
	ctx := context.Background()
	svc := backend.NewService(store, backend.ServiceConfig{})
	reporter := &backend.Person{Name: "bench", Roles: []backend.Role{backend.RoleReporter}}
	if err := svc.CreatePerson(ctx, reporter); err != nil {
		b.Fatal(err)
	}
	in := backend.NewTicket{
		Prefix: "BN", Form: "feedback", Summary: "会员中心帮帮标识不显示，刷新无效",
		CategoryPath: []string{"CRM问题", "会员中心"}, OccurredAt: time.Now().Add(-time.Hour),
		Region: "华东", Severity: backend.P3, Contacts: backend.Contacts{Phone: "13800138000"}, Channel: "bench",
	}
	// Warm both paths (connections, prepared statements) outside the timing.
	if err := raw(ctx, -1); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CreateTicket(ctx, reporter, in); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	// Alternate the two in rounds so that a change in the machine's load
	// during the run weighs on both alike.
	const rounds = 10
	var rawDur, ourDur time.Duration
	for r := range rounds {
		n := b.N/rounds + boolInt(r < b.N%rounds)
		d, err := RunClients(clients, n, func(i int) error { return raw(ctx, r*b.N+i) })
		if err != nil {
			b.Fatal(err)
		}
		rawDur += d
		d, err = RunClients(clients, n, func(int) error {
			_, err := svc.CreateTicket(ctx, reporter, in)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		ourDur += d
	}
	b.StopTimer()
	rawRate, ourRate := float64(b.N)/rawDur.Seconds(), float64(b.N)/ourDur.Seconds()
	b.ReportMetric(rawRate, "raw-tickets/s")
	b.ReportMetric(ourRate, "tickets/s")
	b.ReportMetric(ourRate/rawRate, "ratio")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend/postgres/pgtest"
	"github.com/deskbot/deskbot/backend/storetest"
)

// BenchmarkCreateTicket compares Service.CreateTicket (number allocation,
// ticket, event and two outbox rows in one transaction) with a raw pgx
// transaction that inserts one ticket row and one event row.
func BenchmarkCreateTicket(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			store := pgtest.NewStore(b)
			pool := store.Pool()
			run := time.Now().UnixNano()
			raw := func(ctx context.Context, i int) error {
				tx, err := pool.Begin(ctx)
				if err != nil {
					return err
				}
				defer tx.Rollback(ctx)
				now := time.Now()
				var id int64
				err = tx.QueryRow(ctx, `INSERT INTO tickets (number, form, summary, category_path, occurred_at, region, severity, phone, status, version, created_at, updated_at)
					VALUES ($1, 'feedback', '会员中心帮帮标识不显示，刷新无效', '["CRM问题","会员中心"]', $2, '华东', 'P3', '13800138000', 'new', 1, $2, $2) RETURNING id`,
					fmt.Sprintf("RAW-%d-%d", run, i), now).Scan(&id)
				if err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO events (ticket_id, kind, at, public) VALUES ($1, 'created', $2, true)`, id, now); err != nil {
					return err
				}
				return tx.Commit(ctx)
			}
			storetest.BenchCreateTicket(b, store, clients, raw)
		})
	}
}

// BenchmarkSearchKB measures the knowledge-base search and suggestions
// on 20,000 entries (storetest.BenchSearchKB), vacuumed and analysed as
// autovacuum would have done by then.
func BenchmarkSearchKB(b *testing.B) {
	store := pgtest.NewStore(b)
	storetest.BenchSearchKB(b, store, 20000, func(b *testing.B) {
		for _, vacuum := range []string{"VACUUM ANALYZE kb_entries", "VACUUM ANALYZE kb_terms"} {
			if _, err := store.Pool().Exec(b.Context(), vacuum); err != nil {
				b.Fatal(err)
			}
		}
	})
}

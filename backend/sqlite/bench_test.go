package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/deskbot/deskbot/backend/sqlite"
	"github.com/deskbot/deskbot/backend/storetest"
)

// BenchmarkCreateTicket compares Service.CreateTicket on the embedded
// store with a raw database/sql transaction on the same file that inserts
// one ticket row and one event row (one writer connection, as SQLite
// allows one writer at a time).
func BenchmarkCreateTicket(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			ctx := context.Background()
			path := filepath.Join(b.TempDir(), "bench.db")
			store, err := sqlite.Open(ctx, path)
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			if err := store.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			run := time.Now().UnixNano()
			raw := func(ctx context.Context, i int) error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				now := time.Now().UnixMicro()
				res, err := tx.ExecContext(ctx, `INSERT INTO tickets (number, form, summary, category_path, occurred_at, region, severity, phone, status, version, created_at, updated_at)
					VALUES (?, 'feedback', '会员中心帮帮标识不显示，刷新无效', '["CRM问题","会员中心"]', ?, '华东', 'P3', '13800138000', 'new', 1, ?, ?)`,
					fmt.Sprintf("RAW-%d-%d", run, i), now, now, now)
				if err != nil {
					return err
				}
				id, _ := res.LastInsertId()
				if _, err := tx.ExecContext(ctx, `INSERT INTO events (ticket_id, kind, at, public) VALUES (?, 'created', ?, 1)`, id, now); err != nil {
					return err
				}
				return tx.Commit()
			}
			storetest.BenchCreateTicket(b, store, clients, raw)
		})
	}
}

// BenchmarkSearchKB measures the knowledge-base search and suggestions
// on 20,000 entries (storetest.BenchSearchKB).
func BenchmarkSearchKB(b *testing.B) {
	store, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	storetest.BenchSearchKB(b, store, 20000, nil)
}

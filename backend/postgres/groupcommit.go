package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

// Ticket numbers are gap-free, so the counter row of (prefix, day) stays
// locked from its bump until the commit of the ticket that used it, and
// concurrent filers wait for each other's commit (and WAL flush) in turn.
// The creator turns that queue into group commit: the tickets that arrive
// while a write is under way are written together, as one pipelined batch
// that Postgres runs as one implicit transaction: one round trip and one
// flush for the whole group, numbers still consecutive and gap-free.
//
// A group that fails is retried ticket by ticket, so one bad ticket (a
// missing reporter, say) fails alone.

// maxGroup bounds how many tickets one write carries.
const maxGroup = 64

// groupTimeout bounds one group write; it is not tied to any one caller's
// context, since the group writes for all of them.
const groupTimeout = 30 * time.Second

type createReq struct {
	ctx         context.Context
	t           *backend.Ticket
	prefix, day string
	cs          *storekit.ChangeSet
	done        chan error
}

type creator struct {
	pool  *pgxpool.Pool
	reqs  chan *createReq
	stop  chan struct{}
	wg    sync.WaitGroup
	close sync.Once
}

func newCreator(pool *pgxpool.Pool) *creator {
	c := &creator{pool: pool, reqs: make(chan *createReq), stop: make(chan struct{})}
	c.wg.Add(1)
	go c.run()
	return c
}

// create writes one ticket with whichever others are waiting. Once the
// request is taken it waits for the outcome even if ctx ends, so a caller
// never reports a failure for a ticket that was in fact filed.
func (c *creator) create(ctx context.Context, r *createReq) error {
	r.ctx, r.done = ctx, make(chan error, 1)
	select {
	case c.reqs <- r:
	case <-ctx.Done():
		return backend.Errorf(backend.EUNAVAILABLE, "postgres: create ticket: %v", ctx.Err())
	case <-c.stop:
		return backend.Errorf(backend.EUNAVAILABLE, "postgres: the store is closed")
	}
	return <-r.done
}

func (c *creator) run() {
	defer c.wg.Done()
	for {
		var first *createReq
		select {
		case first = <-c.reqs:
		case <-c.stop:
			return
		}
		group := []*createReq{first}
	more:
		for len(group) < maxGroup {
			select {
			case r := <-c.reqs:
				group = append(group, r)
			default:
				break more
			}
		}
		c.write(group)
	}
}

func (c *creator) write(group []*createReq) {
	if len(group) == 1 {
		group[0].done <- c.writeOne(group[0])
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(group[0].ctx), groupTimeout)
	defer cancel()
	b := &pgx.Batch{}
	for _, r := range group {
		if err := queueTicket(b, r.t, r.prefix, r.day, r.cs); err != nil {
			c.writeEach(group)
			return
		}
	}
	br := c.pool.SendBatch(ctx, b)
	var err error
	for _, r := range group {
		if err = readTicket(br, r.t, r.prefix, r.day, r.cs); err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Nothing of the group was committed: try each on its own.
		c.writeEach(group)
		return
	}
	for _, r := range group {
		r.done <- nil
	}
}

func (c *creator) writeEach(group []*createReq) {
	for _, r := range group {
		r.done <- c.writeOne(r)
	}
}

func (c *creator) writeOne(r *createReq) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), groupTimeout)
	defer cancel()
	b := &pgx.Batch{}
	if err := queueTicket(b, r.t, r.prefix, r.day, r.cs); err != nil {
		return err
	}
	br := c.pool.SendBatch(ctx, b)
	err := readTicket(br, r.t, r.prefix, r.day, r.cs)
	if cerr := br.Close(); err == nil {
		err = dbError(cerr, "ticket %s", r.t.Number)
	}
	return err
}

// shutdown stops the creator after the write under way.
func (c *creator) shutdown() {
	c.close.Do(func() { close(c.stop) })
	c.wg.Wait()
}

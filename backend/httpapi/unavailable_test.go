package httpapi_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/postgres"
	"github.com/deskbot/deskbot/backend/postgres/pgtest"
)

// flakyProxy forwards TCP to a target and can be cut and restored, so a
// test can take the real Postgres away from the store and give it back.
type flakyProxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newFlakyProxy(t *testing.T, target string) *flakyProxy {
	p := &flakyProxy{t: t, target: target, conns: map[net.Conn]bool{}}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.cut)
	return p
}

func (p *flakyProxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[up] = true, true
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

// cut closes the listener and every open connection.
func (p *flakyProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// restore listens again on the same address.
func (p *flakyProxy) restore() { p.listen(p.addr) }

func TestAPIDatabaseUnavailable(t *testing.T) {
	ctx := context.Background()
	u, err := url.Parse(pgtest.NewSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newFlakyProxy(t, u.Host)
	u.Host = proxy.addr
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	store, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := newAPI(t, store)
	expect(t, f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody()), http.StatusCreated)

	proxy.cut()
	r := f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody())
	expect(t, r, http.StatusServiceUnavailable)
	if r.header.Get("Retry-After") == "" || r.errCode() != backend.EUNAVAILABLE {
		t.Fatalf("503 without Retry-After or code: %v %s", r.header, r.raw)
	}
	expect(t, f.do(t, "GET", "/readyz", "", nil), http.StatusServiceUnavailable)

	proxy.restore()
	waitFor(t, 10*time.Second, func() bool { return f.do(t, "GET", "/readyz", "", nil).status == http.StatusOK })
	r = f.do(t, "GET", "/api/v1/tickets", f.admin, nil)
	expect(t, r, http.StatusOK)
	if n := len(r.body["tickets"].([]any)); n != 1 {
		t.Fatalf("%d tickets after the outage, want exactly the 1 filed before it (nothing half-written)", n)
	}
	expect(t, f.do(t, "POST", "/api/v1/tickets", f.reporter, ticketBody()), http.StatusCreated)
}

// Package reportsend delivers the weekly and monthly reports to the people
// who subscribed to them (DESIGN §7: "delivered as a chat message with a
// chart image to the managers who subscribe").
//
// A Dispatcher, run in every process, does two things on each tick:
//
//   - once a period has ended and the hour of sending has come (Monday
//     09:00 for last week, the 1st at 09:00 for last month, in the
//     configured zone), it queues one delivery per subscription; the store
//     adds each (person, period, team) once however many replicas ask, so
//     a person who subscribes later in the week gets last week's report at
//     the next tick, and never twice;
//   - it claims due deliveries and sends each through the Sender of the
//     first registered platform the person has an account on, computing
//     the report as that person (Service.Report decides what they may
//     read, so someone who lost the role gets nothing).
//
// A message goes out in parts (the text, then the chart): the sender
// records each part (Message.Sent) so that a retry after a failure sends
// only what is missing. A 429 waits retry_after without counting as an
// attempt (notify.RetryAfterError); notify.PermanentError gives up.
//
// reportsend imports backend and backend/notify (for those two errors).
package reportsend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/notify"
)

// Message is one report for one person, on one of their chat accounts.
type Message struct {
	Delivery *backend.ReportDelivery
	Person   *backend.Person
	Account  backend.ChatAccount
	Report   *backend.Report
	// Chart is the report's chart as PNG (backend.Report.Chart): the volume
	// by sub-category, bars keyed 1, 2, 3 … in the order of
	// Report.Subcategories.
	Chart []byte
	// Sent records that the first n parts of the message went out. Senders
	// skip the first Delivery.Parts parts and call Sent after each part
	// they send; an error from Sent should end the attempt (the part would
	// otherwise be sent again on the next one, unknown to the store).
	Sent func(ctx context.Context, n int) error
	// Console is the console's base URL (Config.Console), for a link to
	// the full report; empty: no link.
	Console string
}

// Sender sends reports on one platform.
type Sender interface {
	Platform() string
	SendReport(ctx context.Context, m Message) error
}

// ReportFunc computes a report as actor (backend.Service.Report).
type ReportFunc func(ctx context.Context, actor *backend.Person, q backend.ReportQuery) (*backend.Report, error)

// Config holds the Dispatcher's settings; zero values take the defaults.
type Config struct {
	Store  backend.Store
	Report ReportFunc
	// Console is the console's base URL, for the link to the full report
	// in each message; empty: no link.
	Console string
	// Location is the zone of the periods and of the hour. Default UTC.
	Location *time.Location
	// Hour is the hour of the day (in Location) after a period's end at
	// which its report is sent. Default 9.
	Hour int
	// Poll is how often the dispatcher ticks. Default 1 minute.
	Poll time.Duration
	// Lease is how long a claimed delivery is reserved. Default 5 minutes.
	Lease time.Duration
	// MaxAttempts after which a delivery is given up. Default 12.
	MaxAttempts int
	// MaxBackoff caps the wait between attempts after errors. Default 1 h.
	MaxBackoff time.Duration
	Now        func() time.Time
	Logger     *slog.Logger
}

// Dispatcher queues and sends report deliveries.
type Dispatcher struct {
	cfg     Config
	mu      sync.RWMutex
	senders []Sender // in registration order: the preferred platform first
}

// New returns a Dispatcher.
func New(cfg Config) *Dispatcher {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Hour == 0 {
		cfg.Hour = 9
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Minute
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 5 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 12
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{cfg: cfg}
}

// Register adds a platform's sender. A person with accounts on several
// platforms gets the report on the one registered first.
func (d *Dispatcher) Register(s Sender) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.senders = append(d.senders, s)
}

// Run ticks until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	for {
		if err := d.Tick(ctx); err != nil && ctx.Err() == nil {
			d.cfg.Logger.Warn("reports: tick failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick queues the reports that are due and sends the due deliveries, one
// at a time (there are few, and the platforms pace a person's chat).
func (d *Dispatcher) Tick(ctx context.Context) error {
	if err := d.queue(ctx); err != nil {
		return err
	}
	for {
		ds, err := d.cfg.Store.ClaimReports(ctx, d.cfg.Now(), d.cfg.Lease, 20)
		if err != nil {
			return err
		}
		for _, dl := range ds {
			d.deliver(ctx, dl)
		}
		if len(ds) < 20 || ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Due is the last finished period of kind at now and whether its report
// is due (the hour of sending has come).
func (d *Dispatcher) Due(kind string, now time.Time) (backend.Period, bool) {
	cur := backend.PeriodOf(kind, now, d.cfg.Location)
	at := cur.Start.Add(time.Duration(d.cfg.Hour) * time.Hour)
	return cur.Prev(), !now.Before(at)
}

func (d *Dispatcher) queue(ctx context.Context) error {
	now := d.cfg.Now()
	var errs []error
	for _, kind := range []string{backend.PeriodWeek, backend.PeriodMonth} {
		p, due := d.Due(kind, now)
		if !due {
			continue
		}
		n, err := d.cfg.Store.QueueReports(ctx, kind, p.String(), now)
		if err != nil {
			errs = append(errs, err)
		} else if n > 0 {
			d.cfg.Logger.Info("reports: queued", "period", p.String(), "deliveries", n)
		}
	}
	return errors.Join(errs...)
}

// deliver sends one delivery and records the outcome.
func (d *Dispatcher) deliver(ctx context.Context, dl *backend.ReportDelivery) {
	log := d.cfg.Logger.With("report_delivery", dl.ID, "person_id", dl.PersonID, "period", dl.Period)
	m, sender, err := d.resolve(ctx, dl)
	switch {
	case err != nil && gone(err):
		d.fail(ctx, log, dl, err.Error())
		return
	case err == nil && sender == nil:
		d.fail(ctx, log, dl, "no chat account on a platform that sends reports")
		return
	case err == nil:
		err = sender.SendReport(ctx, m)
		if err == nil {
			bctx, cancel := bookkeeping(ctx)
			defer cancel()
			if err := d.cfg.Store.MarkReportSent(bctx, dl.ID, d.cfg.Now()); err != nil {
				log.Error("reports: sent but not marked sent", "err", err)
			}
			log.Info("reports: sent", "platform", sender.Platform())
			return
		}
	}
	var perm *notify.PermanentError
	if errors.As(err, &perm) {
		d.fail(ctx, log, dl, err.Error())
		return
	}
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	if ctx.Err() != nil { // shutting down: hand it to the next process now
		if err := d.cfg.Store.MarkReportRetry(bctx, dl.ID, d.cfg.Now(), "released at shutdown", false); err != nil {
			log.Warn("reports: cannot release; the lease will expire", "err", err)
		}
		return
	}
	var ra *notify.RetryAfterError
	if errors.As(err, &ra) {
		next := d.cfg.Now().Add(max(ra.After, time.Second))
		if err := d.cfg.Store.MarkReportRetry(bctx, dl.ID, next, err.Error(), false); err != nil {
			log.Warn("reports: cannot reschedule; the lease will expire", "err", err)
		}
		return
	}
	if dl.Attempts+1 >= d.cfg.MaxAttempts {
		d.fail(ctx, log, dl, err.Error())
		return
	}
	w := min(time.Duration(math.Pow(2, float64(min(dl.Attempts, 20))))*time.Second*5, d.cfg.MaxBackoff)
	log.Info("reports: will retry", "in", w, "err", err)
	if err := d.cfg.Store.MarkReportRetry(bctx, dl.ID, d.cfg.Now().Add(w), err.Error(), true); err != nil {
		log.Warn("reports: cannot record retry; the lease will expire", "err", err)
	}
}

// gone: the delivery can never be made (the person, their right to the
// report or the team is gone; the period is unreadable).
func gone(err error) bool {
	switch backend.ErrorCode(err) {
	case backend.ENOTFOUND, backend.EFORBIDDEN, backend.EINVALID:
		return true
	}
	return false
}

func (d *Dispatcher) fail(ctx context.Context, log *slog.Logger, dl *backend.ReportDelivery, why string) {
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	log.Warn("reports: giving up", "why", why)
	if err := d.cfg.Store.MarkReportFailed(bctx, dl.ID, d.cfg.Now(), why); err != nil {
		log.Warn("reports: cannot record giving up; the lease will expire", "err", err)
	}
}

// resolve loads what the sender needs and picks the sender; a nil sender
// with a nil error means the person has no account a sender serves.
func (d *Dispatcher) resolve(ctx context.Context, dl *backend.ReportDelivery) (Message, Sender, error) {
	m := Message{Delivery: dl, Console: d.cfg.Console}
	p, err := d.cfg.Store.Person(ctx, dl.PersonID)
	if err != nil {
		return m, nil, err
	}
	m.Person = p
	sender, account := d.senderFor(p)
	if sender == nil {
		return m, nil, nil
	}
	m.Account = account
	period, err := backend.ParsePeriod(dl.Period, d.cfg.Location)
	if err != nil {
		return m, nil, err
	}
	if m.Report, err = d.cfg.Report(ctx, p, backend.ReportQuery{Period: period, TeamID: dl.TeamID}); err != nil {
		return m, nil, err
	}
	var png bytes.Buffer
	if err := m.Report.Chart(&png); err != nil {
		return m, nil, fmt.Errorf("chart: %w", err)
	}
	m.Chart = png.Bytes()
	m.Sent = func(ctx context.Context, n int) error {
		if err := d.cfg.Store.ReportPartsSent(ctx, dl.ID, n); err != nil {
			return err
		}
		dl.Parts = n
		return nil
	}
	return m, sender, nil
}

func (d *Dispatcher) senderFor(p *backend.Person) (Sender, backend.ChatAccount) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, s := range d.senders {
		for _, a := range p.Accounts {
			if a.Platform == s.Platform() {
				return s, a
			}
		}
	}
	return nil, backend.ChatAccount{}
}

func bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

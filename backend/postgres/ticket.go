package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

// CreateTicket allocates the next number for (prefix, day), stores t and
// its first changes in one transaction, and then sets IDs, Number, Version
// and the defaulted times on t and on every event and message.
func (s *Store) CreateTicket(ctx context.Context, t *backend.Ticket, prefix string, day time.Time, changes []backend.Change) error {
	now := s.now()
	nt := *t
	storekit.NormTicket(&nt)
	nt.Version = 1
	nt.CreatedAt = orNow(t.CreatedAt, now)
	nt.UpdatedAt = nt.CreatedAt
	if err := storekit.NoFollowUps(changes); err != nil {
		return err
	}
	cs, err := storekit.NewChangeSet(changes, now, s.Webhook)
	if err != nil {
		return err
	}

	if err := s.creator.create(ctx, &createReq{t: &nt, prefix: prefix, day: day.Format("20060102"), cs: cs}); err != nil {
		return err
	}
	*t = nt
	cs.Apply()
	return nil
}

// The inserts of a new ticket's request id, events and messages, which
// refer to the rows inserted just before them in the same session through
// currval.
const (
	insertRequestSQL = `
INSERT INTO ticket_requests (reporter_id, request_id, ticket_id)
VALUES ($1, $2, currval(pg_get_serial_sequence('tickets', 'id')))`
	insertEventOfNewTicketSQL = `
INSERT INTO events (ticket_id, kind, actor_id, at, public, body, data)
VALUES (currval(pg_get_serial_sequence('tickets', 'id')), $1, $2, $3, $4, $5, $6) RETURNING id`
	insertMessageOfNewEventSQL = `
INSERT INTO outbox (ticket_id, event_id, audience, recipient_id, attempts, next_attempt, sent_at, last_error, created_at, platform, chat)
VALUES (currval(pg_get_serial_sequence('tickets', 'id')), currval(pg_get_serial_sequence('events', 'id')), $1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id`
)

// queueTicket adds the statements that write a new ticket, its events and
// their messages to b; readTicket reads their results in the same order.
func queueTicket(b *pgx.Batch, t *backend.Ticket, prefix, day string, cs *storekit.ChangeSet) error {
	args, err := ticketArgs(t)
	if err != nil {
		return err
	}
	b.Queue(insertTicketSQL, append([]any{prefix, day, t.Version, t.CreatedAt}, args...)...)
	if t.RequestID != "" {
		b.Queue(insertRequestSQL, t.ReporterID, t.RequestID)
	}
	for i := range cs.Events {
		e := &cs.Events[i]
		data, err := jsonb(e.Data)
		if err != nil {
			return err
		}
		b.Queue(insertEventOfNewTicketSQL, string(e.Kind), e.ActorID, e.At, e.Public, e.Body, data)
		for _, m := range cs.Msgs[i] {
			b.Queue(insertMessageOfNewEventSQL, string(m.Audience), m.RecipientID, m.Attempts, m.NextAttempt, nullTime(m.SentAt), m.LastError, m.CreatedAt, m.Platform, m.Chat)
		}
	}
	return nil
}

func readTicket(br pgx.BatchResults, t *backend.Ticket, prefix, day string, cs *storekit.ChangeSet) error {
	if err := br.QueryRow().Scan(&t.ID, &t.Number); err != nil {
		return dbError(err, "ticket %s-%s", prefix, day)
	}
	if t.RequestID != "" {
		if _, err := br.Exec(); err != nil {
			return dbError(err, "ticket request %s", t.RequestID)
		}
	}
	for i := range cs.Events {
		e := &cs.Events[i]
		e.TicketID = t.ID
		if err := br.QueryRow().Scan(&e.ID); err != nil {
			return dbError(err, "event %s of ticket %s", e.Kind, t.Number)
		}
		for j := range cs.Msgs[i] {
			m := &cs.Msgs[i][j]
			m.TicketID, m.EventID = t.ID, e.ID
			if err := br.QueryRow().Scan(&m.ID); err != nil {
				return dbError(err, "outbox message of ticket %s", t.Number)
			}
		}
	}
	return nil
}

// Ticket returns a ticket by number.
func (s *Store) Ticket(ctx context.Context, number string) (*backend.Ticket, error) {
	t, err := scanTicket(s.pool.QueryRow(ctx, ticketByNumberSQL, number))
	return t, dbError(err, "ticket %s", number)
}

// TicketByID returns a ticket by ID.
func (s *Store) TicketByID(ctx context.Context, id int64) (*backend.Ticket, error) {
	return findTicketByID(ctx, s.pool, id)
}

// Tickets lists tickets newest first, one page at a time.
func (s *Store) Tickets(ctx context.Context, f backend.TicketFilter) (*backend.TicketPage, error) {
	return findTickets(ctx, s.pool, f)
}

// UpdateTicket saves t if the stored Version still equals t.Version, appends
// the changes and bumps t.Version; ECONFLICT (and nothing written) otherwise.
// t.UpdatedAt is saved as given (the service stamps it with its clock); if
// it is zero, the store's clock sets it.
func (s *Store) UpdateTicket(ctx context.Context, t *backend.Ticket, changes []backend.Change) error {
	now := s.now()
	nt := *t
	storekit.NormTicket(&nt)
	nt.UpdatedAt = orNow(t.UpdatedAt, now)
	cs, err := storekit.NewChangeSet(changes, now, s.Webhook)
	if err != nil {
		return err
	}

	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	if err := updateTicket(ctx, tx, &nt); err != nil {
		return err
	}
	if err := insertChanges(ctx, tx, nt.ID, cs); err != nil {
		return err
	}
	if err := commit(ctx, tx); err != nil {
		return err
	}
	nt.Version++
	*t = nt
	cs.Apply()
	return nil
}

// Events returns a ticket's thread, oldest first.
// Every ticket has events, so the ticket is looked up only when there
// are none, to tell a missing ticket (ENOTFOUND) from an empty thread.
func (s *Store) Events(ctx context.Context, ticketID int64) ([]*backend.Event, error) {
	events, err := findEvents(ctx, s.pool, ticketID)
	if err != nil || len(events) > 0 {
		return events, err
	}
	if _, err := findTicketByID(ctx, s.pool, ticketID); err != nil {
		return nil, err
	}
	return events, nil
}

const (
	insertIncidentSQL = `INSERT INTO incidents (title, created_at) VALUES ($1, $2) RETURNING id`
	incidentSQL       = incidentFields + ` WHERE i.id = $1`
)

// CreateIncident stores i and sets i.ID.
func (s *Store) CreateIncident(ctx context.Context, i *backend.Incident) error {
	created := orNow(i.CreatedAt, s.now())
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	var id int64
	if err := tx.QueryRow(ctx, insertIncidentSQL, i.Title, created).Scan(&id); err != nil {
		return dbError(err, "new incident")
	}
	if err := commit(ctx, tx); err != nil {
		return err
	}
	i.ID, i.CreatedAt = id, created
	return nil
}

// Incident returns an incident.
func (s *Store) Incident(ctx context.Context, id int64) (*backend.Incident, error) {
	i, err := scanIncident(s.pool.QueryRow(ctx, incidentSQL, id))
	if err != nil {
		return nil, dbError(err, "incident %s", backend.IncidentRef(id))
	}
	return i, nil
}

// ticketFields are the columns written by both insert and update, in the
// order of ticketArgs.
const ticketFields = `form, summary, reference_id, category_path, category_key, attachments, occurred_at,
	region, severity, order_number, account, phone, email, qq, extra, status,
	reporter_id, assignee_id, team_id, incident_id, satisfaction, solution, channel, updated_at, resolved_at, accepted_at, occurred_date_only, source`

func ticketArgs(t *backend.Ticket) ([]any, error) {
	cat, err := jsonb(t.CategoryPath)
	if err != nil {
		return nil, err
	}
	att, err := jsonb(t.Attachments)
	if err != nil {
		return nil, err
	}
	extra, err := jsonb(t.Extra)
	if err != nil {
		return nil, err
	}
	return []any{t.Form, t.Summary, t.ReferenceID, cat, storekit.CategoryKey(t.CategoryPath), att, nullTime(t.OccurredAt),
		t.Region, string(t.Severity), t.OrderNumber, t.Account, t.Contacts.Phone, t.Contacts.Email, t.Contacts.QQ, extra, string(t.Status),
		nullID(t.ReporterID), nullID(t.AssigneeID), nullID(t.TeamID), nullID(t.IncidentID), string(t.Satisfaction), t.Solution, t.Channel,
		t.UpdatedAt, nullTime(t.ResolvedAt), nullTime(t.AcceptedAt), t.OccurredDateOnly, t.Source}, nil
}

// insertTicketSQL bumps the counter of (prefix, day) and inserts the
// ticket with the next number, formatted like backend.FormatNumber, in one
// statement: the counter row stays locked until commit, which keeps numbers
// distinct, and a rollback undoes the bump, which keeps them gap-free.
const insertTicketSQL = `
WITH seq AS (
	INSERT INTO ticket_counters (prefix, day, last) VALUES ($1, $2, 1)
	ON CONFLICT (prefix, day) DO UPDATE SET last = ticket_counters.last + 1
	RETURNING last
)
INSERT INTO tickets (number, version, created_at, ` + ticketFields + `)
SELECT $1 || '-' || $2 || '-' || lpad(seq.last::text, greatest(4, length(seq.last::text)), '0'), $3, $4,
	$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32
FROM seq
RETURNING id, number`

const updateTicketSQL = `
UPDATE tickets SET (` + ticketFields + `) =
	($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28),
	version = version + 1
WHERE id = $29 AND version = $30`

// updateTicket writes t if its version is current: ENOTFOUND if there is no
// such ticket, ECONFLICT if the version is stale.
func updateTicket(ctx context.Context, tx pgx.Tx, t *backend.Ticket) error {
	args, err := ticketArgs(t)
	if err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, updateTicketSQL, append(args, t.ID, t.Version)...)
	if err != nil || tag.RowsAffected() == 1 {
		return dbError(err, "ticket %s", t.Number)
	}
	if _, err := findTicketByID(ctx, tx, t.ID); err != nil {
		return err
	}
	return backend.Errorf(backend.ECONFLICT, "ticket %s was changed by someone else", t.Number)
}

const (
	ticketSQL = `
SELECT id, number, version, created_at, ` + ticketFields + ` FROM tickets`
	ticketByNumberSQL = ticketSQL + ` WHERE number = $1`
	ticketByIDSQL     = ticketSQL + ` WHERE id = $1`
)

func scanTicket(row pgx.Row) (*backend.Ticket, error) {
	t := &backend.Ticket{}
	var categoryKey string
	err := row.Scan(&t.ID, &t.Number, &t.Version, timeCol{&t.CreatedAt},
		&t.Form, &t.Summary, &t.ReferenceID, jsonCol{&t.CategoryPath}, &categoryKey, jsonCol{&t.Attachments}, timeCol{&t.OccurredAt},
		&t.Region, &t.Severity, &t.OrderNumber, &t.Account, &t.Contacts.Phone, &t.Contacts.Email, &t.Contacts.QQ, jsonCol{&t.Extra}, &t.Status,
		idCol{&t.ReporterID}, idCol{&t.AssigneeID}, idCol{&t.TeamID}, idCol{&t.IncidentID}, &t.Satisfaction, &t.Solution, &t.Channel,
		timeCol{&t.UpdatedAt}, timeCol{&t.ResolvedAt}, timeCol{&t.AcceptedAt}, &t.OccurredDateOnly, &t.Source)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func findTicketByID(ctx context.Context, q querier, id int64) (*backend.Ticket, error) {
	t, err := scanTicket(q.QueryRow(ctx, ticketByIDSQL, id))
	return t, dbError(err, "ticket %d", id)
}

// findTickets builds the WHERE clause from fixed fragments, one per filter
// that is set; values are always placeholders.
func findTickets(ctx context.Context, q querier, f backend.TicketFilter) (*backend.TicketPage, error) {
	var (
		where []string
		args  []any
	)
	// arg adds a value and returns its placeholder.
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.ReporterID != 0 {
		where = append(where, `reporter_id = `+arg(f.ReporterID))
	}
	if a := f.ReporterAccount; a != nil {
		where = append(where, `reporter_id = (SELECT person_id FROM chat_accounts WHERE platform = `+arg(a.Platform)+` AND user_id = `+arg(a.UserID)+`)`)
	}
	if f.AssigneeID != 0 {
		where = append(where, `assignee_id = `+arg(f.AssigneeID))
	}
	if f.TeamID != 0 {
		where = append(where, `team_id = `+arg(f.TeamID))
	}
	if len(f.Status) > 0 {
		where = append(where, `status = ANY(`+arg(stringList(f.Status))+`)`)
	}
	if len(f.Severity) > 0 {
		where = append(where, `severity = ANY(`+arg(stringList(f.Severity))+`)`)
	}
	if len(f.CategoryPath) > 0 {
		where = append(where, `starts_with(category_key, `+arg(storekit.CategoryKey(f.CategoryPath))+`)`)
	}
	if !f.CreatedAfter.IsZero() {
		where = append(where, `created_at >= `+arg(norm(f.CreatedAfter)))
	}
	if !f.CreatedBefore.IsZero() {
		where = append(where, `created_at < `+arg(norm(f.CreatedBefore)))
	}
	if f.Query != "" {
		// One LIKE over the fields joined by U+001F: the expression of the
		// trigram index tickets_search (migration 00020), so Postgres can
		// use it; control characters in the query cannot match a join.
		q := strings.Map(func(r rune) rune {
			if r < 0x20 {
				return -1
			}
			return r
		}, strings.ToLower(f.Query))
		where = append(where, `lower(number || E'\x1f' || summary || E'\x1f' || order_number || E'\x1f' || phone || E'\x1f' || email || E'\x1f' || qq) LIKE `+
			arg("%"+likeEscaper.Replace(q)+"%"))
	}
	if f.Form != "" {
		where = append(where, `form = `+arg(f.Form))
	}
	if len(f.PhoneDigits) > 0 {
		// The expression of the index tickets_phone_digits (migration 00064).
		where = append(where, `phone <> '' AND replace(phone, '-', '') = ANY(`+arg(f.PhoneDigits)+`::text[])`)
	}
	if f.VisibleToTeam != 0 || f.VisibleToAssignee != 0 {
		where = append(where, `(team_id IS NULL OR team_id = `+arg(f.VisibleToTeam)+` OR assignee_id = `+arg(f.VisibleToAssignee)+`)`)
	}
	if !f.ClockAlarm.IsZero() {
		// The alarmed clocks are few: collect them first (a semi-join),
		// rather than probing the clocks of every ticket newest first.
		where = append(where, `id IN (SELECT c.ticket_id FROM sla_clocks c WHERE c.state = 'running'
    AND (c.warn_at <= `+arg(norm(f.ClockAlarm))+` OR c.breached_at IS NOT NULL))`)
	}
	if f.NoClocks {
		where = append(where, `NOT EXISTS (SELECT 1 FROM sla_clocks c WHERE c.ticket_id = tickets.id)`)
	}
	if f.After != 0 {
		where = append(where, `id < `+arg(f.After))
	}
	limit := storekit.PageLimit(f.Limit)
	query := ticketSQL
	if len(where) > 0 {
		query += "\nWHERE " + strings.Join(where, "\n  AND ")
	}
	query += "\nORDER BY id DESC LIMIT " + arg(limit+1)

	// Planned with the actual values (an unnamed statement), not a cached
	// generic plan: only then can Postgres see that a search pattern is
	// rare and use the trigram index instead of walking the primary key.
	rows, err := q.Query(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
	if err != nil {
		return nil, dbError(err, "tickets")
	}
	tickets, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.Ticket, error) { return scanTicket(row) })
	if err != nil {
		return nil, dbError(err, "tickets")
	}
	page := &backend.TicketPage{}
	page.Tickets, page.NextCursor = storekit.Page(tickets, limit, func(x *backend.Ticket) int64 { return x.ID })
	return page, nil
}

const insertEventSQL = `
INSERT INTO events (ticket_id, kind, actor_id, at, public, body, data) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`

func insertEvent(ctx context.Context, tx pgx.Tx, e *backend.Event) error {
	data, err := jsonb(e.Data)
	if err != nil {
		return err
	}
	err = tx.QueryRow(ctx, insertEventSQL, e.TicketID, string(e.Kind), e.ActorID, e.At, e.Public, e.Body, data).Scan(&e.ID)
	return dbError(err, "event %s of ticket %d", e.Kind, e.TicketID)
}

const insertMessageSQL = `
INSERT INTO outbox (ticket_id, event_id, audience, recipient_id, attempts, next_attempt, sent_at, last_error, created_at, platform, chat)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`

func insertMessage(ctx context.Context, tx pgx.Tx, m *backend.OutboxMessage) error {
	err := tx.QueryRow(ctx, insertMessageSQL, m.TicketID, m.EventID, string(m.Audience), m.RecipientID, m.Attempts,
		m.NextAttempt, nullTime(m.SentAt), m.LastError, m.CreatedAt, m.Platform, m.Chat).Scan(&m.ID)
	return dbError(err, "outbox message for %s %d", m.Audience, m.RecipientID)
}

// insertChanges appends the events and messages of cs to a ticket and
// writes their follow-ups, tasks and closing records.
func insertChanges(ctx context.Context, tx pgx.Tx, ticketID int64, cs *storekit.ChangeSet) error {
	for i := range cs.Events {
		e := &cs.Events[i]
		e.TicketID = ticketID
		if k := cs.Tasks[i]; k != nil {
			if err := writeTask(ctx, tx, ticketID, k); err != nil {
				return err
			}
			e.Data.TaskID = k.ID
		}
		if r := cs.Records[i]; r != nil {
			if err := writeRecord(ctx, tx, ticketID, r); err != nil {
				return err
			}
		}
		if err := insertEvent(ctx, tx, e); err != nil {
			return err
		}
		for j := range cs.Msgs[i] {
			m := &cs.Msgs[i][j]
			m.TicketID, m.EventID = ticketID, e.ID
			if err := insertMessage(ctx, tx, m); err != nil {
				return err
			}
		}
		if f := cs.FollowUps[i]; f != nil {
			if err := writeFollowUp(ctx, tx, ticketID, e.ID, f); err != nil {
				return err
			}
		}
	}
	return nil
}

const eventsSQL = `
SELECT id, ticket_id, kind, actor_id, at, public, body, data FROM events WHERE ticket_id = $1 ORDER BY id`

func findEvents(ctx context.Context, q querier, ticketID int64) ([]*backend.Event, error) {
	rows, err := q.Query(ctx, eventsSQL, ticketID)
	if err != nil {
		return nil, dbError(err, "events of ticket %d", ticketID)
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.Event, error) {
		e := &backend.Event{}
		return e, row.Scan(&e.ID, &e.TicketID, &e.Kind, &e.ActorID, timeCol{&e.At}, &e.Public, &e.Body, jsonCol{&e.Data})
	})
	if err != nil {
		return nil, dbError(err, "events of ticket %d", ticketID)
	}
	if events == nil {
		events = []*backend.Event{}
	}
	return events, nil
}

// stringList converts a list of statuses or severities for ANY($n).
func stringList[S ~string](xs []S) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// likeEscaper quotes LIKE's wildcards (backslash is the escape character).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// TicketByRequest returns the ticket a reporter filed with a request id.
func (s *Store) TicketByRequest(ctx context.Context, reporterID int64, requestID string) (*backend.Ticket, error) {
	t, err := scanTicket(s.pool.QueryRow(ctx, ticketSQL+` WHERE id = (SELECT ticket_id FROM ticket_requests WHERE reporter_id = $1 AND request_id = $2)`, reporterID, requestID))
	return t, dbError(err, "ticket of request %s", requestID)
}

// attachmentsInUseSQL finds the hashes some ticket names, each through the
// GIN index on attachments (migration 00061).
const attachmentsInUseSQL = `SELECT s FROM unnest($1::text[]) AS s
WHERE EXISTS (SELECT 1 FROM tickets WHERE attachments @> jsonb_build_array(jsonb_build_object('sha256', s)))`

// AttachmentsInUse reports which of sums some ticket's attachments name.
func (s *Store) AttachmentsInUse(ctx context.Context, sums []string) (map[string]bool, error) {
	used := map[string]bool{}
	if len(sums) == 0 {
		return used, nil
	}
	rows, err := s.pool.Query(ctx, attachmentsInUseSQL, sums)
	if err != nil {
		return nil, dbError(err, "attachments in use")
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, dbError(err, "attachments in use")
	}
	for _, sum := range found {
		used[sum] = true
	}
	return used, nil
}

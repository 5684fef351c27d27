package sqlite

import (
	"context"
	"encoding/json"
	"strings"
	"time"

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

	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	seq, err := nextSeq(ctx, tx, prefix, day.Format("20060102"))
	if err != nil {
		return err
	}
	nt.Number = backend.FormatNumber(prefix, day, seq)
	if nt.ID, err = insertTicket(ctx, tx, &nt); err != nil {
		return err
	}
	if nt.RequestID != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_requests (reporter_id, request_id, ticket_id) VALUES (?, ?, ?)`,
			nt.ReporterID, nt.RequestID, nt.ID); err != nil {
			return dbError(err, "ticket request %s", nt.RequestID)
		}
	}
	if err := insertChanges(ctx, tx, nt.ID, cs); err != nil {
		return err
	}
	if err := commit(tx); err != nil {
		return err
	}
	*t = nt
	cs.Apply()
	return nil
}

// Ticket returns a ticket by number.
func (s *Store) Ticket(ctx context.Context, number string) (*backend.Ticket, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, err := scanTicket(tx.QueryRowContext(ctx, ticketByNumberSQL, number))
	return t, dbError(err, "ticket %s", number)
}

// TicketByID returns a ticket by ID.
func (s *Store) TicketByID(ctx context.Context, id int64) (*backend.Ticket, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findTicketByID(ctx, tx, id)
}

// Tickets lists tickets newest first, one page at a time.
func (s *Store) Tickets(ctx context.Context, f backend.TicketFilter) (*backend.TicketPage, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findTickets(ctx, tx, f)
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

	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := updateTicket(ctx, tx, &nt); err != nil {
		return err
	}
	if err := insertChanges(ctx, tx, nt.ID, cs); err != nil {
		return err
	}
	if err := commit(tx); err != nil {
		return err
	}
	nt.Version++
	*t = nt
	cs.Apply()
	return nil
}

// Events returns a ticket's thread, oldest first.
func (s *Store) Events(ctx context.Context, ticketID int64) ([]*backend.Event, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := findTicketByID(ctx, tx, ticketID); err != nil {
		return nil, err
	}
	return findEvents(ctx, tx, ticketID)
}

const (
	insertIncidentSQL = `INSERT INTO incidents (title, created_at) VALUES (?, ?)`
	incidentSQL       = incidentFields + ` WHERE i.id = ?`
)

// CreateIncident stores i and sets i.ID.
func (s *Store) CreateIncident(ctx context.Context, i *backend.Incident) error {
	created := orNow(i.CreatedAt, s.now())
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, insertIncidentSQL, i.Title, micros(created))
	if err != nil {
		return dbError(err, "new incident")
	}
	id, err := res.LastInsertId()
	if err != nil {
		return dbError(err, "new incident")
	}
	if err := commit(tx); err != nil {
		return err
	}
	i.ID, i.CreatedAt = id, created
	return nil
}

// Incident returns an incident.
func (s *Store) Incident(ctx context.Context, id int64) (*backend.Incident, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	i, err := scanIncident(tx.QueryRowContext(ctx, incidentSQL, id))
	if err != nil {
		return nil, dbError(err, "incident %s", backend.IncidentRef(id))
	}
	return i, nil
}

// nextSeqSQL bumps the counter of (prefix, day); the write lock of the
// transaction keeps numbers distinct, its rollback keeps them gap-free.
const nextSeqSQL = `
INSERT INTO ticket_counters (prefix, day, last) VALUES (?, ?, 1)
ON CONFLICT (prefix, day) DO UPDATE SET last = last + 1
RETURNING last`

func nextSeq(ctx context.Context, tx *dbTx, prefix, day string) (int64, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, nextSeqSQL, prefix, day).Scan(&seq); err != nil {
		return 0, dbError(err, "ticket number %s-%s", prefix, day)
	}
	return seq, nil
}

// ticketFields are the columns written by both insert and update, in the
// order of ticketArgs.
const ticketFields = `form, summary, reference_id, category_path, category_key, attachments, occurred_at,
	region, severity, order_number, account, phone, email, qq, extra, status,
	reporter_id, assignee_id, team_id, incident_id, satisfaction, solution, channel, updated_at, resolved_at, accepted_at, occurred_date_only, source`

func ticketArgs(t *backend.Ticket) ([]any, error) {
	cat, err := jsonText(t.CategoryPath)
	if err != nil {
		return nil, err
	}
	att, err := jsonText(t.Attachments)
	if err != nil {
		return nil, err
	}
	extra, err := jsonText(t.Extra)
	if err != nil {
		return nil, err
	}
	return []any{t.Form, t.Summary, t.ReferenceID, cat, storekit.CategoryKey(t.CategoryPath), att, micros(t.OccurredAt),
		t.Region, string(t.Severity), t.OrderNumber, t.Account, t.Contacts.Phone, t.Contacts.Email, t.Contacts.QQ, extra, string(t.Status),
		nullID(t.ReporterID), nullID(t.AssigneeID), nullID(t.TeamID), nullID(t.IncidentID), string(t.Satisfaction), t.Solution, t.Channel,
		micros(t.UpdatedAt), micros(t.ResolvedAt), micros(t.AcceptedAt), t.OccurredDateOnly, t.Source}, nil
}

const insertTicketSQL = `
INSERT INTO tickets (number, version, created_at, ` + ticketFields + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func insertTicket(ctx context.Context, tx *dbTx, t *backend.Ticket) (int64, error) {
	args, err := ticketArgs(t)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, insertTicketSQL, append([]any{t.Number, t.Version, micros(t.CreatedAt)}, args...)...)
	if err != nil {
		return 0, dbError(err, "ticket %s", t.Number)
	}
	id, err := res.LastInsertId()
	return id, dbError(err, "ticket %s", t.Number)
}

const updateTicketSQL = `
UPDATE tickets SET (` + ticketFields + `) = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),
	version = version + 1
WHERE id = ? AND version = ?`

// updateTicket writes t if its version is current: ENOTFOUND if there is no
// such ticket, ECONFLICT if the version is stale.
func updateTicket(ctx context.Context, tx *dbTx, t *backend.Ticket) error {
	args, err := ticketArgs(t)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, updateTicketSQL, append(args, t.ID, t.Version)...)
	if err != nil {
		return dbError(err, "ticket %s", t.Number)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
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
	ticketByNumberSQL = ticketSQL + ` WHERE number = ?`
	ticketByIDSQL     = ticketSQL + ` WHERE id = ?`
)

func scanTicket(row scanner) (*backend.Ticket, error) {
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

func findTicketByID(ctx context.Context, tx *dbTx, id int64) (*backend.Ticket, error) {
	t, err := scanTicket(tx.QueryRowContext(ctx, ticketByIDSQL, id))
	return t, dbError(err, "ticket %d", id)
}

// findTickets builds the WHERE clause from fixed fragments, one per filter
// that is set; values are always placeholders.
func findTickets(ctx context.Context, tx *dbTx, f backend.TicketFilter) (*backend.TicketPage, error) {
	var (
		where []string
		args  []any
	)
	cond := func(sql string, a ...any) {
		where = append(where, sql)
		args = append(args, a...)
	}
	if f.ReporterID != 0 {
		cond(`reporter_id = ?`, f.ReporterID)
	}
	if a := f.ReporterAccount; a != nil {
		cond(`reporter_id = (SELECT person_id FROM chat_accounts WHERE platform = ? AND user_id = ?)`, a.Platform, a.UserID)
	}
	if f.AssigneeID != 0 {
		cond(`assignee_id = ?`, f.AssigneeID)
	}
	if f.TeamID != 0 {
		cond(`team_id = ?`, f.TeamID)
	}
	if len(f.Status) > 0 {
		list, err := jsonText(f.Status)
		if err != nil {
			return nil, err
		}
		cond(`status IN (SELECT value FROM json_each(?))`, list)
	}
	if len(f.Severity) > 0 {
		list, err := jsonText(f.Severity)
		if err != nil {
			return nil, err
		}
		cond(`severity IN (SELECT value FROM json_each(?))`, list)
	}
	if len(f.CategoryPath) > 0 {
		key := storekit.CategoryKey(f.CategoryPath)
		cond(`substr(category_key, 1, length(?)) = ?`, key, key)
	}
	if !f.CreatedAfter.IsZero() {
		cond(`created_at >= ?`, micros(norm(f.CreatedAfter)))
	}
	if !f.CreatedBefore.IsZero() {
		cond(`created_at < ?`, micros(norm(f.CreatedBefore)))
	}
	if f.Query != "" {
		q := strings.ToLower(f.Query)
		cond(`(instr(lower(number), ?) > 0 OR instr(lower(summary), ?) > 0 OR instr(lower(order_number), ?) > 0
			OR instr(phone, ?) > 0 OR instr(lower(email), ?) > 0 OR instr(qq, ?) > 0)`, q, q, q, q, q, q)
	}
	if f.Form != "" {
		cond(`form = ?`, f.Form)
	}
	if len(f.PhoneDigits) > 0 {
		list, err := jsonText(f.PhoneDigits)
		if err != nil {
			return nil, err
		}
		// The expression of the index tickets_phone_digits (migration 00064).
		cond(`phone <> '' AND replace(phone, '-', '') IN (SELECT value FROM json_each(?))`, list)
	}
	if f.VisibleToTeam != 0 || f.VisibleToAssignee != 0 {
		cond(`(team_id IS NULL OR team_id = ? OR assignee_id = ?)`, f.VisibleToTeam, f.VisibleToAssignee)
	}
	if !f.ClockAlarm.IsZero() {
		cond(`EXISTS (SELECT 1 FROM sla_clocks c WHERE c.ticket_id = tickets.id AND c.state = 'running'
    AND (c.warn_at <= ? OR c.breached_at IS NOT NULL))`, micros(norm(f.ClockAlarm)))
	}
	if f.NoClocks {
		cond(`NOT EXISTS (SELECT 1 FROM sla_clocks c WHERE c.ticket_id = tickets.id)`)
	}
	if f.After != 0 {
		cond(`id < ?`, f.After)
	}
	limit := storekit.PageLimit(f.Limit)
	query := ticketSQL
	if len(where) > 0 {
		query += "\nWHERE " + strings.Join(where, "\n  AND ")
	}
	query += "\nORDER BY id DESC LIMIT ?"
	args = append(args, limit+1)

	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(err, "tickets")
	}
	list, err := collect(rows, scanTicket)
	if err != nil {
		return nil, dbError(err, "tickets")
	}
	page := &backend.TicketPage{}
	page.Tickets, page.NextCursor = storekit.Page(list, limit, func(x *backend.Ticket) int64 { return x.ID })
	return page, nil
}

const insertEventSQL = `
INSERT INTO events (ticket_id, kind, actor_id, at, public, body, data) VALUES (?, ?, ?, ?, ?, ?, ?)`

func insertEvent(ctx context.Context, tx *dbTx, e *backend.Event) error {
	data, err := jsonText(e.Data)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, insertEventSQL, e.TicketID, string(e.Kind), e.ActorID, micros(e.At), e.Public, e.Body, data)
	if err != nil {
		return dbError(err, "event %s of ticket %d", e.Kind, e.TicketID)
	}
	e.ID, err = res.LastInsertId()
	return dbError(err, "event %s of ticket %d", e.Kind, e.TicketID)
}

const insertMessageSQL = `
INSERT INTO outbox (ticket_id, event_id, audience, recipient_id, attempts, next_attempt, sent_at, last_error, created_at, platform, chat)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func insertMessage(ctx context.Context, tx *dbTx, m *backend.OutboxMessage) error {
	res, err := tx.ExecContext(ctx, insertMessageSQL, m.TicketID, m.EventID, string(m.Audience), m.RecipientID, m.Attempts,
		micros(m.NextAttempt), micros(m.SentAt), m.LastError, micros(m.CreatedAt), m.Platform, m.Chat)
	if err != nil {
		return dbError(err, "outbox message for %s %d", m.Audience, m.RecipientID)
	}
	m.ID, err = res.LastInsertId()
	return dbError(err, "outbox message for %s %d", m.Audience, m.RecipientID)
}

// insertChanges appends the events and messages of cs to a ticket and
// writes their follow-ups, tasks and closing records.
func insertChanges(ctx context.Context, tx *dbTx, ticketID int64, cs *storekit.ChangeSet) error {
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
SELECT id, ticket_id, kind, actor_id, at, public, body, data FROM events WHERE ticket_id = ? ORDER BY id`

func findEvents(ctx context.Context, tx *dbTx, ticketID int64) ([]*backend.Event, error) {
	rows, err := tx.QueryContext(ctx, eventsSQL, ticketID)
	if err != nil {
		return nil, dbError(err, "events of ticket %d", ticketID)
	}
	defer rows.Close()
	events := []*backend.Event{}
	for rows.Next() {
		e := &backend.Event{}
		if err := rows.Scan(&e.ID, &e.TicketID, &e.Kind, &e.ActorID, timeCol{&e.At}, &e.Public, &e.Body, jsonCol{&e.Data}); err != nil {
			return nil, dbError(err, "events of ticket %d", ticketID)
		}
		events = append(events, e)
	}
	return events, dbError(rows.Err(), "events of ticket %d", ticketID)
}

// TicketByRequest returns the ticket a reporter filed with a request id.
func (s *Store) TicketByRequest(ctx context.Context, reporterID int64, requestID string) (*backend.Ticket, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, err := scanTicket(tx.QueryRowContext(ctx, ticketSQL+` WHERE id = (SELECT ticket_id FROM ticket_requests WHERE reporter_id = ? AND request_id = ?)`, reporterID, requestID))
	return t, dbError(err, "ticket of request %s", requestID)
}

// attachmentsInUseSQL finds the hashes (a JSON array) some ticket names.
// SQLite has no index on JSON: it reads the tickets with attachments once
// per batch, which suits the embedded database's size.
const attachmentsInUseSQL = `SELECT DISTINCT json_extract(a.value, '$.sha256') FROM tickets, json_each(tickets.attachments) AS a
WHERE json_type(tickets.attachments) = 'array' AND json_extract(a.value, '$.sha256') IN (SELECT value FROM json_each(?))`

// AttachmentsInUse reports which of sums some ticket's attachments name.
func (s *Store) AttachmentsInUse(ctx context.Context, sums []string) (map[string]bool, error) {
	used := map[string]bool{}
	if len(sums) == 0 {
		return used, nil
	}
	list, err := json.Marshal(sums)
	if err != nil {
		return nil, err
	}
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, attachmentsInUseSQL, string(list))
	if err != nil {
		return nil, dbError(err, "attachments in use")
	}
	defer rows.Close()
	for rows.Next() {
		var sum string
		if err := rows.Scan(&sum); err != nil {
			return nil, dbError(err, "attachments in use")
		}
		used[sum] = true
	}
	return used, dbError(rows.Err(), "attachments in use")
}

package botkit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs"
)

// Suggester offers a reporter, once they have described their problem,
// their own open tickets, the open incidents and the knowledge-base
// entries that look like it (DESIGN §2), so that adding to their ticket,
// joining an incident or "this solved it" ends the dialog without a
// duplicate ticket. It implements dialogs.Suggester, dialogs.Joiner and
// dialogs.Adder for every channel.
type Suggester struct {
	Service *backend.Service
	// Names optionally gives a display name for a session's user (for a
	// reporter created by joining), as Filer.Names.
	Names func(key dialogs.SessionKey) string
	// MaxTickets is how many of the reporter's own tickets to offer at
	// most; default 2.
	MaxTickets int
	// MaxIncidents is how many incidents to offer at most; default 2.
	MaxIncidents int
	// MaxKB is how many entries to offer at most; default 3.
	MaxKB int
	// MaxBody clips an entry's solution to this many characters in chat;
	// default 300.
	MaxBody int
}

// Suggest implements dialogs.Suggester: the reporter's own open tickets
// like the draft's summary first (seed 000: the same problem asked again
// while it is being handled), then the open incidents (Count: how many
// reported each), then the best entries, each with its solution
// (clipped) as the body.
func (s *Suggester) Suggest(ctx context.Context, key dialogs.SessionKey, d dialogs.Draft) ([]dialogs.Suggestion, error) {
	maxOwn, maxInc, maxKB, maxBody := cmp.Or(s.MaxTickets, 2), cmp.Or(s.MaxIncidents, 2), cmp.Or(s.MaxKB, 3), cmp.Or(s.MaxBody, 300)
	// Any part alone is worth showing when the others cannot be read.
	// The three are read at once: the reporter waits for all of them.
	var (
		own              []*backend.Ticket
		incidents        []*backend.Incident
		entries          []*backend.KBEntry
		terr, ierr, kerr error
		wg               sync.WaitGroup
	)
	wg.Go(func() { own, terr = s.Service.SuggestOwnTickets(ctx, AccountOf(key), d.Form, d.Summary, maxOwn) })
	wg.Go(func() { incidents, ierr = s.Service.SuggestIncidents(ctx, d.Summary, maxInc) })
	wg.Go(func() { entries, kerr = s.Service.SuggestKB(ctx, d.Summary, maxKB) })
	wg.Wait()
	if terr != nil && ierr != nil && kerr != nil {
		return nil, errors.Join(terr, ierr, kerr)
	}
	out := make([]dialogs.Suggestion, 0, len(own)+len(incidents)+len(entries))
	for _, t := range own {
		out = append(out, dialogs.Suggestion{Kind: dialogs.SuggestionTicket, ID: t.Number, Title: backend.Clip(t.Summary, 100), Status: string(t.Status)})
	}
	// Whatever staff wrote, a reporter is never shown another's contacts
	// (DESIGN §10): the entries were scrubbed when filed, and are again.
	for _, i := range incidents {
		out = append(out, dialogs.Suggestion{Kind: dialogs.SuggestionIncident, ID: backend.IncidentRef(i.ID),
			Title: backend.ScrubPersonal(i.Title, nil), Count: i.Reports})
	}
	for _, e := range entries {
		out = append(out, dialogs.Suggestion{Kind: dialogs.SuggestionKB, ID: e.Ref(), Title: backend.ScrubPersonal(e.Title, nil),
			Body: backend.Clip(backend.ScrubPersonal(e.Body, nil), maxBody)})
	}
	return out, errors.Join(terr, ierr, kerr)
}

// AddToTicket implements dialogs.Adder: what the draft says (its summary,
// then every other field given, a line each) becomes the reporter's
// comment on their own ticket number, as a reply to its notices would,
// and its handler is told. The same text as the reporter's latest comment
// there is not added again (a turn tried again). A draft reported from a
// group chat (Draft.Source) tells that group.
func (s *Suggester) AddToTicket(ctx context.Context, key dialogs.SessionKey, number string, d dialogs.Draft) error {
	p, err := s.Service.Store().PersonByAccount(ctx, key.Platform, key.UserID)
	if err != nil {
		return err
	}
	lines := []string{strings.TrimSpace(d.Summary)}
	for _, f := range d.Fields {
		if v := strings.TrimSpace(f.Value); v != "" && v != lines[0] {
			lines = append(lines, f.Label+"："+v)
		}
	}
	body := strings.Join(lines, "\n")
	_, events, err := s.Service.Thread(ctx, p, number)
	if err != nil {
		return err
	}
	for i := len(events) - 1; i >= 0; i-- {
		if e := events[i]; e.Kind == backend.EventComment && e.ActorID == p.ID {
			if e.Body == body {
				return nil
			}
			break
		}
	}
	_, err = s.Service.AddToOwnTicket(ctx, p, number, body, d.Source)
	return err
}

// JoinIncident implements dialogs.Joiner: the person behind the session's
// chat account (a reporter is created on first contact) follows the
// incident, and hears its updates in this chat; no ticket is filed.
// Joining twice is one join.
func (s *Suggester) JoinIncident(ctx context.Context, key dialogs.SessionKey, incidentID string, d dialogs.Draft) error {
	id, ok := backend.ParseIncidentRef(incidentID)
	if !ok {
		return fmt.Errorf("botkit: bad incident id %q", incidentID)
	}
	name := ""
	if s.Names != nil {
		name = s.Names(key)
	}
	p, err := s.Service.ReporterFor(ctx, AccountOf(key), name, d.Locale)
	if err != nil {
		return err
	}
	_, err = s.Service.JoinIncident(ctx, p, id)
	return err
}

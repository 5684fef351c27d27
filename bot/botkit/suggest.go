package botkit

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs"
)

// Suggester offers a reporter, once they have described their problem,
// the open incidents and knowledge-base entries that look like it (DESIGN
// §2), so that joining an incident or "this solved it" ends the dialog
// without a duplicate ticket. It implements dialogs.Suggester and
// dialogs.Joiner for every channel.
type Suggester struct {
	Service *backend.Service
	// Names optionally gives a display name for a session's user (for a
	// reporter created by joining), as Filer.Names.
	Names func(key dialogs.SessionKey) string
	// MaxIncidents is how many incidents to offer at most; default 2.
	MaxIncidents int
	// MaxKB is how many entries to offer at most; default 3.
	MaxKB int
	// MaxBody clips an entry's solution to this many characters in chat;
	// default 300.
	MaxBody int
}

// Suggest implements dialogs.Suggester: the open incidents like the
// draft's summary first (Count: how many reported each), then the best
// entries, each with its solution (clipped) as the body.
func (s *Suggester) Suggest(ctx context.Context, d dialogs.Draft) ([]dialogs.Suggestion, error) {
	maxInc, maxKB, maxBody := cmp.Or(s.MaxIncidents, 2), cmp.Or(s.MaxKB, 3), cmp.Or(s.MaxBody, 300)
	// Either part alone is worth showing when the other cannot be read.
	incidents, ierr := s.Service.SuggestIncidents(ctx, d.Summary, maxInc)
	entries, kerr := s.Service.SuggestKB(ctx, d.Summary, maxKB)
	if ierr != nil && kerr != nil {
		return nil, errors.Join(ierr, kerr)
	}
	out := make([]dialogs.Suggestion, 0, len(incidents)+len(entries))
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
	return out, errors.Join(ierr, kerr)
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

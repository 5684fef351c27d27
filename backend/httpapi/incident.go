package httpapi

import (
	"net/http"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// incidentJSON is an incident as the API shows it.
type incidentJSON struct {
	ID         int64      `json:"id"`
	Ref        string     `json:"ref"` // INC-3, as chats show it
	Title      string     `json:"title"`
	Reports    int        `json:"reports"` // linked tickets and reporters who joined it
	CreatedAt  time.Time  `json:"created_at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
}

func incidentOut(i *backend.Incident) *incidentJSON {
	return &incidentJSON{ID: i.ID, Ref: backend.IncidentRef(i.ID), Title: i.Title, Reports: i.Reports, CreatedAt: i.CreatedAt,
		ResolvedAt: optTime(i.ResolvedAt)}
}

// updateIncident: POST /api/v1/incidents/{id}/updates {"body", "resolve"}
// — tells every reporter of its linked tickets and everyone who joined it.
func (s *Server) updateIncident(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	id, ok := backend.ParseIncidentRef(r.PathValue("id"))
	if !ok {
		return backend.Errorf(backend.ENOTFOUND, "incident %q not found", r.PathValue("id"))
	}
	var in struct {
		Body    string `json:"body"`
		Resolve bool   `json:"resolve"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	i, err := s.svc.UpdateIncident(r.Context(), actor, id, in.Body, in.Resolve)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, incidentOut(i))
	return nil
}

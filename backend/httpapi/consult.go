package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// Consultations (seed 002 跨部门协作): the team handling a ticket asks
// another team for its opinion, due within 24 hours unless "due" says
// otherwise. The opinion is given as a task's result:
// POST /api/v1/tasks/{id}/complete {"result"}.
//
//	GET  /api/v1/tickets/{number}/consults   the ticket's consultations (staff)
//	POST /api/v1/tickets/{number}/consults   {"team_id", "question", "owner_id", "due"}; owner_id and due optional

// consultFields names the service's fields of a consultation as the body
// does.
var consultFields = map[string]string{"team": "team_id", "owner": "owner_id"}

// consult: POST /api/v1/tickets/{number}/consults. One 400 names every
// bad field; 409 while the team has an open consultation on the ticket.
func (s *Server) consult(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		TeamID   int64      `json:"team_id"`
		OwnerID  int64      `json:"owner_id"`
		Question string     `json:"question"`
		Due      *time.Time `json:"due"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	nc := backend.NewConsult{TeamID: in.TeamID, OwnerID: in.OwnerID, Question: in.Question}
	if in.Due != nil {
		nc.Due = *in.Due
	}
	t, err := s.svc.Consult(r.Context(), actor, r.PathValue("number"), nc)
	if err != nil {
		return asRequest(err, consultFields)
	}
	w.Header().Set("Location", "/api/v1/tasks/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, taskOut(t, s.svc.Now()))
	return nil
}

// listConsults: GET /api/v1/tickets/{number}/consults
func (s *Server) listConsults(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	list, err := s.svc.Consults(r.Context(), actor, r.PathValue("number"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"consults": s.tasksOut(list)})
	return nil
}

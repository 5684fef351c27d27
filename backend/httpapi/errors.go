package httpapi

import (
	"cmp"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/deskbot/deskbot/backend"
)

// statusByCode maps domain error codes to HTTP statuses, in one place.
var statusByCode = map[string]int{
	backend.EINVALID:      http.StatusBadRequest,
	backend.ENOTFOUND:     http.StatusNotFound,
	backend.ECONFLICT:     http.StatusConflict,
	backend.EFORBIDDEN:    http.StatusForbidden,
	backend.EUNAUTHORIZED: http.StatusUnauthorized,
	backend.EUNAVAILABLE:  http.StatusServiceUnavailable,
	backend.EINTERNAL:     http.StatusInternalServerError,
	codeTooLarge:          http.StatusRequestEntityTooLarge,
}

// codeTooLarge is the API's own code for a body over MaxBodyBytes.
const codeTooLarge = "too_large"

// retryAfterSeconds is what a 503 asks clients to wait.
const retryAfterSeconds = "5"

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// writeError answers with the status of err's code; internal errors are
// logged and shown as a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := backend.ErrorCode(err)
	status, ok := statusByCode[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	switch code {
	case backend.EINTERNAL:
		s.log.ErrorContext(r.Context(), "api: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	case backend.EUNAVAILABLE:
		s.log.WarnContext(r.Context(), "api: dependency unavailable", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", retryAfterSeconds)
	case backend.EUNAUTHORIZED:
		w.Header().Set("WWW-Authenticate", `Bearer realm="deskbot"`)
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: backend.ErrorMessage(err), Fields: backend.ErrorFields(err)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// invalid builds an EINVALID error naming one field.
func invalid(field, problem string) error {
	return &backend.Error{Code: backend.EINVALID, Message: "invalid request", Fields: map[string]string{field: problem}}
}

// asRequest renames the fields of a domain error to the names the request
// body used (the service says "status" where the body said "to").
func asRequest(err error, names map[string]string) error {
	var e *backend.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	fields := make(map[string]string, len(e.Fields))
	for k, v := range e.Fields {
		fields[cmp.Or(names[k], k)] = v
	}
	return &backend.Error{Code: e.Code, Message: e.Message, Fields: fields}
}

// discardLogger is used when no logger is given.
var discardLogger = slog.New(slog.DiscardHandler)

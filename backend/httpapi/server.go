package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// MaxBodyBytes is the largest request body the API reads.
const MaxBodyBytes = 1 << 20

// Files is the attachment store (DESKBOT_DATA/attachments), files kept by
// their SHA-256; bot/botkit.Files implements it.
type Files interface {
	// Put stores a file, sniffing its type from the bytes, within the
	// store's size and type limits: a refused file is an EINVALID error.
	Put(r io.Reader, name string) (backend.Attachment, error)
	// Stat is a stored file's metadata; ENOTFOUND for an unknown hash.
	Stat(sum string) (backend.Attachment, error)
	// MaxSize is the largest file Put accepts, in bytes.
	MaxSize() int64
	// Grant records that a person uploaded a file under a name; Granted
	// says whether they did, and the name. A ticket may name only files
	// its caller uploaded.
	Grant(sum string, personID int64, name string) error
	Granted(sum string, personID int64) (name string, ok bool, err error)
}

// Config holds the API's optional dependencies.
type Config struct {
	// Files is the attachment store: a ticket may name only files in it,
	// and POST /api/v1/attachments puts files into it. Default none: a
	// ticket naming attachments is refused and there is no upload.
	Files Files
	// Logger; default discards.
	Logger *slog.Logger
}

// Server is the JSON API. Mount Handler() on the main HTTP server.
type Server struct {
	svc   *backend.Service
	log   *slog.Logger
	files Files
	// Ready reports whether the process can serve (for /readyz); it
	// defaults to pinging the store.
	Ready func(ctx context.Context) error
}

// New returns an API server over svc.
func New(svc *backend.Service, cfg Config) *Server {
	s := &Server{svc: svc, log: cmp.Or(cfg.Logger, discardLogger), files: cfg.Files}
	s.Ready = svc.Store().Ping
	return s
}

// Register adds the API's routes and the health endpoints to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /api/v1/tickets", s.auth(s.listTickets))
	mux.Handle("POST /api/v1/tickets", s.auth(s.createTicket))
	mux.Handle("POST /api/v1/tickets/search", s.auth(s.searchTickets))
	mux.Handle("GET /api/v1/tickets/{number}", s.auth(s.getTicket))
	mux.Handle("GET /api/v1/tickets/{number}/clocks", s.auth(s.getClocks))
	mux.Handle("POST /api/v1/tickets/{number}/milestones", s.auth(s.milestone))
	mux.Handle("POST /api/v1/tickets/{number}/comments", s.auth(s.addComment))
	mux.Handle("POST /api/v1/tickets/{number}/transitions", s.auth(s.transition))
	mux.Handle("POST /api/v1/tickets/{number}/claim", s.auth(s.claim))
	mux.Handle("POST /api/v1/tickets/{number}/accept", s.auth(s.accept))
	mux.Handle("POST /api/v1/tickets/{number}/assign", s.auth(s.assign))
	mux.Handle("POST /api/v1/tickets/{number}/transfer", s.auth(s.transfer))
	mux.Handle("POST /api/v1/tickets/{number}/severity", s.auth(s.severity))
	mux.Handle("POST /api/v1/tickets/{number}/delay", s.auth(s.delay))
	mux.Handle("POST /api/v1/tickets/{number}/plan", s.auth(s.plan))
	mux.Handle("POST /api/v1/tickets/{number}/incident", s.auth(s.linkIncident))
	mux.Handle("POST /api/v1/tickets/{number}/satisfaction", s.auth(s.satisfaction))
	mux.Handle("POST /api/v1/tickets/{number}/confirmation", s.auth(s.confirmation))
	mux.Handle("POST /api/v1/incidents", s.auth(s.createIncident))
	mux.Handle("POST /api/v1/incidents/{id}/updates", s.auth(s.updateIncident))
	mux.Handle("GET /api/v1/tickets/{number}/follow-ups", s.auth(s.ticketFollowUps))
	mux.Handle("GET /api/v1/follow-ups", s.auth(s.listFollowUps))
	mux.Handle("GET /api/v1/follow-ups/board", s.auth(s.followUpBoard))
	mux.Handle("GET /api/v1/follow-ups/{id}", s.auth(s.getFollowUp))
	mux.Handle("POST /api/v1/follow-ups/{id}/mark", s.auth(s.markFollowUp))
	mux.Handle("POST /api/v1/follow-ups/{id}/survey", s.auth(s.surveyFollowUp))
	mux.Handle("POST /api/v1/follow-ups/{id}/callback", s.auth(s.callbackFollowUp))
	mux.Handle("GET /api/v1/kb", s.auth(s.listKB))
	mux.Handle("POST /api/v1/kb", s.auth(s.createKB))
	mux.Handle("POST /api/v1/kb/search", s.auth(s.searchKB))
	mux.Handle("GET /api/v1/kb/{id}", s.auth(s.getKB))
	mux.Handle("PATCH /api/v1/kb/{id}", s.auth(s.patchKB))
	mux.Handle("DELETE /api/v1/kb/{id}", s.auth(s.deleteKB))
	mux.Handle("POST /api/v1/tickets/{number}/kb", s.auth(s.kbFromTicket))
	mux.Handle("POST /api/v1/follow-ups/{id}/urge", s.auth(s.urgeFollowUp))
	mux.Handle("GET /api/v1/reports", s.auth(s.getReport))
	mux.Handle("GET /api/v1/tickets/{number}/complaint", s.auth(s.getComplaint))
	mux.Handle("POST /api/v1/tickets/{number}/tasks", s.auth(s.addTask))
	mux.Handle("GET /api/v1/tickets/{number}/consults", s.auth(s.listConsults))
	mux.Handle("POST /api/v1/tickets/{number}/consults", s.auth(s.consult))
	mux.Handle("PUT /api/v1/tickets/{number}/complaint/record", s.auth(s.putRecord))
	mux.Handle("POST /api/v1/tickets/{number}/complaint/approve", s.auth(s.approveComplaint))
	mux.Handle("POST /api/v1/tickets/{number}/complaint/sent", s.auth(s.complaintSent))
	mux.Handle("PUT /api/v1/customers", s.auth(s.putCustomers))
	mux.Handle("POST /api/v1/customers/lookup", s.auth(s.lookupCustomer))
	mux.Handle("GET /api/v1/customers/lookup", s.auth(s.lookupInURL))
	mux.Handle("GET /api/v1/tasks", s.auth(s.listTasks))
	mux.Handle("GET /api/v1/tasks/{id}", s.auth(s.getTask))
	mux.Handle("POST /api/v1/tasks/{id}/complete", s.auth(s.completeTask))
	mux.Handle("POST /api/v1/tasks/{id}/objection", s.auth(s.objectTask))
	mux.Handle("PATCH /api/v1/tasks/{id}", s.auth(s.changeTask))
	if s.files != nil {
		mux.Handle("POST /api/v1/attachments", s.auth(s.upload))
	}
	mux.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, backend.Errorf(backend.ENOTFOUND, "no API endpoint %s %s", r.Method, r.URL.Path))
	}))
}

// Handler returns a mux with only the API routes (for tests and embedding).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Register(mux)
	return mux
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		s.log.WarnContext(ctx, "readyz: not ready", "err", err)
		w.Header().Set("Retry-After", retryAfterSeconds)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, actor *backend.Person) error

// auth resolves the bearer token to a person and runs h; errors h returns
// are written with their mapped status.
func (s *Server) auth(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || secret == "" {
			s.writeError(w, r, backend.Errorf(backend.EUNAUTHORIZED, "an API token is required (Authorization: Bearer …)"))
			return
		}
		actor, err := s.svc.Authenticate(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r, actor); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// decode reads a JSON object of at most MaxBodyBytes into v (a pointer to
// a struct). Every unknown field and every field of the wrong type is
// named, with the type it should have in JSON terms.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	var p problems
	if err := decodeBody(w, r, v, &p); err != nil {
		return err
	}
	return p.err("invalid request")
}

// decodeBody reads a JSON object of at most MaxBodyBytes into v (a pointer
// to a struct), adding every unknown field and every field of the wrong
// type to p, nested ones too ("contacts.phone", "attachments[1].sha256"),
// and decoding what it can of the rest. The error is for a body that is
// not one JSON object at all.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, p *problems) error {
	sent, err := decodeOptional(w, r, v, p)
	if err == nil && !sent {
		return errEmptyBody
	}
	return err
}

// decodeOptional is decodeBody for a request whose body may be left out:
// a body that is empty or only white space — however it came, with
// Content-Length: 0 or chunked, where the length is not known before it
// is read — decodes nothing and sent is false.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any, p *problems) (sent bool, err error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return false, &backend.Error{Code: backend.EINVALID, Message: "the body must be JSON (Content-Type: application/json)"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err == io.EOF {
		return false, nil
	} else if err != nil {
		return false, decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return true, &backend.Error{Code: backend.EINVALID, Message: "the body must hold one JSON object"}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return true, &backend.Error{Code: backend.EINVALID, Message: "the body must be a JSON object"}
	}
	decodeFields("", fields, reflect.ValueOf(v).Elem(), p)
	return true, nil
}

// errEmptyBody answers a request whose body is required but empty.
var errEmptyBody = &backend.Error{Code: backend.EINVALID, Message: "the body is empty; a JSON object is required"}

// decodeFields decodes the members of a JSON object into the struct rv,
// each on its own, so that one bad member does not hide the next.
func decodeFields(prefix string, fields map[string]json.RawMessage, rv reflect.Value, p *problems) {
	known := jsonFields(rv.Type())
	for key, msg := range fields {
		name := key
		if prefix != "" {
			name = prefix + "." + key
		}
		f, ok := known[key]
		if !ok {
			p.add(name, "unknown field")
			continue
		}
		decodeValue(name, msg, rv.FieldByIndex(f.Index), p)
	}
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// decodeValue decodes msg into rv, the field name: an object (a struct
// without its own UnmarshalJSON, or a map) member by member
// ("extra.customer"), a list of objects element by element
// ("attachments[1]"), anything else at once.
func decodeValue(name string, msg json.RawMessage, rv reflect.Value, p *problems) {
	t := rv.Type()
	plain := func(t reflect.Type) bool {
		return t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(unmarshalerType)
	}
	if string(bytes.TrimSpace(msg)) == "null" {
		return
	}
	switch {
	case plain(t):
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(msg, &fields); err != nil {
			p.add(name, "must be "+jsonType(t))
			return
		}
		decodeFields(name, fields, rv, p)
	case t.Kind() == reflect.Slice && plain(t.Elem()):
		var elems []json.RawMessage
		if err := json.Unmarshal(msg, &elems); err != nil {
			p.add(name, "must be "+jsonType(t))
			return
		}
		list := reflect.MakeSlice(t, len(elems), len(elems))
		for i, e := range elems {
			decodeValue(fmt.Sprintf("%s[%d]", name, i), e, list.Index(i), p)
		}
		rv.Set(list)
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		var elems map[string]json.RawMessage
		if err := json.Unmarshal(msg, &elems); err != nil {
			p.add(name, "must be "+jsonType(t))
			return
		}
		m := reflect.MakeMapWithSize(t, len(elems))
		for k, e := range elems {
			v := reflect.New(t.Elem()).Elem()
			decodeValue(name+"."+k, e, v, p)
			m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), v)
		}
		rv.Set(m)
	default:
		if err := json.Unmarshal(msg, rv.Addr().Interface()); err != nil {
			p.add(fieldError(name, t, err))
		}
	}
}

// problems collects the bad fields of one request from every step that
// reads it — decoding, conversion, lookups, the domain's Validate — so
// that one 400 names them all. A field keeps the first word said about
// it, and a step says nothing about a field that an earlier step named,
// nor about a part or the whole of one: a contacts.phone of the wrong
// type is not also "contacts: required".
type problems struct {
	fields   map[string]string
	problems map[string]backend.Problem // the catalog's word, where a step gave one
}

func (p *problems) add(field, text string) {
	if p.fields == nil {
		p.fields = map[string]string{}
	}
	if _, ok := p.fields[field]; !ok {
		p.fields[field] = text
	}
}

// merge adds the fields of an EINVALID error as one step and returns nil;
// any other error is returned as it is.
func (p *problems) merge(err error) error {
	var e *backend.Error
	if err == nil {
		return nil
	}
	if !errors.As(err, &e) || e.Code != backend.EINVALID || len(e.Fields) == 0 {
		return err
	}
	before := maps.Clone(p.fields)
	for field, text := range e.Fields {
		if related(before, field) {
			continue
		}
		p.add(field, text)
		if pr, ok := e.Problems[field]; ok {
			if p.problems == nil {
				p.problems = map[string]backend.Problem{}
			}
			p.problems[field] = pr
		}
	}
	return nil
}

// related reports whether fields names field, a part of it or its whole.
func related(fields map[string]string, field string) bool {
	for k := range fields {
		if k == field || strings.HasPrefix(k, field+".") || strings.HasPrefix(k, field+"[") ||
			strings.HasPrefix(field, k+".") || strings.HasPrefix(field, k+"[") {
			return true
		}
	}
	return false
}

// err is nil when no field is bad, else an EINVALID error naming them.
func (p *problems) err(message string) error {
	if len(p.fields) == 0 {
		return nil
	}
	return &backend.Error{Code: backend.EINVALID, Message: message, Fields: p.fields, Problems: p.problems}
}

// jsonFields maps the JSON names of a struct's fields to the fields.
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for _, f := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		out[cmp.Or(name, f.Name)] = f
	}
	return out
}

// fieldError names what is wrong with one field's value: a nested field
// as "contacts.phone".
func fieldError(name string, t reflect.Type, err error) (string, string) {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		if typ.Field != "" {
			name += "." + typ.Field
		}
		return name, "must be " + jsonType(typ.Type)
	}
	if rest, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return name + "." + strings.Trim(rest, `"`), "unknown field"
	}
	return name, "must be " + jsonType(t)
}

// jsonType says what a Go type looks like in JSON, for people.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(jsonType(t.Elem()), "a "), "an ") + "s"
	case reflect.Pointer:
		return jsonType(t.Elem())
	}
	return "an object"
}

// errTooLarge is returned for bodies over MaxBodyBytes.
var errTooLarge = &backend.Error{Code: codeTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", MaxBodyBytes)}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return errTooLarge
	case errors.Is(err, io.EOF):
		return errEmptyBody
	case errors.As(err, &syn):
		return &backend.Error{Code: backend.EINVALID, Message: fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &backend.Error{Code: backend.EINVALID, Message: "malformed JSON: the body ends too early"}
	default:
		return &backend.Error{Code: backend.EINVALID, Message: "malformed JSON: " + err.Error()}
	}
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	// Every bad field is named at once: what could not be decoded, then
	// what could not be converted or found, then the intake rules.
	var in ticketInput
	var p problems
	if err := decodeBody(w, r, &in, &p); err != nil {
		return err
	}
	nt := in.toDomain(&p)
	var err error
	if nt.RequestID, err = idempotencyKey(r, actor); p.merge(err) != nil {
		return err
	}
	if nt.Attachments, err = s.attachments(in.Attachments, actor); p.merge(err) != nil {
		return err
	}
	if len(p.fields) > 0 {
		nt.Defaults()
		_ = p.merge(nt.Validate(s.svc.Now()))
		return p.err("invalid ticket")
	}
	t, err := s.svc.CreateTicket(r.Context(), actor, nt)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/tickets/"+t.Number)
	writeJSON(w, http.StatusCreated, ticketOut(t, actor))
	return nil
}

// idempotencyKey is the request id of a filing from its Idempotency-Key
// header ("" without one): a retry with the same key gets the ticket the
// first request filed, not a second one. Keys are the caller's own: two
// callers filing for one reporter with the same key file two tickets, and
// neither gets the other's.
func idempotencyKey(r *http.Request, actor *backend.Person) (string, error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return "", nil
	}
	if len(key) > 255 || strings.ContainsFunc(key, func(c rune) bool { return c <= ' ' || c > '~' }) {
		return "", invalid("Idempotency-Key", "must be 1–255 printable ASCII characters without spaces, e.g. a UUID")
	}
	return "api:" + strconv.FormatInt(actor.ID, 10) + ":" + key, nil
}

// attachments looks up the files a request names by their sha256: each
// must be in the store and uploaded by actor (knowing a file's hash is
// not enough), and the store says its size and type (a request's own
// are ignored, so they cannot be made up); the display name may be the
// request's. An unknown file is named as "attachments[i]", with the same
// answer for one stored but uploaded by someone else, which says nothing
// of what is stored.
func (s *Server) attachments(in []backend.Attachment, actor *backend.Person) ([]backend.Attachment, error) {
	var out []backend.Attachment
	bad := &backend.Error{Code: backend.EINVALID, Message: "invalid request", Fields: map[string]string{}, Problems: map[string]backend.Problem{}}
	for i, a := range in {
		field := fmt.Sprintf("attachments[%d]", i)
		var stored backend.Attachment
		var err error = backend.Errorf(backend.ENOTFOUND, "no attachment store")
		if s.files != nil {
			sum := strings.ToLower(strings.TrimSpace(a.SHA256))
			if stored, err = s.files.Stat(sum); err == nil {
				var mine bool
				// The name is the caller's, not that of whoever last
				// uploaded the same bytes.
				if stored.Name, mine, err = s.files.Granted(sum, actor.ID); err == nil && !mine {
					err = backend.Errorf(backend.ENOTFOUND, "attachment %s not uploaded by person %d", sum, actor.ID)
				}
			}
		}
		if backend.ErrorCode(err) == backend.ENOTFOUND {
			bad.Fields[field] = "no uploaded file has this sha256 (POST /api/v1/attachments first)"
			bad.Problems[field] = backend.Problem{Key: "no_file"}
			continue
		}
		if err != nil {
			return nil, err
		}
		if a.Name != "" {
			stored.Name = backend.CleanFileName(a.Name, stored.ContentType)
		}
		stored.AddedAt = time.Time{} // the service stamps it
		out = append(out, stored)
	}
	if len(bad.Fields) > 0 {
		return nil, bad
	}
	return out, nil
}

// uploadSlack is what a multipart upload may carry beyond the file.
const uploadSlack = 1 << 20

// upload stores the file of a multipart/form-data body (the part named
// "file") and answers with its metadata, for tickets to name by sha256.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	r.Body = http.MaxBytesReader(w, r.Body, s.files.MaxSize()+uploadSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		return &backend.Error{Code: backend.EINVALID, Message: `the body must be multipart/form-data with the file in a part named "file"`}
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return invalid("file", "required")
		}
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return errUploadTooLarge
		}
		if err != nil {
			return &backend.Error{Code: backend.EINVALID, Message: "malformed multipart body: " + err.Error()}
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		a, err := s.files.Put(part, part.FileName())
		part.Close()
		if err != nil {
			return uploadError(err)
		}
		if err := s.files.Grant(a.SHA256, actor.ID, a.Name); err != nil {
			return err
		}
		s.log.InfoContext(r.Context(), "api: file uploaded", "person", actor.ID, "sha256", a.SHA256, "size", a.Size)
		writeJSON(w, http.StatusCreated, uploadJSON{Name: a.Name, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256})
		return nil
	}
}

// errUploadTooLarge is returned for an upload body over the largest file
// accepted.
var errUploadTooLarge = &backend.Error{Code: codeTooLarge, Message: "the upload is larger than the largest file accepted"}

// uploadError maps a failed Put: a body over the limit is 413 and one cut
// short 400; a refused file is the store's own EINVALID; anything else
// (the disk) is internal.
func uploadError(err error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return errUploadTooLarge
	}
	if backend.ErrorCode(err) == backend.EINTERNAL && errors.Is(err, io.ErrUnexpectedEOF) {
		return invalid("file", "the upload ends too early")
	}
	return err
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	t, events, err := s.svc.Thread(r.Context(), actor, r.PathValue("number"))
	if err != nil {
		return err
	}
	out := ticketOut(t, actor)
	out.Events = make([]eventJSON, 0, len(events))
	for _, e := range events {
		out.Events = append(out.Events, eventOut(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getClocks(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	t, clocks, err := s.svc.Clocks(r.Context(), actor, r.PathValue("number"))
	if err != nil {
		return err
	}
	out := clocksJSON{Number: t.Number, Clocks: make([]clockJSON, 0, len(clocks))}
	for _, c := range clocks {
		out.Clocks = append(out.Clocks, clockOut(c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	return s.writeList(w, r, actor, r.URL.Query())
}

// searchTickets is listTickets with the filter in the body.
func (s *Server) searchTickets(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in searchJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	return s.writeList(w, r, actor, in.values())
}

// writeList answers with the page of tickets the filter q selects.
func (s *Server) writeList(w http.ResponseWriter, r *http.Request, actor *backend.Person, q url.Values) error {
	f, err := parseFilter(q)
	if err != nil {
		return err
	}
	page, err := s.svc.Tickets(r.Context(), actor, f)
	if err != nil {
		return err
	}
	out := listJSON{Tickets: make([]*ticketJSON, 0, len(page.Tickets))}
	for _, t := range page.Tickets {
		out.Tickets = append(out.Tickets, ticketOut(t, actor))
	}
	if page.NextCursor != 0 {
		out.NextCursor = strconv.FormatInt(page.NextCursor, 10)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) addComment(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		Body   string `json:"body"`
		Public *bool  `json:"public"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	public := in.Public == nil || *in.Public
	t, err := s.svc.Comment(r.Context(), actor, r.PathValue("number"), in.Body, public)
	return s.respond(w, t, actor, err, http.StatusCreated)
}

func (s *Server) transition(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		To   backend.Status `json:"to"`
		Note string         `json:"note"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.To == "" {
		return invalid("to", "required")
	}
	t, err := s.svc.Transition(r.Context(), actor, r.PathValue("number"), in.To, in.Note)
	return s.respond(w, t, actor, asRequest(err, map[string]string{"status": "to"}), http.StatusOK)
}

func (s *Server) claim(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	t, err := s.svc.Claim(r.Context(), actor, r.PathValue("number"))
	return s.respond(w, t, actor, err, http.StatusOK)
}

// accept is the assignee confirming a ticket dispatched to them (seed 002).
func (s *Server) accept(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	t, err := s.svc.Accept(r.Context(), actor, r.PathValue("number"))
	return s.respond(w, t, actor, err, http.StatusOK)
}

func (s *Server) assign(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		AssigneeID int64 `json:"assignee_id"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.AssigneeID == 0 {
		return invalid("assignee_id", "required")
	}
	t, err := s.svc.Assign(r.Context(), actor, r.PathValue("number"), in.AssigneeID)
	return s.respond(w, t, actor, err, http.StatusOK)
}

// transfer hands the ticket to another team with the reason (转派); the
// service names the reason "note", the body "reason".
func (s *Server) transfer(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		TeamID int64  `json:"team_id"`
		Reason string `json:"reason"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.TeamID == 0 {
		return invalid("team_id", "required")
	}
	t, err := s.svc.Transfer(r.Context(), actor, r.PathValue("number"), in.TeamID, in.Reason)
	return s.respond(w, t, actor, asRequest(err, map[string]string{"note": "reason"}), http.StatusOK)
}

func (s *Server) severity(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		Severity backend.Severity `json:"severity"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := s.svc.ChangeSeverity(r.Context(), actor, r.PathValue("number"), in.Severity)
	return s.respond(w, t, actor, err, http.StatusOK)
}

// delay tells the reporter that the ticket will be late, and the
// managers (backend.Service.ExplainDelay): {"reason": "…", "expected_by":
// "2026-11-28T18:00:00+08:00"}, expected_by optional.
func (s *Server) delay(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		Reason     string     `json:"reason"`
		ExpectedBy *time.Time `json:"expected_by"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := s.svc.ExplainDelay(r.Context(), actor, r.PathValue("number"), in.Reason, orZero(in.ExpectedBy))
	return s.respond(w, t, actor, err, http.StatusOK)
}

// plan takes a suggestion into the backlog (backend.Service.PlanTicket):
// {"plan": "纳入 Q4 需求池", "expected_by": "2026-12-31T18:00:00+08:00"},
// expected_by optional.
func (s *Server) plan(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		Plan       string     `json:"plan"`
		ExpectedBy *time.Time `json:"expected_by"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := s.svc.PlanTicket(r.Context(), actor, r.PathValue("number"), in.Plan, orZero(in.ExpectedBy))
	return s.respond(w, t, actor, err, http.StatusOK)
}

// orZero is *t, or the zero time for nil (a time left out).
func orZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func (s *Server) milestone(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		Milestone backend.Milestone `json:"milestone"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := s.svc.RecordMilestone(r.Context(), actor, r.PathValue("number"), in.Milestone)
	return s.respond(w, t, actor, err, http.StatusOK)
}

func (s *Server) linkIncident(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		IncidentID int64 `json:"incident_id"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.IncidentID == 0 {
		return invalid("incident_id", "required")
	}
	t, err := s.svc.LinkIncident(r.Context(), actor, r.PathValue("number"), in.IncidentID)
	return s.respond(w, t, actor, err, http.StatusOK)
}

// confirmation is the reporter's answer to the solution put to them
// (pending confirmation): {"solved": true|false, "note": "…"}.
func (s *Server) confirmation(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		Solved *bool  `json:"solved"`
		Note   string `json:"note"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Solved == nil {
		return s.respond(w, nil, actor, backend.Invalid("solved is required", "solved", "true or false is required", backend.Problem{Key: "required"}), http.StatusOK)
	}
	t, err := s.svc.ConfirmSolution(r.Context(), actor, r.PathValue("number"), *in.Solved, in.Note)
	return s.respond(w, t, actor, err, http.StatusOK)
}

func (s *Server) satisfaction(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		Rating backend.Satisfaction `json:"rating"`
		Note   string               `json:"note"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := s.svc.RecordSatisfaction(r.Context(), actor, r.PathValue("number"), in.Rating, in.Note)
	return s.respond(w, t, actor, asRequest(err, map[string]string{"satisfaction": "rating"}), http.StatusOK)
}

func (s *Server) createIncident(w http.ResponseWriter, r *http.Request, actor *backend.Person) error {
	var in struct {
		Title string `json:"title"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	i, err := s.svc.CreateIncident(r.Context(), actor, in.Title)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": i.ID, "title": i.Title, "created_at": i.CreatedAt})
	return nil
}

// respond writes the ticket after a successful action.
func (s *Server) respond(w http.ResponseWriter, t *backend.Ticket, actor *backend.Person, err error, status int) error {
	if err != nil {
		return err
	}
	writeJSON(w, status, ticketOut(t, actor))
	return nil
}

package backend

import (
	"fmt"
	"net/mail"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Ticket is one reported problem with all intake fields of the default form
// (DESIGN §2) and its handling state. The thread lives in Events.
type Ticket struct {
	ID     int64
	Number string // PREFIX-YYYYMMDD-NNNN, allocated by the store
	Form   string // the intake form it came from: "feedback", "suggestion", "complaint"

	Summary      string
	ReferenceID  string   // post / shop / object where the problem shows
	CategoryPath []string // root first, e.g. ["CRM问题", "会员中心"]
	Attachments  []Attachment
	OccurredAt   time.Time
	// OccurredDateOnly is set when the reporter named the day alone
	// ("前天", "昨天下午"): OccurredAt is then the start of that day, not
	// a moment at midnight ("昨晚12点").
	OccurredDateOnly bool
	Region           string
	Severity         Severity
	OrderNumber      string
	Account          string
	Contacts         Contacts
	Extra            map[string]string // other form fields (complaint requests, urgency, …)

	Status     Status
	ReporterID int64
	AssigneeID int64 // 0: nobody
	// AcceptedAt is when the assignee confirmed they take the ticket
	// (seed 002 确认接收: claiming it themselves, Service.Accept, or
	// starting work on it); zero while nobody holds it and while the
	// person it was dispatched to has not confirmed it yet.
	AcceptedAt   time.Time
	TeamID       int64 // 0: not routed yet; visible to every assistant
	IncidentID   int64 // 0: not linked
	Satisfaction Satisfaction
	Solution     string
	Channel      string // where it was filed: "telegram", "slack", "web", "api"
	// Source is the group chat message the report came from, when it was
	// taken from one ("telegram:<chat id>:<message id>"; see ParseSource):
	// that chat hears when the ticket is filed and when it is resolved.
	Source string
	// RequestID is the filer's idempotency key (a dialog's draft id): the
	// store keeps one ticket per reporter and request id. Set on create
	// only; tickets read back leave it empty.
	RequestID string

	Version    int64 // optimistic concurrency: bumped by every update
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ResolvedAt time.Time // zero until resolved
}

// Occurred is when the problem happened as cards and the console show
// it, in loc: the day alone when the reporter named only the day, else
// the day and the minute (a midnight given as a time is 00:00); "" if the
// form did not ask.
func (t *Ticket) Occurred(loc *time.Location) string {
	if t.OccurredAt.IsZero() {
		return ""
	}
	if t.OccurredDateOnly {
		return t.OccurredAt.In(loc).Format(time.DateOnly)
	}
	return t.OccurredAt.In(loc).Format("2006-01-02 15:04")
}

// Contacts is the customer's contact (seed 000 Q5): at least one is required.
type Contacts struct {
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
	QQ    string `json:"qq,omitempty"`
}

// Empty reports whether no contact is given.
func (c Contacts) Empty() bool { return c.Phone == "" && c.Email == "" && c.QQ == "" }

// Masked returns the contacts as shown in group chats and logs (138****8000).
func (c Contacts) Masked() Contacts {
	return Contacts{Phone: MaskMiddle(c.Phone, 3, 4), Email: maskEmail(c.Email), QQ: MaskMiddle(c.QQ, 2, 2)}
}

// Attachment is the metadata of a file attached to a ticket; the bytes live
// in the attachment store under their content hash.
type Attachment struct {
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	AddedAt     time.Time `json:"added_at"`
}

// CleanFileName is a safe display name for an attachment: no directories,
// no control characters, at most 100 runes; an empty name becomes "file"
// with the extension of contentType.
func CleanFileName(name, contentType string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "/" || name == "" {
		name = "file"
		if ext, ok := map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp", "application/pdf": ".pdf", "text/plain": ".txt"}[contentType]; ok {
			name += ext
		}
	}
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100])
	}
	return name
}

var (
	// A mainland mobile, landline (area code, 7–8 digits) or 400/800 line.
	phoneRE  = regexp.MustCompile(`^(?:1[3-9]\d{9}|0(?:[12]\d|[3-9]\d{2})-?\d{7,8}|[48]00-?\d{3}-?\d{4})$`)
	qqRE     = regexp.MustCompile(`^[1-9]\d{4,10}$`)
	prefixRE = regexp.MustCompile(`^[A-Z]{1,8}$`)
	numberRE = regexp.MustCompile(`^([A-Z]{1,8})-(\d{8})-(\d{4,})$`)
)

// ValidNumber reports whether s looks like a ticket number.
func ValidNumber(s string) bool { return numberRE.MatchString(s) }

// FormatNumber builds a ticket number from its parts.
func FormatNumber(prefix string, day time.Time, seq int64) string {
	return fmt.Sprintf("%s-%s-%04d", prefix, day.Format("20060102"), seq)
}

// NewTicket is the input for creating a ticket.
type NewTicket struct {
	Prefix       string // number prefix of the form, e.g. "FB"
	Form         string
	Summary      string
	ReferenceID  string
	CategoryPath []string
	Attachments  []Attachment
	OccurredAt   time.Time
	// OccurredDateOnly: OccurredAt is the start of a day the reporter
	// named without a time (see Ticket).
	OccurredDateOnly bool
	Region           string
	Severity         Severity
	OrderNumber      string
	Account          string
	Contacts         Contacts
	Extra            map[string]string
	Channel          string
	Source           string // the group chat message reported (Ticket.Source); "" for none
	ReporterID       int64  // set by the service to the caller unless staff files for someone
	// RequestID makes filing idempotent: filing again with the same id
	// (a retried submit, a second replica) returns the first ticket.
	RequestID string
}

// The intake forms whose rules Validate knows (their YAML is in
// dialogs/forms). A ticket of any other form is held to the rules every
// ticket meets; its form's own required fields are the dialog's to ask.
const (
	FormFeedback   = "feedback"
	FormSuggestion = "suggestion"
	FormComplaint  = "complaint"
)

// Defaults fills what a form implies and its dialog does not ask: a
// suggestion is P4 (seed 004 D); a complaint is P2 when its customer's
// case is urgent (seed 001: 2 days) and P3 when normal (5 days).
func (n *NewTicket) Defaults() {
	if n.Severity != "" {
		return
	}
	switch n.Form {
	case FormSuggestion:
		n.Severity = P4
	case FormComplaint:
		n.Severity = P3
		if n.Extra["urgency"] == "urgent" {
			n.Severity = P2
		}
	}
}

// Validate checks the intake rules of DESIGN §2 and names every bad field.
// Every ticket needs a prefix, a summary and a severity, and what it gives
// must be well-formed; a feedback ticket (the default form) also needs the
// category, time, region and customer contact, and for P1/P2 the order,
// account and a screenshot; a complaint needs the order and the customer.
func (n *NewTicket) Validate(now time.Time) error {
	var fe fieldErrors
	if !prefixRE.MatchString(n.Prefix) {
		fe.add("prefix", Problem{Key: "prefix"}, "must be 1–8 capital letters")
	}
	if l := utf8.RuneCountInString(strings.TrimSpace(n.Summary)); l < 10 || l > 2000 {
		fe.add("summary", Problem{Key: "length", Args: map[string]any{"Min": 10, "Max": 2000, "Got": l}}, "must be 10–2000 characters, got %d", l)
	}
	for _, c := range n.CategoryPath {
		if strings.TrimSpace(c) == "" {
			fe.add("category", Problem{Key: "empty_category"}, "empty category name")
		}
	}
	if n.OccurredAt.After(now.Add(time.Minute)) {
		fe.add("occurred_at", Problem{Key: "future"}, "is in the future")
	}
	if !n.Severity.Valid() {
		fe.add("severity", Problem{Key: "severity"}, "must be one of P1, P2, P3, P4")
	}
	switch n.Form {
	case "", FormFeedback:
		if len(n.CategoryPath) == 0 {
			fe.add("category", Problem{Key: "required"}, "required")
		}
		if n.OccurredAt.IsZero() {
			fe.add("occurred_at", Problem{Key: "required"}, "required")
		}
		if strings.TrimSpace(n.Region) == "" {
			fe.add("region", Problem{Key: "required"}, "required")
		}
		if n.Severity.Important() {
			if n.OrderNumber == "" {
				fe.add("order_number", Problem{Key: "required_for", Args: map[string]any{"Severity": n.Severity}}, "required for %s", n.Severity)
			}
			if n.Account == "" {
				fe.add("account", Problem{Key: "required_for", Args: map[string]any{"Severity": n.Severity}}, "required for %s", n.Severity)
			}
			if len(n.Attachments) == 0 {
				fe.add("attachments", Problem{Key: "screenshot_for", Args: map[string]any{"Severity": n.Severity}}, "a screenshot is required for %s", n.Severity)
			}
		}
		requireContacts(&fe, n.Contacts)
	case FormComplaint:
		if n.OrderNumber == "" {
			fe.add("order_number", Problem{Key: "required_complaint"}, "required for a complaint")
		}
		// Seed 001: the customer, and what they ask for one by one.
		for _, f := range []string{"customer", "requests"} {
			if strings.TrimSpace(n.Extra[f]) == "" {
				fe.add("extra."+f, Problem{Key: "required_complaint"}, "required for a complaint")
			}
		}
		requireContacts(&fe, n.Contacts)
	}
	validateContacts(&fe, n.Contacts)
	if _, _, _, ok := ParseSource(n.Source); n.Source != "" && !ok {
		fe.add("source", Problem{Key: "source"}, "must be platform:chat:message")
	}
	return fe.err("ticket")
}

func requireContacts(fe *fieldErrors, c Contacts) {
	if c.Empty() {
		fe.add("contacts", Problem{Key: "one_contact"}, "at least one of phone, email, qq is required")
	}
}

// validateContacts checks the contacts that are given.
func validateContacts(fe *fieldErrors, c Contacts) {
	if c.Phone != "" && !phoneRE.MatchString(c.Phone) {
		fe.add("contacts.phone", Problem{Key: "phone"}, "must be a mainland mobile number (11 digits starting 13–19), a landline with its area code or a 400/800 number")
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || !strings.Contains(c.Email[strings.IndexByte(c.Email, '@'):], ".") {
			fe.add("contacts.email", Problem{Key: "email"}, "must be an e-mail address like name@example.com")
		}
	}
	if c.QQ != "" && !qqRE.MatchString(c.QQ) {
		fe.add("contacts.qq", Problem{Key: "qq"}, "must be 5–11 digits")
	}
}

// MaskMiddle keeps the first keep and last tail characters of s and replaces
// the rest with '*'; short values are masked entirely.
func MaskMiddle(s string, keep, tail int) string {
	r := []rune(s)
	if len(r) == 0 {
		return ""
	}
	if len(r) <= keep+tail {
		return strings.Repeat("*", len(r))
	}
	return string(r[:keep]) + strings.Repeat("*", len(r)-keep-tail) + string(r[len(r)-tail:])
}

func maskEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return MaskMiddle(s, 1, 0)
	}
	return MaskMiddle(s[:at], 1, 0) + s[at:]
}

// TicketFilter selects tickets for List. Zero fields do not filter.
type TicketFilter struct {
	ReporterID int64
	// ReporterAccount keeps the tickets of the person linked to this chat
	// account (Platform and UserID), none when nobody is; nil: no filter.
	ReporterAccount *ChatAccount
	AssigneeID      int64
	TeamID          int64
	Status          []Status
	Severity        []Severity
	CategoryPath    []string // prefix match on the path
	CreatedAfter    time.Time
	CreatedBefore   time.Time
	Query           string // number, summary, order number or contact (substring)
	// Form keeps the tickets of one intake form ("complaint"); "": any.
	Form string
	// PhoneDigits keeps the tickets whose contact phone, its dashes
	// removed, is one of these numbers (digits as PhoneDigits writes
	// them: a customer's Phones); empty: no filter.
	PhoneDigits []string

	// VisibleToTeam and VisibleToAssignee, when either is set, limit the
	// result to the tickets an assistant may open: of no team, of that
	// team, or assigned to that person. The service sets them for
	// assistants, so one without a team lists what they may open too.
	VisibleToTeam     int64
	VisibleToAssignee int64

	// ClockAlarm, when set, keeps tickets with a running SLA clock whose
	// warning time is at or before it, or that breached (the console's
	// "about to breach" queue).
	ClockAlarm time.Time
	// NoClocks keeps tickets that have no SLA clocks (SLA off, or not
	// planned yet).
	NoClocks bool

	After int64 // cursor: only tickets with ID < After (newest first)
	Limit int   // default 50, at most 200
}

// TicketPage is one page of a listing; NextCursor is 0 on the last page.
type TicketPage struct {
	Tickets    []*Ticket
	NextCursor int64
}

// Incident groups tickets about one cause (集中反馈, seed 000 Q6).
type Incident struct {
	ID        int64
	Title     string
	CreatedAt time.Time
	// ResolvedAt is when staff resolved it (zero: open, and suggested to
	// reporters whose problem looks like it).
	ResolvedAt time.Time
	// Reports is how many have reported it: its linked tickets and the
	// reporters who joined it from the dialog. Filled in by the store on
	// reads.
	Reports int
}

// SeesPersonalData reports whether p may see the ticket's customer contacts,
// account and personal form fields in full: the reporter who gave them, the assignee, managers
// and admins (DESIGN §10). Everyone else sees them masked.
func (t *Ticket) SeesPersonalData(p *Person) bool {
	return p != nil && (p.ID == t.ReporterID || p.ID == t.AssigneeID || p.SeesAll())
}

// RedactedFor returns t as p may see it: a copy with contacts, account and
// the personal fields of Extra (PersonalField) masked unless p may see
// personal data. A nil p sees everything masked (a group chat).
func (t *Ticket) RedactedFor(p *Person) *Ticket {
	if t.SeesPersonalData(p) {
		return t
	}
	c := *t
	c.Contacts = t.Contacts.Masked()
	c.Account = MaskMiddle(t.Account, 2, 2)
	if len(t.Extra) > 0 {
		c.Extra = make(map[string]string, len(t.Extra))
		for k, v := range t.Extra {
			if PersonalField(k) {
				v = MaskPersonal(v)
			}
			c.Extra[k] = v
		}
	}
	return &c
}

// Shapes of contacts inside free text, for ScrubPersonal: a CN mobile or
// landline not inside a longer run of digits, and an e-mail address.
var (
	textPhoneRE = regexp.MustCompile(`(^|[^0-9])(1[3-9][0-9]{9}|0(?:[12][0-9]|[3-9][0-9]{2})-?[0-9]{7,8})($|[^0-9])`)
	textEmailRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+`)
)

// ScrubPersonal masks the personal data in free text that leaves its
// ticket (a knowledge-base entry other reporters are shown, DESIGN §10):
// t's own contacts, account, order number (masked on cards like the
// account) and personal form fields wherever they appear (t may be nil),
// and anything shaped like a phone number or an e-mail address.
func ScrubPersonal(text string, t *Ticket) string {
	if t != nil {
		var olds []string
		for _, v := range []string{t.Contacts.Phone, t.Contacts.Email, t.Contacts.QQ, t.Account, t.OrderNumber} {
			olds = append(olds, v)
		}
		for k, v := range t.Extra {
			if PersonalField(k) {
				olds = append(olds, v)
			}
		}
		for _, v := range olds {
			if v = strings.TrimSpace(v); len([]rune(v)) >= 2 {
				text = strings.ReplaceAll(text, v, MaskPersonal(v))
			}
		}
	}
	text = textPhoneRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := textPhoneRE.FindStringSubmatch(m)
		return sub[1] + MaskMiddle(sub[2], 3, 4) + sub[3]
	})
	return textEmailRE.ReplaceAllStringFunc(text, maskEmail)
}

// PersonalField reports whether a form field kept in Ticket.Extra names or
// reaches the customer's person, so that it is personal data like contacts
// (DESIGN §10). A form author's convention (dialogs/README.md): customer,
// customer_*, or *_name, *_phone, *_email, *_contact.
func PersonalField(key string) bool {
	if key == "customer" || strings.HasPrefix(key, "customer_") {
		return true
	}
	for _, suffix := range []string{"_name", "_phone", "_email", "_contact"} {
		if strings.HasSuffix(key, suffix) {
			return true
		}
	}
	return false
}

// MaskPersonal masks the value of a personal field as contacts are masked,
// keeping a hint by its shape: a phone number as 138****8000, an e-mail
// as n***@example.com, a QQ number as 12*****89, and anything else (a
// name, a company) as its first character and "**" (李**), which does not
// tell its length either.
func MaskPersonal(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return ""
	case phoneRE.MatchString(v):
		return MaskMiddle(v, 3, 4)
	case qqRE.MatchString(v):
		return MaskMiddle(v, 2, 2)
	case strings.Contains(v, "@"):
		return maskEmail(v)
	}
	r, _ := utf8.DecodeRuneInString(v)
	return string(r) + "**"
}

// ParseSource splits a ticket's Source, "platform:chat:message", into its
// parts; ok is false for anything else. The backend reads only the
// platform and the chat (where the source's notices go); the message is
// the channel's to reply to.
func ParseSource(s string) (platform, chat, message string, ok bool) {
	platform, rest, ok1 := strings.Cut(s, ":")
	i := strings.LastIndexByte(rest, ':')
	if !ok1 || i < 0 || len(s) > 200 {
		return "", "", "", false
	}
	chat, message = rest[:i], rest[i+1:]
	if platform == "" || chat == "" || message == "" || strings.ContainsAny(platform, " \t\n") {
		return "", "", "", false
	}
	return platform, chat, message, true
}

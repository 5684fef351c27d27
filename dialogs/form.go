package dialogs

import (
	"regexp"
	"slices"
	"time"
)

// FieldType is the kind of answer a field takes.
type FieldType string

// Field types. Each has its own validator and its own YAML parameters.
const (
	TypeText        FieldType = "text"        // free text; min_length, max_length (in characters)
	TypeChoice      FieldType = "choice"      // one of options; free_text allows any other text
	TypeTree        FieldType = "tree"        // a root option, then a child; leaves may be "other" with free text
	TypeSeverity    FieldType = "severity"    // P1–P4, each shown with its examples
	TypeDateTime    FieldType = "datetime"    // a moment in the past, in the engine's zone; max_age
	TypeContact     FieldType = "contact"     // phone / e-mail / QQ, at least one of kinds
	TypeAttachments FieldType = "attachments" // files the channel receives; min_files, max_files, max_size, content_types
	TypeID          FieldType = "id"          // a reference, order number or account; pattern
)

var fieldTypes = []FieldType{TypeText, TypeChoice, TypeTree, TypeSeverity, TypeDateTime, TypeContact, TypeAttachments, TypeID}

// Slot names the well-known Draft field a form field fills. A field with no
// slot goes to Draft.Extra under its id.
type Slot string

// Slots, with the field types that may fill them.
const (
	SlotNone        Slot = ""
	SlotSummary     Slot = "summary"      // text
	SlotReferenceID Slot = "reference_id" // id, text
	SlotCategory    Slot = "category"     // tree, choice
	SlotAttachments Slot = "attachments"  // attachments
	SlotOccurredAt  Slot = "occurred_at"  // datetime
	SlotRegion      Slot = "region"       // choice, text
	SlotSeverity    Slot = "severity"     // severity
	SlotOrderNumber Slot = "order_number" // id, text
	SlotAccount     Slot = "account"      // id, text
	SlotContacts    Slot = "contacts"     // contact
)

var slotTypes = map[Slot][]FieldType{
	SlotSummary:     {TypeText},
	SlotReferenceID: {TypeID, TypeText},
	SlotCategory:    {TypeTree, TypeChoice},
	SlotAttachments: {TypeAttachments},
	SlotOccurredAt:  {TypeDateTime},
	SlotRegion:      {TypeChoice, TypeText},
	SlotSeverity:    {TypeSeverity},
	SlotOrderNumber: {TypeID, TypeText},
	SlotAccount:     {TypeID, TypeText},
	SlotContacts:    {TypeContact},
}

// Severity levels, highest first (DESIGN §4).
var severityLevels = []string{"P1", "P2", "P3", "P4"}

func isSeverityLevel(id string) bool { return slices.Contains(severityLevels, id) }

// ContactKind is one way to reach a customer.
type ContactKind string

// Contact kinds.
const (
	ContactPhone ContactKind = "phone"
	ContactEmail ContactKind = "email"
	ContactQQ    ContactKind = "qq"
)

var allContactKinds = []ContactKind{ContactPhone, ContactEmail, ContactQQ}

// Form is a loaded, checked intake form. It is immutable and shared by all
// sessions.
type Form struct {
	ID     string // form id, e.g. "feedback"
	Prefix string // ticket number prefix, e.g. "FB"
	// SuggestAfter is the id of the field after whose first answer the
	// engine asks the Suggester for knowledge-base answers and incidents.
	// Empty: never.
	SuggestAfter string
	// Fixed are slot values every draft of this form gets without asking,
	// e.g. severity P4 for suggestions.
	Fixed  map[Slot]string
	Fields []*Field
	File   string // where the form came from, for messages
}

// Field returns the field with id, or nil.
func (f *Form) Field(id string) *Field {
	for _, fd := range f.Fields {
		if fd.ID == id {
			return fd
		}
	}
	return nil
}

// Key returns the catalog key of one of the form's own texts ("title",
// "intro").
func (f *Form) Key(name string) string { return "form." + f.ID + "." + name }

// Field is one question of a form.
type Field struct {
	ID         string
	Type       FieldType
	Slot       Slot
	Required   bool
	RequiredIf *Condition // nil: Required decides alone

	MinLength, MaxLength int            // text
	Pattern              *regexp.Regexp // id
	Options              []*Option      // choice, tree, severity
	FreeText             bool           // choice: any other text is accepted too
	MinFiles, MaxFiles   int            // attachments
	MaxSize              int64          // attachments: bytes per file
	ContentTypes         []string       // attachments: "image/*", "application/pdf"; empty = any
	Kinds                []ContactKind  // contact
	MaxAge               time.Duration  // datetime: 0 = no limit
	OtherMaxLength       int            // tree: length limit of the "other" text
	Lookup               *Lookup        // contact: look the phone up in the customer directory; nil: no lookup

	Index int    // position in the form, from 0
	keys  string // catalog prefix: form.<form>.<field>
}

// Lookup is what a contact field's phone number fills in from the customer
// directory (DESIGN §2, seed 001: the CRM knows the caller by their
// number): the customer's name into one later text field, their latest
// orders offered as buttons by one later id field. Either may be "".
type Lookup struct {
	Name  string // a text field's id
	Order string // an id field's id
}

// Key returns the catalog key of one of the field's texts ("label",
// "prompt", "help", "example").
func (fd *Field) Key(name string) string { return fd.keys + "." + name }

// IsRequired reports whether the field must be answered given the answers
// so far.
func (fd *Field) IsRequired(answers map[string]*Answer) bool {
	if fd.Required {
		return true
	}
	if fd.RequiredIf == nil {
		return false
	}
	return fd.RequiredIf.Holds(answers)
}

// Option is one choice of a choice, tree or severity field.
type Option struct {
	ID       string
	Children []*Option // tree only
	Other    bool      // tree leaf: ask for free text after it is picked
	Path     string    // ids from the root joined with "/"
	Key      string    // catalog key of the label
}

// find returns the option at path (ids joined with "/") under opts.
func findOption(opts []*Option, path string) *Option {
	for _, o := range opts {
		if o.Path == path {
			return o
		}
		if len(o.Children) > 0 && len(path) > len(o.Path) && path[:len(o.Path)+1] == o.Path+"/" {
			return findOption(o.Children, path)
		}
	}
	return nil
}

// Condition is a rule like `severity in [P1, P2]` on an earlier choice or
// severity field.
type Condition struct {
	Field  string
	Values []string
	Negate bool   // "not in"
	Source string // as written in the form
}

// Holds reports whether the condition is true for answers. An unanswered
// or skipped field matches no value.
func (c *Condition) Holds(answers map[string]*Answer) bool {
	a := answers[c.Field]
	in := a != nil && !a.Skipped && a.Option != "" && slices.Contains(c.Values, a.Option)
	return in != c.Negate
}

package dialogs

import (
	"strings"
	"time"
)

// Draft is a finished (or, for a Suggester, partial) intake: what the
// backend files as a ticket. Well-known fields are typed so the backend
// can map any form without knowing it; the rest is in Extra.
type Draft struct {
	// ID is random per dialog and stable across retries of the same
	// submission: a Filer can use it to de-duplicate.
	ID     string
	Form   string // form id
	Prefix string // ticket number prefix: FB, SG, CP
	Locale string // the reporter's language, "zh-CN" or "en"

	Summary      string
	ReferenceID  string
	CategoryPath []string // option ids from the root, e.g. [crm, ordering]
	Attachments  []FileRef
	OccurredAt   time.Time // zero if not asked; the start of the day when OccurredDateOnly
	// OccurredDateOnly is set when the reporter named the day alone
	// ("前天", "昨天下午"), so that a midnight given as a time ("昨晚12点")
	// still reads as 00:00.
	OccurredDateOnly bool
	Region           string // an option id (north, east, …) or the reporter's own text
	Severity         string // "P1".."P4", or "" if the form does not ask
	OrderNumber      string
	Account          string
	Contacts         Contacts

	// Extra holds the fields that fill no slot, by field id: text as
	// typed, a choice as its option id, a tree's "other" text under
	// <field>_other, a date in RFC 3339.
	Extra map[string]string

	// Fields is the whole intake as the reporter saw it, in form order and
	// in their language, for the ticket's first event.
	Fields []DraftField

	StartedAt time.Time
	// Source is the group chat message reported, as the channel gave it
	// to StartFrom; "" for a dialog started otherwise.
	Source string `json:",omitempty"`
}

// DraftField is one field as shown on the summary.
type DraftField struct {
	ID, Label, Value string
}

// buildDraft turns the answers so far into a Draft.
func (e *Engine) buildDraft(f *Form, st *state) Draft {
	d := Draft{ID: st.DraftID, Form: f.ID, Prefix: f.Prefix, Locale: st.Locale, Extra: map[string]string{}, StartedAt: st.Started, Source: st.Source}
	for slot, v := range f.Fixed {
		setSlot(&d, slot, v)
	}
	for _, fd := range f.Fields {
		a := st.Answers[fd.ID]
		d.Fields = append(d.Fields, DraftField{ID: fd.ID, Label: e.cat.T(st.Locale, fd.Key("label"), nil), Value: renderValue(e, st.Locale, fd, answerOrEmpty(a))})
		if a.empty() {
			continue
		}
		switch fd.Type {
		case TypeTree:
			if fd.Slot == SlotCategory {
				d.CategoryPath = append([]string(nil), a.Path...)
			} else {
				d.Extra[fd.ID] = strings.Join(a.Path, "/")
			}
			if a.Other != "" {
				d.Extra[fd.ID+"_other"] = a.Other
			}
		case TypeDateTime:
			if fd.Slot == SlotOccurredAt {
				d.OccurredAt, d.OccurredDateOnly = a.Time.Time, a.Time.DateOnly
			} else {
				d.Extra[fd.ID] = a.Time.Time.Format(time.RFC3339)
			}
		case TypeContact:
			d.Contacts = *a.Contacts
		case TypeAttachments:
			d.Attachments = append(d.Attachments, a.Files...)
		case TypeChoice, TypeSeverity:
			v := a.Option
			if v == "" {
				v = a.Text
			}
			if fd.Slot == SlotCategory {
				d.CategoryPath = []string{v}
			} else if !setSlot(&d, fd.Slot, v) {
				d.Extra[fd.ID] = v
			}
		default:
			if !setSlot(&d, fd.Slot, a.Text) {
				d.Extra[fd.ID] = a.Text
			}
		}
		// The order the directory knows: its details go with the ticket
		// (<field>_detail), so its handler does not ask for them.
		if o := st.customerOrder(a.Text); o != nil && f.isOrderField(fd) {
			if detail := e.orderDetail(st.Locale, *o); detail != "" {
				d.Extra[fd.ID+"_detail"] = detail
			}
		}
	}
	return d
}

func answerOrEmpty(a *Answer) *Answer {
	if a == nil {
		return &Answer{Skipped: true}
	}
	return a
}

// setSlot fills a string slot; false for SlotNone.
func setSlot(d *Draft, slot Slot, v string) bool {
	switch slot {
	case SlotSummary:
		d.Summary = v
	case SlotReferenceID:
		d.ReferenceID = v
	case SlotRegion:
		d.Region = v
	case SlotSeverity:
		d.Severity = v
	case SlotOrderNumber:
		d.OrderNumber = v
	case SlotAccount:
		d.Account = v
	case SlotCategory:
		d.CategoryPath = []string{v}
	default:
		return false
	}
	return true
}

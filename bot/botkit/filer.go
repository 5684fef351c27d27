package botkit

import (
	"context"
	"strings"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Filer files a finished dialog's draft as a ticket for the person behind
// the session's chat account (a reporter is created on first contact). It
// implements dialogs.Filer.
type Filer struct {
	Service *backend.Service
	Files   *Files
	// Cat, when set, turns the option ids of the category tree and the
	// region into their zh-CN names, so tickets read the same whatever
	// language the reporter used ("CRM问题 / 提单系统", not "crm / ordering").
	Cat *catalog.Catalog
	// Names optionally gives a display name for a session's user.
	Names func(key dialogs.SessionKey) string
}

// FileTicket implements dialogs.Filer.
func (f *Filer) FileTicket(ctx context.Context, key dialogs.SessionKey, d dialogs.Draft) (string, error) {
	name := ""
	if f.Names != nil {
		name = f.Names(key)
	}
	p, err := f.Service.ReporterFor(ctx, AccountOf(key), name, d.Locale)
	if err != nil {
		return "", err
	}
	in, err := f.NewTicket(d, key.Platform)
	if err != nil {
		return "", err
	}
	t, err := f.Service.CreateTicket(ctx, p, in)
	if backend.ErrorCode(err) == backend.EINVALID {
		var slots []string
		for field := range backend.ErrorFields(err) {
			slot, sub, _ := strings.Cut(field, ".") // contacts.phone → contacts
			if slot == "extra" {
				slot = sub // extra.customer → the form's field "customer"
			}
			slots = append(slots, slot)
		}
		return "", &dialogs.RejectedError{Slots: slots, Err: err}
	}
	if err != nil {
		return "", err
	}
	return t.Number, nil
}

// AccountOf is the chat account a dialog session belongs to: the user, and
// the chat to reach them in.
func AccountOf(key dialogs.SessionKey) backend.ChatAccount {
	return backend.ChatAccount{Platform: key.Platform, UserID: key.UserID, ChatID: key.ChatID}
}

// NewTicket maps a draft onto the backend's input. Attachments must have
// been put into Files by the channel; their FileRef.ID is the content hash.
func (f *Filer) NewTicket(d dialogs.Draft, channel string) (backend.NewTicket, error) {
	in := backend.NewTicket{
		Prefix: d.Prefix, Form: d.Form, Summary: d.Summary, ReferenceID: d.ReferenceID,
		CategoryPath: d.CategoryPath, OccurredAt: d.OccurredAt, OccurredDateOnly: d.OccurredDateOnly, Region: d.Region,
		Severity: backend.Severity(strings.ToUpper(d.Severity)), OrderNumber: d.OrderNumber,
		Account: d.Account, Extra: d.Extra, Channel: channel, RequestID: d.ID, Source: d.Source,
		Contacts: backend.Contacts{Phone: d.Contacts.Phone, Email: d.Contacts.Email, QQ: d.Contacts.QQ},
	}
	if f.Cat != nil {
		in.CategoryPath = f.labels(d.Form, "category", d.CategoryPath)
		if r := f.labels(d.Form, "region", []string{d.Region}); len(r) == 1 {
			in.Region = r[0]
		}
	}
	for _, ref := range d.Attachments {
		a, err := f.Files.StatNamed(ref.ID, ref.Name)
		if err != nil {
			return in, err
		}
		in.Attachments = append(in.Attachments, a)
	}
	return in, nil
}

// labels maps a path of option ids of a form field to their zh-CN names;
// an id with no catalog entry (free text) is kept as it is.
func (f *Filer) labels(form, field string, path []string) []string {
	out := make([]string, 0, len(path))
	for i, id := range path {
		key := "form." + form + "." + field + ".opt." + strings.Join(path[:i+1], ".")
		if f.Cat.HasIn(catalog.ZhCN, key) {
			out = append(out, f.Cat.T(catalog.ZhCN, key, nil))
		} else {
			out = append(out, id)
		}
	}
	return out
}

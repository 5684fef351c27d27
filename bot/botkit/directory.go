package botkit

import (
	"context"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs"
)

// Directory looks a complaint's caller up in the backend's customer
// directory for the dialogs of every channel (dialogs.Directory; DESIGN
// §2, seed 001). The backend decides who may see a customer: staff and
// the customer's own account manager. Anyone else, and a chat account
// deskbot does not know yet, finds nobody, as for an unknown number.
type Directory struct {
	Service *backend.Service
}

// LookupCustomer implements dialogs.Directory.
func (d *Directory) LookupCustomer(ctx context.Context, key dialogs.SessionKey, phone string) (*dialogs.Customer, error) {
	p, err := d.Service.Store().PersonByAccount(ctx, key.Platform, key.UserID)
	if backend.ErrorCode(err) == backend.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	card, err := d.Service.LookupCustomer(ctx, p, phone)
	if backend.ErrorCode(err) == backend.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c := &dialogs.Customer{Name: card.Customer.Name}
	for _, o := range card.Orders {
		c.Orders = append(c.Orders, dialogs.CustomerOrder{Number: o.Number, Product: o.Product, Status: o.Status,
			OrderedAt: o.OrderedAt, ShippedAt: o.ShippedAt, WarrantyUntil: o.WarrantyUntil})
	}
	for _, t := range card.Complaints {
		c.Complaints = append(c.Complaints, dialogs.CustomerComplaint{Number: t.Number, Status: string(t.Status), Summary: t.Summary})
	}
	return c, nil
}

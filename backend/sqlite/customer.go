package sqlite

import (
	"context"
	"time"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

const (
	upsertCustomerSQL = `
INSERT INTO customers (code, name, owner_id, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, owner_id = excluded.owner_id, updated_at = excluded.updated_at
RETURNING id`
	deletePhonesSQL = `DELETE FROM customer_phones WHERE customer_id = ?`
	// A number another customer had moves to this one.
	insertPhoneSQL = `
INSERT INTO customer_phones (phone, customer_id, position) VALUES (?, ?, ?)
ON CONFLICT (phone) DO UPDATE SET customer_id = excluded.customer_id, position = excluded.position`
	customerByCodeSQL = `SELECT id FROM customers WHERE code = ?`
	upsertOrderSQL    = `
INSERT INTO customer_orders (number, customer_id, product, status, ordered_at, shipped_at, warranty_until)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (number) DO UPDATE SET customer_id = excluded.customer_id, product = excluded.product, status = excluded.status,
    ordered_at = excluded.ordered_at, shipped_at = excluded.shipped_at, warranty_until = excluded.warranty_until`
	customerByPhoneSQL = `
SELECT c.id, c.code, c.name, c.owner_id, c.updated_at
FROM customers c
WHERE c.id = (SELECT customer_id FROM customer_phones WHERE phone = ?)`
	customerPhonesSQL = `SELECT phone FROM customer_phones WHERE customer_id = ? ORDER BY position, phone`
	customerOrdersSQL = `
SELECT o.number, o.customer_id, c.code, o.product, o.status, o.ordered_at, o.shipped_at, o.warranty_until
FROM customer_orders o JOIN customers c ON c.id = o.customer_id
WHERE o.customer_id = ?
ORDER BY o.ordered_at DESC, o.number DESC
LIMIT ?`
)

// PutCustomers writes an import in one transaction (backend.CustomerStore).
func (s *Store) PutCustomers(ctx context.Context, cs []*backend.Customer, orders []*backend.Order) error {
	now := s.now()
	updated := make([]time.Time, len(cs))
	ids := make([]int64, len(cs))
	byCode := map[string]int{} // code → index in cs; the last one wins, as it is written last
	for i, c := range cs {
		updated[i] = orNow(c.UpdatedAt, now)
		byCode[c.Code] = i
	}
	customerOf := make([]int64, len(orders))

	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stored, err := storedCustomers(ctx, tx, orders, byCode)
	if err != nil {
		return err
	}
	for i, c := range cs {
		if err := putCustomer(ctx, tx, c, updated[i], &ids[i]); err != nil {
			return err
		}
	}
	for i, o := range orders {
		if j, ok := byCode[o.CustomerCode]; ok {
			customerOf[i] = ids[j]
		} else {
			customerOf[i] = stored[o.CustomerCode]
		}
		_, err := tx.ExecContext(ctx, upsertOrderSQL, o.Number, customerOf[i], o.Product, o.Status, micros(norm(o.OrderedAt)),
			micros(norm(o.ShippedAt)), micros(norm(o.WarrantyUntil)))
		if err != nil {
			return dbError(err, "order %s", o.Number)
		}
	}
	if err := commit(tx); err != nil {
		return err
	}
	for i, c := range cs {
		c.ID, c.UpdatedAt = ids[i], updated[i]
	}
	for i, o := range orders {
		o.CustomerID = customerOf[i]
	}
	return nil
}

// putCustomer inserts or updates c, matched on its code, sets *id, and
// replaces its phones.
func putCustomer(ctx context.Context, tx *dbTx, c *backend.Customer, updated time.Time, id *int64) error {
	err := tx.QueryRowContext(ctx, upsertCustomerSQL, c.Code, c.Name, nullID(c.OwnerID), micros(updated)).Scan(id)
	if err != nil {
		return dbError(err, "customer %s", c.Code)
	}
	if _, err := tx.ExecContext(ctx, deletePhonesSQL, *id); err != nil {
		return dbError(err, "phones of customer %s", c.Code)
	}
	for n, p := range storekit.UniquePhones(c.Phones) {
		if _, err := tx.ExecContext(ctx, insertPhoneSQL, p, *id, n+1); err != nil {
			return dbError(err, "phones of customer %s", c.Code)
		}
	}
	return nil
}

// storedCustomers returns the IDs of the customers the orders name that
// are not listed in byCode; EINVALID naming every order whose customer is
// unknown.
func storedCustomers(ctx context.Context, tx *dbTx, orders []*backend.Order, byCode map[string]int) (map[string]int64, error) {
	stored := map[string]int64{}
	missing := map[string]bool{}
	for _, o := range orders {
		code := o.CustomerCode
		if _, ok := byCode[code]; ok || missing[code] {
			continue
		}
		if _, ok := stored[code]; ok {
			continue
		}
		var id int64
		err := tx.QueryRowContext(ctx, customerByCodeSQL, code).Scan(&id)
		switch backend.ErrorCode(dbError(err, "customer %s", code)) {
		case "":
			stored[code] = id
		case backend.ENOTFOUND:
			missing[code] = true
		default:
			return nil, dbError(err, "customer %s", code)
		}
	}
	return stored, storekit.UnknownCustomers(orders, func(code string) bool { return !missing[code] })
}

// CustomerByPhone finds the customer with a number, with its phones.
func (s *Store) CustomerByPhone(ctx context.Context, digits string) (*backend.Customer, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c := &backend.Customer{}
	err = tx.QueryRowContext(ctx, customerByPhoneSQL, digits).Scan(&c.ID, &c.Code, &c.Name, idCol{&c.OwnerID}, timeCol{&c.UpdatedAt})
	if err != nil {
		return nil, dbError(err, "customer with phone %s", backend.MaskMiddle(digits, 3, 4))
	}
	rows, err := tx.QueryContext(ctx, customerPhonesSQL, c.ID)
	if err != nil {
		return nil, dbError(err, "phones of customer %s", c.Code)
	}
	c.Phones, err = collect(rows, func(row scanner) (string, error) {
		var p string
		return p, row.Scan(&p)
	})
	if err != nil {
		return nil, dbError(err, "phones of customer %s", c.Code)
	}
	return c, nil
}

// CustomerOrders lists a customer's orders, newest first.
func (s *Store) CustomerOrders(ctx context.Context, customerID int64, limit int) ([]*backend.Order, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, customerOrdersSQL, customerID, storekit.PageLimit(limit))
	if err != nil {
		return nil, dbError(err, "orders of customer %d", customerID)
	}
	orders, err := collect(rows, func(row scanner) (*backend.Order, error) {
		o := &backend.Order{}
		return o, row.Scan(&o.Number, &o.CustomerID, &o.CustomerCode, &o.Product, &o.Status, timeCol{&o.OrderedAt},
			timeCol{&o.ShippedAt}, timeCol{&o.WarrantyUntil})
	})
	if err != nil {
		return nil, dbError(err, "orders of customer %d", customerID)
	}
	if orders == nil {
		orders = []*backend.Order{}
	}
	return orders, nil
}

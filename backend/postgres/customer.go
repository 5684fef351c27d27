package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/backend/internal/storekit"
)

const (
	upsertCustomerSQL = `
INSERT INTO customers (code, name, owner_id, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, owner_id = EXCLUDED.owner_id, updated_at = EXCLUDED.updated_at
RETURNING id`
	deletePhonesSQL = `DELETE FROM customer_phones WHERE customer_id = $1`
	// A number another customer had moves to this one.
	insertPhonesSQL = `
INSERT INTO customer_phones (phone, customer_id, position)
SELECT x.phone, $1, x.n FROM unnest($2::text[]) WITH ORDINALITY AS x (phone, n)
ON CONFLICT (phone) DO UPDATE SET customer_id = EXCLUDED.customer_id, position = EXCLUDED.position`
	customerCodesSQL = `SELECT code, id FROM customers WHERE code = ANY($1::text[])`
	upsertOrderSQL   = `
INSERT INTO customer_orders (number, customer_id, product, status, ordered_at, shipped_at, warranty_until)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (number) DO UPDATE SET customer_id = EXCLUDED.customer_id, product = EXCLUDED.product, status = EXCLUDED.status,
    ordered_at = EXCLUDED.ordered_at, shipped_at = EXCLUDED.shipped_at, warranty_until = EXCLUDED.warranty_until`
	customerByPhoneSQL = `
SELECT c.id, c.code, c.name, c.owner_id, c.updated_at,
    ARRAY(SELECT p.phone FROM customer_phones p WHERE p.customer_id = c.id ORDER BY p.position, p.phone)
FROM customers c
WHERE c.id = (SELECT customer_id FROM customer_phones WHERE phone = $1)`
	// Numbers in byte order, as SQLite compares them.
	customerOrdersSQL = `
SELECT o.number, o.customer_id, c.code, o.product, o.status, o.ordered_at, o.shipped_at, o.warranty_until
FROM customer_orders o JOIN customers c ON c.id = o.customer_id
WHERE o.customer_id = $1
ORDER BY o.ordered_at DESC, o.number COLLATE "C" DESC
LIMIT $2`
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

	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	stored, err := storedCustomers(ctx, tx, orders, byCode)
	if err != nil {
		return err
	}

	b := &pgx.Batch{}
	for i, c := range cs {
		b.Queue(upsertCustomerSQL, c.Code, c.Name, nullID(c.OwnerID), updated[i]).QueryRow(func(row pgx.Row) error {
			return dbError(row.Scan(&ids[i]), "customer %s", c.Code)
		})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return dbError(err, "customers")
	}
	b = &pgx.Batch{}
	for i, c := range cs {
		b.Queue(deletePhonesSQL, ids[i])
		b.Queue(insertPhonesSQL, ids[i], storekit.UniquePhones(c.Phones))
	}
	customerOf := make([]int64, len(orders))
	for i, o := range orders {
		if j, ok := byCode[o.CustomerCode]; ok {
			customerOf[i] = ids[j]
		} else {
			customerOf[i] = stored[o.CustomerCode]
		}
		b.Queue(upsertOrderSQL, o.Number, customerOf[i], o.Product, o.Status, norm(o.OrderedAt), nullTime(norm(o.ShippedAt)),
			nullTime(norm(o.WarrantyUntil)))
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return dbError(err, "customers' phones and orders")
	}
	if err := commit(ctx, tx); err != nil {
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

// storedCustomers returns the IDs of the customers the orders name that
// are not among cs; EINVALID naming every order whose customer is
// unknown.
func storedCustomers(ctx context.Context, q querier, orders []*backend.Order, byCode map[string]int) (map[string]int64, error) {
	var codes []string
	for _, o := range orders {
		if _, ok := byCode[o.CustomerCode]; !ok {
			codes = append(codes, o.CustomerCode)
		}
	}
	stored := map[string]int64{}
	if len(codes) == 0 {
		return stored, nil
	}
	rows, err := q.Query(ctx, customerCodesSQL, codes)
	if err != nil {
		return nil, dbError(err, "customers")
	}
	var code string
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&code, &id}, func() error { stored[code] = id; return nil }); err != nil {
		return nil, dbError(err, "customers")
	}
	return stored, storekit.UnknownCustomers(orders, func(code string) bool {
		_, listed := byCode[code]
		_, ok := stored[code]
		return listed || ok
	})
}

// CustomerByPhone finds the customer with a number, with its phones.
func (s *Store) CustomerByPhone(ctx context.Context, digits string) (*backend.Customer, error) {
	c := &backend.Customer{}
	err := s.pool.QueryRow(ctx, customerByPhoneSQL, digits).Scan(&c.ID, &c.Code, &c.Name, idCol{&c.OwnerID}, timeCol{&c.UpdatedAt}, &c.Phones)
	if err != nil {
		return nil, dbError(err, "customer with phone %s", backend.MaskMiddle(digits, 3, 4))
	}
	return c, nil
}

// CustomerOrders lists a customer's orders, newest first.
func (s *Store) CustomerOrders(ctx context.Context, customerID int64, limit int) ([]*backend.Order, error) {
	rows, err := s.pool.Query(ctx, customerOrdersSQL, customerID, storekit.PageLimit(limit))
	if err != nil {
		return nil, dbError(err, "orders of customer %d", customerID)
	}
	orders, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.Order, error) {
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

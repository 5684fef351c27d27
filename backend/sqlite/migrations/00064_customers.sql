-- The customer directory (DESIGN §2, seed 001): customers imported from
-- the CRM (matched on their code), their phone numbers as digits (a
-- number belongs to one customer; the lookup's key) and their sales
-- orders. The complaint dialog looks a caller up by number and lists
-- their complaints by the tickets' contact phone, dashes removed
-- (tickets_phone_digits). Times are unix microseconds.

-- +goose Up
CREATE TABLE customers (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    owner_id   INTEGER REFERENCES people (id),
    updated_at INTEGER NOT NULL
);

CREATE TABLE customer_phones (
    phone       TEXT PRIMARY KEY, -- digits only (backend.PhoneDigits)
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL  -- the order the CRM listed them in
);
CREATE INDEX customer_phones_customer ON customer_phones (customer_id);

CREATE TABLE customer_orders (
    number         TEXT PRIMARY KEY,
    customer_id    INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    product        TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT '',
    ordered_at     INTEGER NOT NULL,
    shipped_at     INTEGER,
    warranty_until INTEGER
);
CREATE INDEX customer_orders_customer ON customer_orders (customer_id, ordered_at DESC);

CREATE INDEX tickets_phone_digits ON tickets (replace(phone, '-', '')) WHERE phone <> '';

-- +goose Down
DROP INDEX tickets_phone_digits;
DROP TABLE customer_orders;
DROP TABLE customer_phones;
DROP TABLE customers;

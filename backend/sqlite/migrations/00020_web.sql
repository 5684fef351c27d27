-- The web console: password logins, one-time sign-in links, and named
-- server secrets (the key that signs web session cookies).

-- +goose Up
CREATE TABLE logins (
    person_id  INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    name       TEXT NOT NULL UNIQUE,
    hash       BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE magic_links (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    hash       BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE magic_links;
DROP TABLE logins;

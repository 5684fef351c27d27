-- A person an admin deactivated (Person.DeactivatedAt, deskbot user
-- deactivate) holds no role until reactivated; an API token revoked
-- (APIToken.RevokedAt, deskbot token revoke) no longer authenticates.
-- NULL: active, valid.

-- +goose Up
ALTER TABLE people ADD COLUMN deactivated_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN revoked_at INTEGER;

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN revoked_at;
ALTER TABLE people DROP COLUMN deactivated_at;

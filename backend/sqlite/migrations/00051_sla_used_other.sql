-- A clock's time used in the other unit (business hours for a calendar
-- clock, calendar time for a business one), so a severity change that
-- changes the unit counts the time already used in the new one. -1:
-- unknown (clocks saved before this migration).

-- +goose Up
ALTER TABLE sla_clocks ADD COLUMN used_other INTEGER NOT NULL DEFAULT -1;

-- +goose Down
ALTER TABLE sla_clocks DROP COLUMN used_other;

-- When the assignee confirmed they take the ticket (seed 002 确认接收);
-- NULL while nobody holds it or the person it was dispatched to has not
-- confirmed it. Tickets held before this migration were claimed under
-- the old rule, where holding a ticket was confirming it: they count as
-- accepted at their last change, except reopened ones, which the
-- assignee confirms again as under the new rule.

-- +goose Up
ALTER TABLE tickets ADD COLUMN accepted_at timestamptz;
UPDATE tickets SET accepted_at = updated_at WHERE assignee_id IS NOT NULL AND status <> 'reopened';

-- +goose Down
ALTER TABLE tickets DROP COLUMN accepted_at;

-- Whether the reporter named the day alone ("前天", "昨天下午"): occurred_at
-- is then the start of that day, not a moment at midnight ("昨晚12点").
-- Cards used to show every midnight in China time as a day alone, so the
-- tickets already filed keep that reading (TZ_NAME's default zone,
-- UTC+8 all year: occurred_at is in microseconds since 1970 UTC).

-- +goose Up
ALTER TABLE tickets ADD COLUMN occurred_date_only INTEGER NOT NULL DEFAULT 0;
UPDATE tickets SET occurred_date_only = 1
WHERE occurred_at IS NOT NULL AND (occurred_at + 28800000000) % 86400000000 = 0;

-- +goose Down
ALTER TABLE tickets DROP COLUMN occurred_date_only;

-- Whether the reporter named the day alone ("前天", "昨天下午"): occurred_at
-- is then the start of that day, not a moment at midnight ("昨晚12点").
-- Cards used to show every midnight in China time as a day alone, so the
-- tickets already filed keep that reading (TZ_NAME's default zone).

-- +goose Up
ALTER TABLE tickets ADD COLUMN occurred_date_only boolean NOT NULL DEFAULT false;
UPDATE tickets SET occurred_date_only = true
WHERE (occurred_at AT TIME ZONE 'Asia/Shanghai')::time = '00:00';

-- +goose Down
ALTER TABLE tickets DROP COLUMN occurred_date_only;

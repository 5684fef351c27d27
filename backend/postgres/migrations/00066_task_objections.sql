-- Objections to a complaint's tasks (seed 001: "這些任務明細就會發給具體的人員。
-- 若他們沒有反對意見的話,就會按這個方案執行"): the owner of a task may object
-- to it as planned, with a reason; the objection stands until the task is
-- changed (another owner or deadline) or done.

-- +goose Up
ALTER TABLE complaint_tasks ADD COLUMN objection text NOT NULL DEFAULT '';
ALTER TABLE complaint_tasks ADD COLUMN objected_at timestamptz;

-- +goose Down
ALTER TABLE complaint_tasks DROP COLUMN objected_at;
ALTER TABLE complaint_tasks DROP COLUMN objection;

-- Cross-department consultations (DESIGN §3, seed 002 跨部门协作: "主责部门
-- 需牵头协调, 协同部门需在24小时内反馈处理意见"): the team handling a ticket asks
-- another team for its opinion. A consultation is a task of the ticket
-- (kind 'consult') owned by someone of that team (team_id), due within a
-- day; its result is the opinion. Tasks so far were a complaint's.

-- +goose Up
ALTER TABLE complaint_tasks ADD COLUMN kind text NOT NULL DEFAULT 'complaint';
ALTER TABLE complaint_tasks ADD COLUMN team_id bigint REFERENCES teams (id) ON DELETE SET NULL;
CREATE INDEX complaint_tasks_team ON complaint_tasks (team_id) WHERE done_at IS NULL AND team_id IS NOT NULL;

-- +goose Down
DROP INDEX complaint_tasks_team;
ALTER TABLE complaint_tasks DROP COLUMN team_id;
ALTER TABLE complaint_tasks DROP COLUMN kind;

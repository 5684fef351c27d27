-- A triage chat per team (DESIGN §11): a team may have its own chat on
-- each platform (a Telegram group, a Slack channel). The cards of the
-- tickets routed to the team go there instead of the platform's triage
-- chat (TELEGRAM_TRIAGE_CHAT, SLACK_TRIAGE_CHANNEL), and so does what
-- the triage chat hears about them. Set with deskbot team set-chat.
--
-- An outbox row for the triage audience names the chat it goes to when
-- it is a team's (chat); '' is the platform's triage chat, as before.

-- +goose Up
CREATE TABLE team_chats (
    team_id  bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    platform text NOT NULL,
    chat_id  text NOT NULL,
    PRIMARY KEY (team_id, platform)
);
CREATE INDEX team_chats_chat ON team_chats (platform, chat_id);

ALTER TABLE outbox ADD COLUMN chat text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE outbox DROP COLUMN chat;
DROP TABLE team_chats;

package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskbot/deskbot/backend"
)

// createPersonSQL stores a person and its accounts in one statement (one
// round trip, atomic on its own). $6–$8 are the accounts' platforms, user
// ids and chat ids, in order.
const createPersonSQL = `
WITH p AS (
	INSERT INTO people (name, roles, team_id, locale, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id
), a AS (
	INSERT INTO chat_accounts (person_id, platform, user_id, chat_id)
	SELECT p.id, x.platform, x.user_id, x.chat_id
	FROM p, unnest($6::text[], $7::text[], $8::text[]) WITH ORDINALITY AS x(platform, user_id, chat_id, n)
	ORDER BY x.n
)
SELECT id FROM p`

// CreatePerson stores p with its accounts and sets p.ID and p.CreatedAt.
func (s *Store) CreatePerson(ctx context.Context, p *backend.Person) error {
	created := orNow(p.CreatedAt, s.now())
	var platforms, users, chats []string
	for _, a := range p.Accounts {
		platforms, users, chats = append(platforms, a.Platform), append(users, a.UserID), append(chats, a.ChatID)
	}
	var id int64
	err := s.pool.QueryRow(ctx, createPersonSQL, p.Name, roleNames(p.Roles), nullID(p.TeamID), p.Locale, created,
		platforms, users, chats).Scan(&id)
	if err != nil {
		return dbError(err, "person %q", p.Name)
	}
	p.ID, p.CreatedAt = id, created
	return nil
}

// Person returns a person with its accounts.
func (s *Store) Person(ctx context.Context, id int64) (*backend.Person, error) {
	return findPerson(ctx, s.pool, id)
}

// PersonByAccount finds the person linked to a chat account.
func (s *Store) PersonByAccount(ctx context.Context, platform, userID string) (*backend.Person, error) {
	p, err := scanPersonWithAccounts(s.pool.QueryRow(ctx, personWithAccountsSQL+` WHERE id = (`+accountOwnerSQL+`)`, platform, userID))
	return p, dbError(err, "%s account %s", platform, userID)
}

// personWithAccountsSQL reads a person with its accounts in one statement.
const personWithAccountsSQL = `
SELECT id, name, roles, team_id, locale, created_at, deactivated_at,
	ARRAY(SELECT platform FROM chat_accounts a WHERE a.person_id = people.id ORDER BY a.id),
	ARRAY(SELECT user_id FROM chat_accounts a WHERE a.person_id = people.id ORDER BY a.id),
	ARRAY(SELECT chat_id FROM chat_accounts a WHERE a.person_id = people.id ORDER BY a.id)
FROM people`

func scanPersonWithAccounts(row pgx.Row) (*backend.Person, error) {
	p := &backend.Person{}
	var roles, platforms, users, chats []string
	if err := row.Scan(&p.ID, &p.Name, &roles, idCol{&p.TeamID}, &p.Locale, timeCol{&p.CreatedAt}, timeCol{&p.DeactivatedAt}, &platforms, &users, &chats); err != nil {
		return nil, err
	}
	for _, r := range roles {
		p.Roles = append(p.Roles, backend.Role(r))
	}
	for i := range platforms {
		p.Accounts = append(p.Accounts, backend.ChatAccount{Platform: platforms[i], UserID: users[i], ChatID: chats[i]})
	}
	return p, nil
}

// UpdatePerson saves name, roles, team and locale.
func (s *Store) UpdatePerson(ctx context.Context, p *backend.Person) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	if err := updatePerson(ctx, tx, p); err != nil {
		return err
	}
	return commit(ctx, tx)
}

// LinkAccount links a chat account to a person, or updates its ChatID if it
// is linked to that person already.
func (s *Store) LinkAccount(ctx context.Context, personID int64, a backend.ChatAccount) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	if _, err := findPerson(ctx, tx, personID); err != nil {
		return err
	}
	if err := linkAccount(ctx, tx, personID, a); err != nil {
		return err
	}
	return commit(ctx, tx)
}

// PeopleWithRole lists the active people having role r, of team teamID
// unless it is 0, in the order they were created.
func (s *Store) PeopleWithRole(ctx context.Context, r backend.Role, teamID int64) ([]*backend.Person, error) {
	return findPeopleWithRole(ctx, s.pool, r, teamID)
}

// SetDeactivated deactivates a person as of at, or reactivates them (at
// zero).
func (s *Store) SetDeactivated(ctx context.Context, personID int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE people SET deactivated_at = $1 WHERE id = $2`, nullTime(at), personID)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return dbError(err, "person %d", personID)
}

// DeactivatedPeople lists the deactivated people in the order they were
// created.
func (s *Store) DeactivatedPeople(ctx context.Context) ([]*backend.Person, error) {
	return collectPeople(s.pool.Query(ctx, personWithAccountsSQL+` WHERE deactivated_at IS NOT NULL ORDER BY id`))
}

const updatePersonSQL = `UPDATE people SET name = $1, roles = $2, team_id = $3, locale = $4 WHERE id = $5`

func updatePerson(ctx context.Context, tx pgx.Tx, p *backend.Person) error {
	tag, err := tx.Exec(ctx, updatePersonSQL, p.Name, roleNames(p.Roles), nullID(p.TeamID), p.Locale, p.ID)
	if err != nil {
		return dbError(err, "person %d", p.ID)
	}
	if tag.RowsAffected() == 0 {
		return dbError(pgx.ErrNoRows, "person %d", p.ID)
	}
	return nil
}

// roleNames is the column value of roles: never NULL.
func roleNames(roles []backend.Role) []string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return names
}

func findPerson(ctx context.Context, q querier, id int64) (*backend.Person, error) {
	p, err := scanPersonWithAccounts(q.QueryRow(ctx, personWithAccountsSQL+` WHERE id = $1`, id))
	return p, dbError(err, "person %d", id)
}

const peopleWithRoleSQL = personWithAccountsSQL + `
WHERE roles @> ARRAY[$1::text] AND ($2::bigint = 0 OR team_id = $2) AND deactivated_at IS NULL
ORDER BY id`

func findPeopleWithRole(ctx context.Context, q querier, r backend.Role, teamID int64) ([]*backend.Person, error) {
	people, err := collectPeople(q.Query(ctx, peopleWithRoleSQL, string(r), teamID))
	return people, dbError(err, "people with role %s", r)
}

func collectPeople(rows pgx.Rows, err error) ([]*backend.Person, error) {
	if err != nil {
		return nil, dbError(err, "people")
	}
	people, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.Person, error) { return scanPersonWithAccounts(row) })
	return people, dbError(err, "people")
}

const accountOwnerSQL = `SELECT person_id FROM chat_accounts WHERE platform = $1 AND user_id = $2`

// linkAccountSQL inserts the link, or updates the chat of a link to the same
// person; it returns no row when the account belongs to someone else.
const linkAccountSQL = `
INSERT INTO chat_accounts (person_id, platform, user_id, chat_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (platform, user_id) DO UPDATE SET chat_id = EXCLUDED.chat_id
WHERE chat_accounts.person_id = EXCLUDED.person_id
RETURNING id`

func linkAccount(ctx context.Context, tx pgx.Tx, personID int64, a backend.ChatAccount) error {
	var id int64
	err := tx.QueryRow(ctx, linkAccountSQL, personID, a.Platform, a.UserID, a.ChatID).Scan(&id)
	if err == pgx.ErrNoRows {
		return backend.Errorf(backend.ECONFLICT, "%s account %s is linked to someone else", a.Platform, a.UserID)
	}
	return dbError(err, "%s account %s", a.Platform, a.UserID)
}

// CreateTeam stores t and sets t.ID.
func (s *Store) CreateTeam(ctx context.Context, t *backend.Team) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO teams (name, lead_id) VALUES ($1, $2) RETURNING id`, t.Name, nullID(t.LeadID)).Scan(&id)
	if err != nil {
		return dbError(err, "team %q", t.Name)
	}
	for _, p := range slices.Sorted(maps.Keys(t.Chats)) {
		if err := setTeamChat(ctx, tx, id, p, t.Chats[p]); err != nil {
			return err
		}
	}
	if err := commit(ctx, tx); err != nil {
		return err
	}
	t.ID = id
	return nil
}

// teamSQL reads teams with their own chats (a JSON object, platform →
// chat id; NULL when there are none) in one statement.
const teamSQL = `
SELECT id, name, lead_id,
	(SELECT json_object_agg(c.platform, c.chat_id ORDER BY c.platform) FROM team_chats c WHERE c.team_id = teams.id)::text
FROM teams`

func scanTeam(row pgx.Row) (*backend.Team, error) {
	t := &backend.Team{}
	var chats *string
	if err := row.Scan(&t.ID, &t.Name, idCol{&t.LeadID}, &chats); err != nil {
		return nil, err
	}
	if chats != nil {
		if err := json.Unmarshal([]byte(*chats), &t.Chats); err != nil {
			return nil, fmt.Errorf("chats of team %d: %w", t.ID, err)
		}
		if len(t.Chats) == 0 {
			t.Chats = nil
		}
	}
	return t, nil
}

// Team returns a team.
func (s *Store) Team(ctx context.Context, id int64) (*backend.Team, error) {
	t, err := scanTeam(s.pool.QueryRow(ctx, teamSQL+` WHERE id = $1`, id))
	if err != nil {
		return nil, dbError(err, "team %d", id)
	}
	return t, nil
}

// Teams lists every team by name (byte order, whatever the collation).
func (s *Store) Teams(ctx context.Context) ([]*backend.Team, error) {
	return s.teams(ctx, teamSQL+` ORDER BY name COLLATE "C", id`)
}

const teamsByChatSQL = teamSQL + `
WHERE id IN (SELECT team_id FROM team_chats WHERE platform = $1 AND chat_id = $2)
ORDER BY name COLLATE "C", id`

// TeamsByChat lists the teams whose own chat on platform is chatID.
func (s *Store) TeamsByChat(ctx context.Context, platform, chatID string) ([]*backend.Team, error) {
	return s.teams(ctx, teamsByChatSQL, platform, chatID)
}

func (s *Store) teams(ctx context.Context, query string, args ...any) ([]*backend.Team, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, dbError(err, "teams")
	}
	teams, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.Team, error) { return scanTeam(row) })
	if err != nil {
		return nil, dbError(err, "teams")
	}
	if teams == nil {
		teams = []*backend.Team{}
	}
	return teams, nil
}

const setTeamLeadSQL = `UPDATE teams SET lead_id = $1 WHERE id = $2`

// SetTeamLead makes person leadID the lead of team teamID (0: no lead).
func (s *Store) SetTeamLead(ctx context.Context, teamID, leadID int64) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	if err := setTeamLead(ctx, tx, teamID, leadID); err != nil {
		return err
	}
	return commit(ctx, tx)
}

func setTeamLead(ctx context.Context, tx pgx.Tx, teamID, leadID int64) error {
	tag, err := tx.Exec(ctx, setTeamLeadSQL, nullID(leadID), teamID)
	if err != nil {
		return dbError(err, "lead of team %d", teamID)
	}
	if tag.RowsAffected() == 0 {
		return dbError(pgx.ErrNoRows, "team %d", teamID)
	}
	return nil
}

const (
	setTeamChatSQL = `
INSERT INTO team_chats (team_id, platform, chat_id) VALUES ($1, $2, $3)
ON CONFLICT (team_id, platform) DO UPDATE SET chat_id = excluded.chat_id`
	clearTeamChatSQL = `DELETE FROM team_chats WHERE team_id = $1 AND platform = $2`
)

// SetTeamChat makes chatID the team's own chat on platform ("" clears it).
func (s *Store) SetTeamChat(ctx context.Context, teamID int64, platform, chatID string) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	var one int
	if err := tx.QueryRow(ctx, `SELECT 1 FROM teams WHERE id = $1 FOR UPDATE`, teamID).Scan(&one); err != nil {
		return dbError(err, "team %d", teamID)
	}
	if err := setTeamChat(ctx, tx, teamID, platform, chatID); err != nil {
		return err
	}
	return commit(ctx, tx)
}

func setTeamChat(ctx context.Context, tx pgx.Tx, teamID int64, platform, chatID string) error {
	if platform == "" {
		return backend.Errorf(backend.EINVALID, "a chat of team %d names no platform", teamID)
	}
	var err error
	if chatID == "" {
		_, err = tx.Exec(ctx, clearTeamChatSQL, teamID, platform)
	} else {
		_, err = tx.Exec(ctx, setTeamChatSQL, teamID, platform, chatID)
	}
	return dbError(err, "%s chat of team %d", platform, teamID)
}

// CreateAPIToken stores a token hash for a person and sets tok.ID.
func (s *Store) CreateAPIToken(ctx context.Context, tok *backend.APIToken) error {
	created := orNow(tok.CreatedAt, s.now())
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer rollback(ctx, tx)
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO api_tokens (name, person_id, hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		tok.Name, tok.PersonID, tok.Hash, created).Scan(&id)
	if err != nil {
		return dbError(err, "API token %q", tok.Name)
	}
	if err := commit(ctx, tx); err != nil {
		return err
	}
	tok.ID, tok.CreatedAt = id, created
	return nil
}

const tokenSQL = `SELECT id, name, person_id, hash, created_at, revoked_at FROM api_tokens`

func scanToken(row pgx.Row) (*backend.APIToken, error) {
	tok := &backend.APIToken{}
	err := row.Scan(&tok.ID, &tok.Name, &tok.PersonID, &tok.Hash, timeCol{&tok.CreatedAt}, timeCol{&tok.RevokedAt})
	return tok, err
}

// APITokenByHash finds a token by the hash of its secret.
func (s *Store) APITokenByHash(ctx context.Context, hash []byte) (*backend.APIToken, error) {
	tok, err := scanToken(s.pool.QueryRow(ctx, tokenSQL+` WHERE hash = $1`, hash))
	if err != nil {
		return nil, dbError(err, "API token")
	}
	return tok, nil
}

// APITokens lists every token, oldest first.
func (s *Store) APITokens(ctx context.Context) ([]*backend.APIToken, error) {
	rows, err := s.pool.Query(ctx, tokenSQL+` ORDER BY id`)
	if err != nil {
		return nil, dbError(err, "API tokens")
	}
	toks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*backend.APIToken, error) { return scanToken(row) })
	return toks, dbError(err, "API tokens")
}

// RevokeAPIToken marks a token revoked, once.
func (s *Store) RevokeAPIToken(ctx context.Context, id int64, at time.Time) error {
	var found bool
	err := s.pool.QueryRow(ctx, `
WITH r AS (UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id)
SELECT EXISTS (SELECT 1 FROM api_tokens WHERE id = $1)`, id, at).Scan(&found)
	if err == nil && !found {
		err = pgx.ErrNoRows
	}
	return dbError(err, "API token %d", id)
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/deskbot/deskbot/backend"
)

// CreatePerson stores p with its accounts and sets p.ID and p.CreatedAt.
func (s *Store) CreatePerson(ctx context.Context, p *backend.Person) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	created := orNow(p.CreatedAt, s.now())
	id, err := insertPerson(ctx, tx, p, created)
	if err != nil {
		return err
	}
	for _, a := range p.Accounts {
		if err := insertAccount(ctx, tx, id, a); err != nil {
			return err
		}
	}
	if err := commit(tx); err != nil {
		return err
	}
	p.ID, p.CreatedAt = id, created
	return nil
}

// Person returns a person with its accounts.
func (s *Store) Person(ctx context.Context, id int64) (*backend.Person, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findPerson(ctx, tx, id)
}

// PersonByAccount finds the person linked to a chat account.
func (s *Store) PersonByAccount(ctx context.Context, platform, userID string) (*backend.Person, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	id, err := accountOwner(ctx, tx, platform, userID)
	if err != nil {
		return nil, err
	}
	return findPerson(ctx, tx, id)
}

// UpdatePerson saves name, roles, team and locale.
func (s *Store) UpdatePerson(ctx context.Context, p *backend.Person) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := updatePerson(ctx, tx, p); err != nil {
		return err
	}
	return commit(tx)
}

// LinkAccount links a chat account to a person, or updates its ChatID if it
// is linked to that person already.
func (s *Store) LinkAccount(ctx context.Context, personID int64, a backend.ChatAccount) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := findPerson(ctx, tx, personID); err != nil {
		return err
	}
	if err := linkAccount(ctx, tx, personID, a); err != nil {
		return err
	}
	return commit(tx)
}

// PeopleWithRole lists people having role r, of team teamID unless it is 0,
// in the order they were created.
func (s *Store) PeopleWithRole(ctx context.Context, r backend.Role, teamID int64) ([]*backend.Person, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findPeopleWithRole(ctx, tx, r, teamID)
}

// SetDeactivated deactivates a person as of at, or reactivates them (at
// zero).
func (s *Store) SetDeactivated(ctx context.Context, personID int64, at time.Time) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE people SET deactivated_at = ? WHERE id = ?`, micros(at), personID)
	if err != nil {
		return dbError(err, "person %d", personID)
	}
	if err := mustAffect(res, "person %d", personID); err != nil {
		return err
	}
	return commit(tx)
}

// DeactivatedPeople lists the deactivated people in the order they were
// created.
func (s *Store) DeactivatedPeople(ctx context.Context) ([]*backend.Person, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return findPeople(ctx, tx, personSQL+` WHERE deactivated_at IS NOT NULL ORDER BY id`)
}

const insertPersonSQL = `
INSERT INTO people (name, roles, team_id, locale, created_at) VALUES (?, ?, ?, ?, ?)`

func insertPerson(ctx context.Context, tx *dbTx, p *backend.Person, created time.Time) (int64, error) {
	roles, err := jsonText(p.Roles)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, insertPersonSQL, p.Name, roles, nullID(p.TeamID), p.Locale, micros(created))
	if err != nil {
		return 0, dbError(err, "person %q", p.Name)
	}
	return res.LastInsertId()
}

const updatePersonSQL = `UPDATE people SET name = ?, roles = ?, team_id = ?, locale = ? WHERE id = ?`

func updatePerson(ctx context.Context, tx *dbTx, p *backend.Person) error {
	roles, err := jsonText(p.Roles)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, updatePersonSQL, p.Name, roles, nullID(p.TeamID), p.Locale, p.ID)
	if err != nil {
		return dbError(err, "person %d", p.ID)
	}
	return mustAffect(res, "person %d", p.ID)
}

const personSQL = `SELECT id, name, roles, team_id, locale, created_at, deactivated_at FROM people`

func scanPerson(row interface{ Scan(...any) error }) (*backend.Person, error) {
	p := &backend.Person{}
	if err := row.Scan(&p.ID, &p.Name, jsonCol{&p.Roles}, idCol{&p.TeamID}, &p.Locale, timeCol{&p.CreatedAt}, timeCol{&p.DeactivatedAt}); err != nil {
		return nil, err
	}
	if len(p.Roles) == 0 {
		p.Roles = nil
	}
	return p, nil
}

func findPerson(ctx context.Context, tx *dbTx, id int64) (*backend.Person, error) {
	p, err := scanPerson(tx.QueryRowContext(ctx, personByIDSQL, id))
	if err != nil {
		return nil, dbError(err, "person %d", id)
	}
	if err := loadAccounts(ctx, tx, []*backend.Person{p}); err != nil {
		return nil, err
	}
	return p, nil
}

const personByIDSQL = personSQL + ` WHERE id = ?`

const peopleWithRoleSQL = personSQL + `
WHERE EXISTS (SELECT 1 FROM json_each(people.roles) WHERE value = ?)
  AND (? = 0 OR team_id = ?) AND deactivated_at IS NULL
ORDER BY id`

func findPeopleWithRole(ctx context.Context, tx *dbTx, r backend.Role, teamID int64) ([]*backend.Person, error) {
	return findPeople(ctx, tx, peopleWithRoleSQL, string(r), teamID, teamID)
}

// findPeople reads the people a query of personSQL selects, with their
// accounts.
func findPeople(ctx context.Context, tx *dbTx, query string, args ...any) ([]*backend.Person, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(err, "people")
	}
	defer rows.Close()
	people := []*backend.Person{}
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, dbError(err, "people")
		}
		people = append(people, p)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "people")
	}
	return people, loadAccounts(ctx, tx, people)
}

const accountsSQL = `
SELECT person_id, platform, user_id, chat_id FROM chat_accounts
WHERE person_id IN (SELECT value FROM json_each(?)) ORDER BY id`

// loadAccounts fills in the accounts of people with one query.
func loadAccounts(ctx context.Context, tx *dbTx, people []*backend.Person) error {
	if len(people) == 0 {
		return nil
	}
	byID := make(map[int64]*backend.Person, len(people))
	ids := make([]int64, 0, len(people))
	for _, p := range people {
		byID[p.ID] = p
		ids = append(ids, p.ID)
	}
	list, err := jsonText(ids)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, accountsSQL, list)
	if err != nil {
		return dbError(err, "accounts")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var a backend.ChatAccount
		if err := rows.Scan(&id, &a.Platform, &a.UserID, &a.ChatID); err != nil {
			return dbError(err, "accounts")
		}
		byID[id].Accounts = append(byID[id].Accounts, a)
	}
	return dbError(rows.Err(), "accounts")
}

const insertAccountSQL = `INSERT INTO chat_accounts (person_id, platform, user_id, chat_id) VALUES (?, ?, ?, ?)`

func insertAccount(ctx context.Context, tx *dbTx, personID int64, a backend.ChatAccount) error {
	_, err := tx.ExecContext(ctx, insertAccountSQL, personID, a.Platform, a.UserID, a.ChatID)
	return dbError(err, "%s account %s", a.Platform, a.UserID)
}

const accountOwnerSQL = `SELECT person_id FROM chat_accounts WHERE platform = ? AND user_id = ?`

func accountOwner(ctx context.Context, tx *dbTx, platform, userID string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, accountOwnerSQL, platform, userID).Scan(&id)
	return id, dbError(err, "%s account %s", platform, userID)
}

// linkAccountSQL inserts the link, or updates the chat of a link to the same
// person; it returns no row when the account belongs to someone else.
const linkAccountSQL = `
INSERT INTO chat_accounts (person_id, platform, user_id, chat_id) VALUES (?, ?, ?, ?)
ON CONFLICT (platform, user_id) DO UPDATE SET chat_id = excluded.chat_id
WHERE chat_accounts.person_id = excluded.person_id
RETURNING id`

func linkAccount(ctx context.Context, tx *dbTx, personID int64, a backend.ChatAccount) error {
	var id int64
	err := tx.QueryRowContext(ctx, linkAccountSQL, personID, a.Platform, a.UserID, a.ChatID).Scan(&id)
	if err == sql.ErrNoRows {
		return backend.Errorf(backend.ECONFLICT, "%s account %s is linked to someone else", a.Platform, a.UserID)
	}
	return dbError(err, "%s account %s", a.Platform, a.UserID)
}

// mustAffect returns ENOTFOUND if res changed no row.
func mustAffect(res sql.Result, format string, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(err, format, args...)
	}
	if n == 0 {
		return dbError(sql.ErrNoRows, format, args...)
	}
	return nil
}

const insertTeamSQL = `INSERT INTO teams (name, lead_id) VALUES (?, ?)`

// CreateTeam stores t and sets t.ID.
func (s *Store) CreateTeam(ctx context.Context, t *backend.Team) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, insertTeamSQL, t.Name, nullID(t.LeadID))
	if err != nil {
		return dbError(err, "team %q", t.Name)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return dbError(err, "team %q", t.Name)
	}
	for _, p := range slices.Sorted(maps.Keys(t.Chats)) {
		if err := setTeamChat(ctx, tx, id, p, t.Chats[p]); err != nil {
			return err
		}
	}
	if err := commit(tx); err != nil {
		return err
	}
	t.ID = id
	return nil
}

// teamSQL reads teams with their own chats (a JSON object, platform →
// chat id) in one statement.
const (
	teamSQL = `
SELECT id, name, lead_id,
	(SELECT json_group_object(c.platform, c.chat_id) FROM team_chats c WHERE c.team_id = teams.id)
FROM teams`
	teamByIDSQL    = teamSQL + ` WHERE id = ?`
	teamsSQL       = teamSQL + ` ORDER BY name, id`
	teamsByChatSQL = teamSQL + `
WHERE id IN (SELECT team_id FROM team_chats WHERE platform = ? AND chat_id = ?)
ORDER BY name, id`
)

func scanTeam(row interface{ Scan(...any) error }) (*backend.Team, error) {
	t := &backend.Team{}
	var chats sql.NullString
	if err := row.Scan(&t.ID, &t.Name, idCol{&t.LeadID}, &chats); err != nil {
		return nil, err
	}
	if chats.Valid {
		if err := json.Unmarshal([]byte(chats.String), &t.Chats); err != nil {
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
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, err := scanTeam(tx.QueryRowContext(ctx, teamByIDSQL, id))
	if err != nil {
		return nil, dbError(err, "team %d", id)
	}
	return t, nil
}

// Teams lists every team by name (byte order).
func (s *Store) Teams(ctx context.Context) ([]*backend.Team, error) {
	return s.teams(ctx, teamsSQL)
}

// TeamsByChat lists the teams whose own chat on platform is chatID.
func (s *Store) TeamsByChat(ctx context.Context, platform, chatID string) ([]*backend.Team, error) {
	return s.teams(ctx, teamsByChatSQL, platform, chatID)
}

func (s *Store) teams(ctx context.Context, query string, args ...any) ([]*backend.Team, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(err, "teams")
	}
	defer rows.Close()
	teams := []*backend.Team{}
	for rows.Next() {
		t, err := scanTeam(rows)
		if err != nil {
			return nil, dbError(err, "teams")
		}
		teams = append(teams, t)
	}
	return teams, dbError(rows.Err(), "teams")
}

const setTeamLeadSQL = `UPDATE teams SET lead_id = ? WHERE id = ?`

// SetTeamLead makes person leadID the lead of team teamID (0: no lead).
func (s *Store) SetTeamLead(ctx context.Context, teamID, leadID int64) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := setTeamLead(ctx, tx, teamID, leadID); err != nil {
		return err
	}
	return commit(tx)
}

func setTeamLead(ctx context.Context, tx *dbTx, teamID, leadID int64) error {
	res, err := tx.ExecContext(ctx, setTeamLeadSQL, nullID(leadID), teamID)
	if err != nil {
		return dbError(err, "lead of team %d", teamID)
	}
	return mustAffect(res, "team %d", teamID)
}

const (
	setTeamChatSQL = `
INSERT INTO team_chats (team_id, platform, chat_id) VALUES (?, ?, ?)
ON CONFLICT (team_id, platform) DO UPDATE SET chat_id = excluded.chat_id`
	clearTeamChatSQL = `DELETE FROM team_chats WHERE team_id = ? AND platform = ?`
)

// SetTeamChat makes chatID the team's own chat on platform ("" clears it).
func (s *Store) SetTeamChat(ctx context.Context, teamID int64, platform, chatID string) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM teams WHERE id = ?`, teamID).Scan(&one); err != nil {
		return dbError(err, "team %d", teamID)
	}
	if err := setTeamChat(ctx, tx, teamID, platform, chatID); err != nil {
		return err
	}
	return commit(tx)
}

func setTeamChat(ctx context.Context, tx *dbTx, teamID int64, platform, chatID string) error {
	if platform == "" {
		return backend.Errorf(backend.EINVALID, "a chat of team %d names no platform", teamID)
	}
	var err error
	if chatID == "" {
		_, err = tx.ExecContext(ctx, clearTeamChatSQL, teamID, platform)
	} else {
		_, err = tx.ExecContext(ctx, setTeamChatSQL, teamID, platform, chatID)
	}
	return dbError(err, "%s chat of team %d", platform, teamID)
}

const insertTokenSQL = `INSERT INTO api_tokens (name, person_id, hash, created_at) VALUES (?, ?, ?, ?)`

// CreateAPIToken stores a token hash for a person and sets tok.ID.
func (s *Store) CreateAPIToken(ctx context.Context, tok *backend.APIToken) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	created := orNow(tok.CreatedAt, s.now())
	res, err := tx.ExecContext(ctx, insertTokenSQL,
		tok.Name, tok.PersonID, tok.Hash, micros(created))
	if err != nil {
		return dbError(err, "API token %q", tok.Name)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return dbError(err, "API token %q", tok.Name)
	}
	if err := commit(tx); err != nil {
		return err
	}
	tok.ID, tok.CreatedAt = id, created
	return nil
}

const (
	tokenSQL       = `SELECT id, name, person_id, hash, created_at, revoked_at FROM api_tokens`
	tokenByHashSQL = tokenSQL + ` WHERE hash = ?`
)

func scanToken(row interface{ Scan(...any) error }) (*backend.APIToken, error) {
	tok := &backend.APIToken{}
	err := row.Scan(&tok.ID, &tok.Name, &tok.PersonID, &tok.Hash, timeCol{&tok.CreatedAt}, timeCol{&tok.RevokedAt})
	return tok, err
}

// APITokenByHash finds a token by the hash of its secret.
func (s *Store) APITokenByHash(ctx context.Context, hash []byte) (*backend.APIToken, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	tok, err := scanToken(tx.QueryRowContext(ctx, tokenByHashSQL, hash))
	if err != nil {
		return nil, dbError(err, "API token")
	}
	return tok, nil
}

// APITokens lists every token, oldest first.
func (s *Store) APITokens(ctx context.Context) ([]*backend.APIToken, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, tokenSQL+` ORDER BY id`)
	if err != nil {
		return nil, dbError(err, "API tokens")
	}
	defer rows.Close()
	toks := []*backend.APIToken{}
	for rows.Next() {
		tok, err := scanToken(rows)
		if err != nil {
			return nil, dbError(err, "API tokens")
		}
		toks = append(toks, tok)
	}
	return toks, dbError(rows.Err(), "API tokens")
}

// RevokeAPIToken marks a token revoked, once.
func (s *Store) RevokeAPIToken(ctx context.Context, id int64, at time.Time) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM api_tokens WHERE id = ?`, id).Scan(&one); err != nil {
		return dbError(err, "API token %d", id)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, micros(at), id); err != nil {
		return dbError(err, "API token %d", id)
	}
	return commit(tx)
}

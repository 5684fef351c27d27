package backend

import (
	"cmp"
	"context"
	"slices"
	"strings"
)

// The console's Teams page: managers and admins see every team with its
// lead, people and open tickets; admins create teams and set their lead
// and their own triage chats (what deskbot team does on the command
// line; DESIGN §1: admins configure teams).

// TeamSummary is one team of the Teams page.
type TeamSummary struct {
	*Team
	Lead    *Person // nil when it has none
	Members int     // active staff of the team
	Open    int     // open tickets routed to it
}

// maxTeamName is the longest team name, in characters.
const maxTeamName = 60

// TeamSummaries lists every team by name with its lead, members and open
// tickets, and the people who may lead a team (checkLead), by id.
// EFORBIDDEN for anyone but managers and admins.
func (s *Service) TeamSummaries(ctx context.Context, actor *Person) (teams []TeamSummary, staff []*Person, err error) {
	if !actor.SeesAll() {
		return nil, nil, Keyed(EFORBIDDEN, "managers_only", nil, "only managers and admins may list the teams")
	}
	all, err := s.store.Teams(ctx)
	if err != nil {
		return nil, nil, err
	}
	seen, members := map[int64]bool{}, map[int64]int{}
	for _, r := range staffRoles {
		ps, err := s.store.PeopleWithRole(ctx, r, 0)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			if seen[p.ID] || !p.Active() {
				continue
			}
			seen[p.ID] = true
			members[p.TeamID]++
			if p.Handles() { // not an info specialist alone
				staff = append(staff, p)
			}
		}
	}
	slices.SortFunc(staff, func(a, b *Person) int { return cmp.Compare(a.ID, b.ID) })
	teams = make([]TeamSummary, len(all))
	for i, t := range all {
		teams[i] = TeamSummary{Team: t, Members: members[t.ID]}
		if t.LeadID != 0 {
			if teams[i].Lead, err = s.store.Person(ctx, t.LeadID); err != nil && ErrorCode(err) != ENOTFOUND {
				return nil, nil, err
			}
		}
		f := openTickets()
		f.TeamID = t.ID
		open, err := s.allTickets(ctx, f)
		if err != nil {
			return nil, nil, err
		}
		teams[i].Open = len(open)
	}
	return teams, staff, nil
}

// MayConfigureTeams says whether actor may create teams and change their
// lead and chats: admins only. EFORBIDDEN otherwise.
func MayConfigureTeams(actor *Person) error {
	if !actor.HasRole(RoleAdmin) {
		return Keyed(EFORBIDDEN, "teams_admins_only", nil, "only admins may create teams or change them")
	}
	return nil
}

// CreateTeamBy creates a team named name (trimmed, 1–60 characters, not
// taken) led by leadID (0: none; checkLead), done by actor
// (MayConfigureTeams).
func (s *Service) CreateTeamBy(ctx context.Context, actor *Person, name string, leadID int64) (*Team, error) {
	if err := MayConfigureTeams(actor); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if n := len([]rune(name)); n == 0 || n > maxTeamName {
		return nil, Invalid("a team name has 1 to 60 characters", "name", "1 to 60 characters",
			Problem{Key: "length", Args: map[string]any{"Min": 1, "Max": maxTeamName, "Got": n}})
	}
	teams, err := s.store.Teams(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		if strings.EqualFold(t.Name, name) {
			return nil, Keyed(ECONFLICT, "team_exists", map[string]any{"Name": t.Name}, "there is a team %q already", t.Name)
		}
	}
	if err := s.checkLead(ctx, leadID); err != nil {
		return nil, err
	}
	t := &Team{Name: name, LeadID: leadID}
	if err := s.store.CreateTeam(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// UpdateTeamBy sets a team's lead (0: none; checkLead) and its own chats
// by platform ("" takes one away; platforms not in chats are left as
// they are), done by actor (MayConfigureTeams). The chat ids are the
// caller's to check: their form is the platform's.
func (s *Service) UpdateTeamBy(ctx context.Context, actor *Person, teamID, leadID int64, chats map[string]string) (*Team, error) {
	if err := MayConfigureTeams(actor); err != nil {
		return nil, err
	}
	t, err := s.store.Team(ctx, teamID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, Keyed(ENOTFOUND, "team", map[string]any{"ID": teamID}, "team %d not found", teamID)
	} else if err != nil {
		return nil, err
	}
	if leadID != t.LeadID {
		if err := s.checkLead(ctx, leadID); err != nil {
			return nil, err
		}
		if err := s.store.SetTeamLead(ctx, t.ID, leadID); err != nil {
			return nil, err
		}
	}
	for platform, chat := range chats {
		chat = strings.TrimSpace(chat)
		if chat == t.Chat(platform) {
			continue
		}
		if err := s.store.SetTeamChat(ctx, t.ID, platform, chat); err != nil {
			return nil, err
		}
	}
	return s.store.Team(ctx, t.ID)
}

// checkLead checks that person id (0: none) may lead a team: an active
// assistant, manager or admin, for a lead acts on escalated tickets.
// EINVALID on the lead_id field otherwise.
func (s *Service) checkLead(ctx context.Context, id int64) error {
	if id == 0 {
		return nil
	}
	p, err := s.store.Person(ctx, id)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return Invalid("no such person", "lead_id", "no such person", Problem{Key: "no_person"})
	case err != nil:
		return err
	case !p.Handles():
		return Invalid("a team lead must be an active assistant, manager or admin", "lead_id", "not staff", Problem{Key: "not_staff"})
	}
	return nil
}

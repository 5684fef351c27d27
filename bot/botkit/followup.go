package botkit

import (
	"context"
	"strconv"
	"strings"

	"github.com/deskbot/deskbot/backend"
	"github.com/deskbot/deskbot/dialogs/catalog"
)

// Follow-up reminders' buttons (seed 003), the same in every chat. A
// survey reminder (backend.StepSurveyDue) offers 📝 记录调研, which turns
// its buttons into a picker: a toggle per dissatisfaction factor, 已解决
// and 需回访 toggles, 提交 and 返回. The picker's state rides in the
// buttons themselves (FollowUpPress.Mask), so no session is kept and two
// colleagues pressing on one message see the last press. A callback
// reminder (StepCallbackDue) offers the outcomes. Either also offers to
// mark the step not needed. What is recorded is the service's to allow.

// Follow-up button actions (FollowUpPress.Act).
const (
	FollowUpOpen       = "o"  // 📝: open the survey picker (as the follow-up stands)
	FollowUpPick       = "p"  // show the survey picker with Mask
	FollowUpSubmit     = "s"  // record the survey of Mask
	FollowUpBack       = "b"  // back to the reminder's buttons
	FollowUpNoSurvey   = "ns" // mark 无需调研
	FollowUpNoCallback = "nc" // mark 无需回访
	FollowUpAccepted   = "a"  // callback: 用户满意（接受）
	FollowUpSolved     = "v"  // callback: 问题已解决（事件已追加）
	FollowUpNotReached = "r"  // callback: 未联系上
)

// FollowUpPress is one press of a follow-up reminder's buttons, as the
// button carries it ("12:p:5", FollowUpPress.String).
type FollowUpPress struct {
	ID  int64 // the follow-up
	Act string
	// Mask is the picker's state: bit i for backend.Factors[i], then
	// solvedBit and callbackBit.
	Mask uint32
}

// The picker's toggles after the factors' bits.
var (
	solvedBit   = uint32(1) << len(backend.Factors)
	callbackBit = solvedBit << 1
)

func (p FollowUpPress) String() string {
	return strconv.FormatInt(p.ID, 10) + ":" + p.Act + ":" + strconv.FormatUint(uint64(p.Mask), 10)
}

// ParseFollowUpPress reads a button's FollowUpPress.String.
func ParseFollowUpPress(s string) (FollowUpPress, bool) {
	f := strings.Split(s, ":")
	if len(f) != 3 {
		return FollowUpPress{}, false
	}
	id, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || id <= 0 {
		return FollowUpPress{}, false
	}
	mask, err := strconv.ParseUint(f[2], 10, 32)
	if err != nil || uint32(mask) >= callbackBit<<1 {
		return FollowUpPress{}, false
	}
	switch f[1] {
	case FollowUpOpen, FollowUpPick, FollowUpSubmit, FollowUpBack, FollowUpNoSurvey, FollowUpNoCallback,
		FollowUpAccepted, FollowUpSolved, FollowUpNotReached:
	default:
		return FollowUpPress{}, false
	}
	return FollowUpPress{ID: id, Act: f[1], Mask: uint32(mask)}, true
}

// Survey is the survey the picker's Mask holds.
func (p FollowUpPress) Survey() backend.SurveyInput {
	in := backend.SurveyInput{Solved: p.Mask&solvedBit != 0, Callback: p.Mask&callbackBit != 0}
	for i, f := range backend.Factors {
		if p.Mask&(1<<i) != 0 {
			in.Factors = append(in.Factors, f)
		}
	}
	return in
}

// Button is a chat button: its label, and the FollowUpPress it carries.
type Button struct {
	Label string
	Press FollowUpPress
}

// FollowUpButtons are the rows of buttons of a follow-up reminder of
// step, in loc: the survey picker when press is a FollowUpPick, else the
// reminder's own. None for a step that is no reminder.
func FollowUpButtons(cat *catalog.Catalog, loc, step string, press FollowUpPress) [][]Button {
	id := press.ID
	b := func(key string, act string, mask uint32) Button {
		return Button{Label: cat.T(loc, key, nil), Press: FollowUpPress{ID: id, Act: act, Mask: mask}}
	}
	switch {
	case press.Act == FollowUpPick:
		box := func(on bool, label string) string {
			if on {
				return "☑ " + label
			}
			return "☐ " + label
		}
		var rows [][]Button
		for i, f := range backend.Factors {
			bit := uint32(1) << i
			btn := Button{Label: box(press.Mask&bit != 0, cat.T(loc, "followup.factor."+string(f), nil)),
				Press: FollowUpPress{ID: id, Act: FollowUpPick, Mask: press.Mask ^ bit}}
			if i%2 == 0 {
				rows = append(rows, []Button{btn})
			} else {
				rows[len(rows)-1] = append(rows[len(rows)-1], btn)
			}
		}
		rows = append(rows, []Button{
			{Label: box(press.Mask&solvedBit != 0, cat.T(loc, "followup.solved.true", nil)),
				Press: FollowUpPress{ID: id, Act: FollowUpPick, Mask: press.Mask ^ solvedBit}},
			{Label: box(press.Mask&callbackBit != 0, cat.T(loc, "followup.callback.needed", nil)),
				Press: FollowUpPress{ID: id, Act: FollowUpPick, Mask: press.Mask ^ callbackBit}},
		}, []Button{b("followup.btn.submit", FollowUpSubmit, press.Mask), b("followup.btn.back", FollowUpBack, 0)})
		return rows
	case step == backend.StepSurveyDue:
		return [][]Button{{b("followup.btn.survey", FollowUpOpen, 0), b("followup.mark.no_survey", FollowUpNoSurvey, 0)}}
	case step == backend.StepCallbackDue:
		return [][]Button{
			{b("followup.outcome.accepted", FollowUpAccepted, 0), b("followup.outcome.solved", FollowUpSolved, 0)},
			{b("followup.outcome.not_reached", FollowUpNotReached, 0), b("followup.mark.no_callback", FollowUpNoCallback, 0)},
		}
	}
	return nil
}

// OpenSurvey is the picker a press shows: for 📝 (FollowUpOpen), with
// 需回访 ticked when the callback is marked needed already (a survey
// without it would say none is); for a toggle or 返回, press itself. A
// survey recorded meanwhile (by a colleague, on the console) is an
// ECONFLICT, for which FollowUpClosed is true.
func OpenSurvey(ctx context.Context, svc *backend.Service, p *backend.Person, press FollowUpPress) (FollowUpPress, error) {
	fu, _, err := svc.FollowUp(ctx, p, press.ID)
	if err != nil {
		return press, err
	}
	if fu.Survey == backend.SurveyDone {
		return press, backend.SurveyedError(fu.ID)
	}
	if press.Act == FollowUpOpen {
		press.Act, press.Mask = FollowUpPick, 0
		if fu.Callback == backend.CallbackNeeded {
			press.Mask = callbackBit
		}
	}
	return press, nil
}

// FollowUpClosed says whether err refused a press because the step is
// recorded or marked already: the reminder's buttons can go.
func FollowUpClosed(err error) bool {
	if backend.ErrorCode(err) != backend.ECONFLICT {
		return false
	}
	switch backend.ErrorKey(err) {
	case "surveyed", "called_back", "follow_up_marked", "no_callback":
		return true
	}
	return false
}

// RecordFollowUp records what press records, by p, and returns the line
// the reminder gains, in loc, and whether its buttons stay (a callback
// that did not reach the reporter is still due). A press that records
// nothing (the picker's) is an EINVALID.
func RecordFollowUp(ctx context.Context, svc *backend.Service, cat *catalog.Catalog, loc string, p *backend.Person, press FollowUpPress) (line string, stay bool, err error) {
	data := map[string]any{"Name": p.Name}
	switch press.Act {
	case FollowUpSubmit:
		in := press.Survey()
		if _, err := svc.RecordSurvey(ctx, p, press.ID, in); err != nil {
			return "", false, err
		}
		data["Factors"] = FactorNames(cat, loc, in.Factors)
		data["Solved"] = cat.T(loc, "followup.solved."+strconv.FormatBool(in.Solved), nil)
		data["Callback"] = cat.T(loc, map[bool]string{true: "followup.callback.needed", false: "followup.callback.not_needed"}[in.Callback], nil)
		return cat.T(loc, "followup.done.surveyed", data), false, nil
	case FollowUpNoSurvey, FollowUpNoCallback:
		mark := map[string]backend.FollowUpMark{FollowUpNoSurvey: backend.MarkNoSurvey, FollowUpNoCallback: backend.MarkNoCallback}[press.Act]
		if _, err := svc.MarkFollowUp(ctx, p, press.ID, mark, ""); err != nil {
			return "", false, err
		}
		data["Mark"] = cat.T(loc, "followup.mark."+string(mark), nil)
		return cat.T(loc, "followup.done.marked", data), false, nil
	case FollowUpAccepted, FollowUpSolved, FollowUpNotReached:
		outcome := map[string]backend.Outcome{FollowUpAccepted: backend.OutcomeAccepted, FollowUpSolved: backend.OutcomeSolved,
			FollowUpNotReached: backend.OutcomeNotReached}[press.Act]
		if _, err := svc.RecordCallback(ctx, p, press.ID, outcome, ""); err != nil {
			return "", false, err
		}
		if outcome == backend.OutcomeNotReached {
			return cat.T(loc, "followup.done.not_reached", data), true, nil
		}
		data["Outcome"] = cat.T(loc, "followup.outcome."+string(outcome), nil)
		return cat.T(loc, "followup.done.called", data), false, nil
	}
	return "", false, backend.Errorf(backend.EINVALID, "follow-up press %q records nothing", press.Act)
}

// FactorNames names dissatisfaction factors in loc, as a list; "" for none.
func FactorNames(cat *catalog.Catalog, loc string, factors []backend.Factor) string {
	names := make([]string, 0, len(factors))
	for _, f := range factors {
		names = append(names, cat.T(loc, "followup.factor."+string(f), nil))
	}
	return strings.Join(names, cat.T(loc, "dialog.list_sep", nil))
}

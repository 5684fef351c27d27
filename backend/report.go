package backend

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deskbot/deskbot/backend/chart"
)

// Reports (DESIGN §7, seed 002 第六步 每周/每月反馈分析报告): for a week or a
// month, overall or for one team, the share of each category, the five
// most frequent problems, handling time, the P1 resolution rate, SLA
// compliance per clock, the satisfaction ratings against the period
// before, and the dissatisfaction factors the surveys found.
//
// What each figure counts (one period [Start, End) in the service's zone):
//   - volume, categories, top problems and the P1 rate count the tickets
//     created in the period;
//   - a "problem" (seed 002 高频问题, "30% 反馈涉及 APP 闪退") is what many
//     tickets share: the incident they are linked to (集中反馈), or, for a
//     ticket linked to none, its full category path;
//   - a P1 counts as resolved when its status is resolved or archived and
//     it was last resolved before the period ended;
//   - handling time is created → resolved, in calendar time (seed 002's
//     处理时长), of the tickets resolved in the period and not reopened since;
//   - SLA compliance counts the clock runs started in the period: met
//     (stopped within its budget), breached (its deadline passed while it
//     ran, or it stopped over budget before the breach was recorded), and
//     still open;
//   - satisfaction counts the ratings given in the period, and the same
//     for each of the periods before it (the trend: TrendPeriods periods
//     in all, this one last);
//   - factors count the surveys recorded in the period, one per factor;
//   - complaints (seed 001 客户投诉处理状况表, 客户投诉预防措施报告表) are
//     those handled in the period: filed before its end and not resolved
//     before its start. Per customer, how many were closed by the
//     period's end and how many were still open, and their tasks done,
//     open and overdue at that moment; and every root cause and
//     prevention measure recorded by then, whether a manager approved
//     it and whether it went to the customer. The customer is shown in
//     full to managers and admins only (DESIGN §10), masked to others.

// Report periods.
const (
	PeriodWeek  = "week"  // an ISO week, Monday to Sunday: 2026-W48
	PeriodMonth = "month" // a calendar month: 2026-11
)

// Period is the span of a report: Start inclusive, End exclusive, both
// midnight in the zone it was made in.
type Period struct {
	Kind  string
	Start time.Time
	End   time.Time
}

// String is the period's name as ParsePeriod reads it: 2026-W48 or 2026-11.
func (p Period) String() string {
	if p.Kind == PeriodMonth {
		return p.Start.Format("2006-01")
	}
	y, w := p.Start.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// Prev is the period before p, of the same kind.
func (p Period) Prev() Period {
	if p.Kind == PeriodMonth {
		return PeriodOf(PeriodMonth, p.Start.AddDate(0, -1, 0), p.Start.Location())
	}
	return PeriodOf(PeriodWeek, p.Start.AddDate(0, 0, -7), p.Start.Location())
}

// PeriodOf is the week (Monday to Sunday) or calendar month that holds t,
// in loc.
func PeriodOf(kind string, t time.Time, loc *time.Location) Period {
	if kind == PeriodMonth {
		t = t.In(loc)
		start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
		return Period{Kind: PeriodMonth, Start: start, End: start.AddDate(0, 1, 0)}
	}
	start := WeekStart(t, loc)
	return Period{Kind: PeriodWeek, Start: start, End: start.AddDate(0, 0, 7)}
}

var (
	weekRE  = regexp.MustCompile(`^(\d{4})-[Ww](\d{2})$`)
	monthRE = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
)

// ParsePeriod reads an ISO week (2026-W48) or a month (2026-11) in loc.
// EINVALID naming field "period" for anything else.
func ParsePeriod(s string, loc *time.Location) (Period, error) {
	bad := Invalid("bad period", "period", "must be an ISO week like 2026-W48 or a month like 2026-11",
		Problem{Key: "period", Args: map[string]any{"Value": s}})
	if m := weekRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		w, _ := strconv.Atoi(m[2])
		// 4 January is in week 1 (ISO 8601); weeks count on from its Monday.
		p := PeriodOf(PeriodWeek, time.Date(y, 1, 4, 12, 0, 0, 0, loc), loc)
		p = PeriodOf(PeriodWeek, p.Start.AddDate(0, 0, 7*(w-1)).Add(12*time.Hour), loc)
		if gy, gw := p.Start.ISOWeek(); w < 1 || gy != y || gw != w {
			return Period{}, bad
		}
		return p, nil
	}
	if m := monthRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return Period{}, bad
		}
		return PeriodOf(PeriodMonth, time.Date(y, time.Month(mo), 1, 12, 0, 0, 0, loc), loc), nil
	}
	return Period{}, bad
}

// ReportFilter selects what a store reads for a report: the span [From,
// Before) and a team (0: every ticket).
type ReportFilter struct {
	From   time.Time
	Before time.Time
	TeamID int64
}

// ReportTicket is what a report reads of a ticket: no summary, no
// contacts, nothing personal.
type ReportTicket struct {
	ID            int64
	CategoryPath  []string
	Severity      Severity
	Status        Status
	TeamID        int64
	IncidentID    int64
	IncidentTitle string
	CreatedAt     time.Time
	ResolvedAt    time.Time // the last resolution; zero if never resolved
}

// ClockCount tallies the runs of one SLA clock.
type ClockCount struct {
	Name     string
	Runs     int // every run counted
	Met      int // stopped within its budget, no breach recorded
	Breached int // the deadline passed while it ran, or it stopped over budget
}

// Open is the runs neither met nor breached yet.
func (c ClockCount) Open() int { return c.Runs - c.Met - c.Breached }

// Decided is the runs met or breached.
func (c ClockCount) Decided() int { return c.Met + c.Breached }

// Compliance is the share of decided runs that were met (0 when none is
// decided yet).
func (c ClockCount) Compliance() float64 { return share(c.Met, c.Met+c.Breached) }

// ReportData is what a store reads for a report (Store.ReportData).
type ReportData struct {
	// Tickets created in the span, or last resolved in it, by ID.
	Tickets []*ReportTicket
	// Ratings given in the span (satisfaction events), by rating.
	Ratings map[Satisfaction]int
	// Clocks: the runs started in the span, by clock name.
	Clocks []ClockCount
	// Factors: of the surveys recorded in the span, how many found each
	// factor.
	Factors map[Factor]int
	// Complaints filed before the span's end and not resolved before its
	// start, by ID, with their tasks and closing records.
	Complaints []*ReportComplaint
}

// ReportComplaint is what a report reads of a complaint: its number, its
// customer (personal: Service.Report masks it for those who may not see
// it), its state, its tasks' deadlines and its closing record.
type ReportComplaint struct {
	ID         int64
	Number     string
	Customer   string
	Status     Status
	CreatedAt  time.Time
	ResolvedAt time.Time
	Tasks      []ReportTask
	// The closing record; RecordedAt is zero when there is none.
	RootCause  string
	Prevention string
	RecordedAt time.Time
	ApprovedAt time.Time
	SentAt     time.Time
}

// ReportTask is a complaint task as a report counts it.
type ReportTask struct {
	Due    time.Time
	DoneAt time.Time // zero while open
}

// CustomerComplaints is the complaints of one customer handled in a
// period, as they stood at its end (seed 001 客户投诉处理状况表).
type CustomerComplaints struct {
	Customer string
	Numbers  []string // the complaints, oldest first
	Closed   int      // resolved by the period's end
	Open     int
	// Their tasks at the period's end: done, still open, and of those
	// open, past their deadline.
	TasksDone, TasksOpen, TasksOverdue int
}

// PreventionMeasure is one complaint's root cause and prevention
// measures as they stood at the period's end (seed 001 客户投诉预防措施报告表).
type PreventionMeasure struct {
	Number     string
	Customer   string
	RootCause  string
	Prevention string
	Approved   bool // a manager approved them
	Sent       bool // the report went to the customer
}

// Count is one line of a tally: how many and what share of the total.
type Count struct {
	Count int
	Share float64 // 0–1
}

// CategoryCount is the tickets of one category: Path is the root alone
// or the root and its sub-category; empty for tickets without one.
type CategoryCount struct {
	Path []string
	Count
}

// Name is the path joined with " / ".
func (c CategoryCount) Name() string { return strings.Join(c.Path, " / ") }

// TopProblem is one of the most frequent problems: an incident (IncidentID
// and Title) or, for tickets linked to none, a category path.
type TopProblem struct {
	IncidentID int64
	Title      string
	Path       []string
	Count
}

// Name is the incident's title or the category path joined with " / ".
func (p TopProblem) Name() string {
	if p.IncidentID != 0 {
		return p.Title
	}
	return strings.Join(p.Path, " / ")
}

// Ratings counts satisfaction ratings.
type Ratings struct {
	Satisfied   int
	Basically   int
	Unsatisfied int
}

// Total is every rating counted.
func (r Ratings) Total() int { return r.Satisfied + r.Basically + r.Unsatisfied }

// Rate is the share of 满意 and 基本满意 among the ratings (0 when none).
func (r Ratings) Rate() float64 { return share(r.Satisfied+r.Basically, r.Total()) }

// FactorCount is how many surveys found one factor.
type FactorCount struct {
	Factor Factor
	Count
}

// Report is one report (DESIGN §7); see the top of report.go for what
// each figure counts.
type Report struct {
	Period   Period
	Previous Period
	TeamID   int64  // 0: every team
	TeamName string // "" for every team

	Total         int // tickets created in the period
	Categories    []CategoryCount
	Subcategories []CategoryCount
	TopProblems   []TopProblem // at most five

	Resolved       int // tickets resolved in the period
	AvgHandling    time.Duration
	MedianHandling time.Duration

	P1        int // P1 tickets created in the period
	P1Solved  int // of those, resolved by the period's end
	P1Rate    float64
	Clocks    []ClockCount
	Ratings   Ratings
	PrevRates Ratings // the period before
	// Trend is the ratings of the TrendPeriods periods up to this one,
	// oldest first: Trend[len-1] is Ratings, Trend[len-2] PrevRates.
	Trend       []PeriodRatings
	Factors     []FactorCount
	FactorTotal int // every factor found; the factor shares are of it

	// Complaints by customer, the most open first, and the prevention
	// measures recorded, by complaint number.
	Customers  []CustomerComplaints
	Prevention []PreventionMeasure
}

// TrendPeriods is how many periods a report's satisfaction trend shows,
// its own the last: six weeks, or six months.
const TrendPeriods = 6

// PeriodRatings is the ratings given in one period.
type PeriodRatings struct {
	Period Period
	Ratings
}

// ReportQuery asks for a report.
type ReportQuery struct {
	Period Period
	TeamID int64 // 0: every team
}

// Report computes a report. Managers and admins may ask for any team or
// all; an assistant for their own team only (asking without a team means
// theirs). EFORBIDDEN for anyone else and for an assistant without a
// team or asking for another team; ENOTFOUND for an unknown team.
func (s *Service) Report(ctx context.Context, actor *Person, q ReportQuery) (*Report, error) {
	tm, err := s.reportTeam(ctx, actor, q.TeamID)
	if err != nil {
		return nil, err
	}
	teamID := tm.idOrAll()
	r := &Report{Period: q.Period, Previous: q.Period.Prev(), TeamID: teamID}
	if tm != nil {
		r.TeamName = tm.Name
	}
	cur, err := s.store.ReportData(ctx, ReportFilter{From: r.Period.Start.UTC(), Before: r.Period.End.UTC(), TeamID: teamID})
	if err != nil {
		return nil, err
	}
	r.Trend = make([]PeriodRatings, TrendPeriods)
	spans := make([]ReportFilter, TrendPeriods-1)
	for i, p := TrendPeriods-1, r.Period; i >= 0; i-- {
		r.Trend[i].Period = p
		if i < len(spans) {
			spans[i] = ReportFilter{From: p.Start.UTC(), Before: p.End.UTC(), TeamID: teamID}
		}
		p = p.Prev()
	}
	before, err := s.store.ReportRatings(ctx, spans)
	if err != nil {
		return nil, err
	}
	if !actor.SeesAll() {
		for _, c := range cur.Complaints {
			c.Customer = MaskPersonal(c.Customer)
		}
	}
	r.fill(cur)
	for i, m := range before {
		r.Trend[i].Ratings = ratingsOf(m)
	}
	r.Trend[TrendPeriods-1].Ratings = r.Ratings
	r.PrevRates = r.Trend[TrendPeriods-2].Ratings
	return r, nil
}

// fill computes the figures of r from what the store read.
func (r *Report) fill(d *ReportData) {
	from, before := r.Period.Start, r.Period.End
	roots, subs, problems := map[string]*CategoryCount{}, map[string]*CategoryCount{}, map[string]*TopProblem{}
	var handling []time.Duration
	for _, t := range d.Tickets {
		resolved := (t.Status == StatusResolved || t.Status == StatusArchived) && !t.ResolvedAt.IsZero()
		if resolved && !t.ResolvedAt.Before(from) && t.ResolvedAt.Before(before) {
			handling = append(handling, t.ResolvedAt.Sub(t.CreatedAt))
		}
		if t.CreatedAt.Before(from) || !t.CreatedAt.Before(before) {
			continue
		}
		r.Total++
		tally(roots, t.CategoryPath[:min(1, len(t.CategoryPath))])
		tally(subs, t.CategoryPath[:min(2, len(t.CategoryPath))])
		key := "c\x1f" + strings.Join(t.CategoryPath, "\x1f")
		if t.IncidentID != 0 {
			key = "i\x1f" + strconv.FormatInt(t.IncidentID, 10)
		}
		p := problems[key]
		if p == nil {
			p = &TopProblem{IncidentID: t.IncidentID, Title: t.IncidentTitle}
			if t.IncidentID == 0 {
				p.Path = t.CategoryPath
			}
			problems[key] = p
		}
		p.Count.Count++
		if t.Severity == P1 {
			r.P1++
			if resolved && t.ResolvedAt.Before(before) {
				r.P1Solved++
			}
		}
	}
	r.Categories, r.Subcategories = sortedCounts(roots, r.Total), sortedCounts(subs, r.Total)
	for _, p := range problems {
		p.Share = share(p.Count.Count, r.Total)
		r.TopProblems = append(r.TopProblems, *p)
	}
	slices.SortFunc(r.TopProblems, func(a, b TopProblem) int {
		return cmp.Or(b.Count.Count-a.Count.Count, cmp.Compare(a.Name(), b.Name()), cmp.Compare(a.IncidentID, b.IncidentID))
	})
	r.TopProblems = r.TopProblems[:min(5, len(r.TopProblems))]
	r.P1Rate = share(r.P1Solved, r.P1)

	r.Resolved = len(handling)
	if len(handling) > 0 {
		var sum time.Duration
		for _, h := range handling {
			sum += h
		}
		r.AvgHandling = sum / time.Duration(len(handling))
		slices.Sort(handling)
		if n := len(handling); n%2 == 1 {
			r.MedianHandling = handling[n/2]
		} else {
			r.MedianHandling = (handling[n/2-1] + handling[n/2]) / 2
		}
	}

	r.Clocks = slices.Clone(d.Clocks)
	r.Ratings = ratingsOf(d.Ratings)
	for _, f := range Factors {
		r.FactorTotal += d.Factors[f]
	}
	for _, f := range Factors {
		if n := d.Factors[f]; n > 0 {
			r.Factors = append(r.Factors, FactorCount{Factor: f, Count: Count{Count: n, Share: share(n, r.FactorTotal)}})
		}
	}
	slices.SortStableFunc(r.Factors, func(a, b FactorCount) int { return b.Count.Count - a.Count.Count })
	r.fillComplaints(d.Complaints)
}

// fillComplaints tallies the complaints handled in the period as they
// stood at its end.
func (r *Report) fillComplaints(cs []*ReportComplaint) {
	end := r.Period.End
	by := map[string]*CustomerComplaints{}
	for _, c := range cs {
		cc := by[c.Customer]
		if cc == nil {
			cc = &CustomerComplaints{Customer: c.Customer}
			by[c.Customer] = cc
		}
		cc.Numbers = append(cc.Numbers, c.Number)
		if (c.Status == StatusResolved || c.Status == StatusArchived) && !c.ResolvedAt.IsZero() && c.ResolvedAt.Before(end) {
			cc.Closed++
		} else {
			cc.Open++
		}
		for _, k := range c.Tasks {
			switch {
			case !k.DoneAt.IsZero() && k.DoneAt.Before(end):
				cc.TasksDone++
			case k.Due.Before(end):
				cc.TasksOpen++
				cc.TasksOverdue++
			default:
				cc.TasksOpen++
			}
		}
		if !c.RecordedAt.IsZero() && c.RecordedAt.Before(end) {
			r.Prevention = append(r.Prevention, PreventionMeasure{Number: c.Number, Customer: c.Customer,
				RootCause: c.RootCause, Prevention: c.Prevention,
				Approved: !c.ApprovedAt.IsZero() && c.ApprovedAt.Before(end), Sent: !c.SentAt.IsZero() && c.SentAt.Before(end)})
		}
	}
	for _, cc := range by {
		r.Customers = append(r.Customers, *cc)
	}
	slices.SortFunc(r.Customers, func(a, b CustomerComplaints) int {
		return cmp.Or(b.Open-a.Open, len(b.Numbers)-len(a.Numbers), cmp.Compare(a.Customer, b.Customer))
	})
	slices.SortFunc(r.Prevention, func(a, b PreventionMeasure) int { return cmp.Compare(a.Number, b.Number) })
}

func tally(m map[string]*CategoryCount, path []string) {
	key := strings.Join(path, "\x1f")
	c := m[key]
	if c == nil {
		c = &CategoryCount{Path: path}
		m[key] = c
	}
	c.Count.Count++
}

// sortedCounts lists the categories by count, most first, then by name.
func sortedCounts(m map[string]*CategoryCount, total int) []CategoryCount {
	out := make([]CategoryCount, 0, len(m))
	for _, c := range m {
		c.Share = share(c.Count.Count, total)
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b CategoryCount) int {
		return cmp.Or(b.Count.Count-a.Count.Count, cmp.Compare(a.Name(), b.Name()))
	})
	return out
}

func ratingsOf(m map[Satisfaction]int) Ratings {
	return Ratings{Satisfied: m[SatisfactionSatisfied], Basically: m[SatisfactionBasically], Unsatisfied: m[SatisfactionUnsatisfied]}
}

func share(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}

// ChartWidth and ChartHeight are the size of a report's chart, in pixels.
const ChartWidth, ChartHeight = 640, 280

// Chart draws the volume by sub-category as a PNG bar chart, the bars
// keyed 1, 2, 3 … in the order of r.Subcategories (a page or message
// names each key beside the image; backend/chart draws no words).
func (r *Report) Chart(w io.Writer) error {
	bars := make([]chart.Bar, 0, len(r.Subcategories))
	for i, s := range r.Subcategories {
		bars = append(bars, chart.Bar{Key: strconv.Itoa(i + 1), Value: s.Count.Count})
	}
	return chart.PNG(w, bars, ChartWidth, ChartHeight)
}

package sla

import (
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed holidays_cn.yaml
var holidaysCN []byte

// day is a calendar date in the calendar's zone.
type day struct {
	y int
	m time.Month
	d int
}

func dayOf(t time.Time) day { y, m, d := t.Date(); return day{y, m, d} }

// Holidays is the table of public holidays and make-up workdays (调休) per
// year, in the format of holidays_cn.yaml.
type Holidays map[int]HolidayYear

// HolidayYear is one year of the table.
type HolidayYear struct {
	Holidays []HolidaySpan `yaml:"holidays"`
	Workdays []string      `yaml:"workdays"` // weekend days that are worked (调休上班), YYYY-MM-DD
}

// HolidaySpan is one holiday, both ends included.
type HolidaySpan struct {
	Name string `yaml:"name"`
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// DefaultHolidays returns the embedded table (China, 2025 and 2026).
func DefaultHolidays() Holidays {
	h, err := ParseHolidays(strings.NewReader(string(holidaysCN)), "holidays_cn.yaml")
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return h
}

// ParseHolidays reads a holiday table; errors name the file and line.
func ParseHolidays(r io.Reader, name string) (Holidays, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(r).Decode(&doc); err != nil {
		if err == io.EOF {
			return Holidays{}, nil
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var h Holidays
	if err := doc.Decode(&h); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// Check every date, reporting the line it is on.
	var check func(n *yaml.Node) error
	check = func(n *yaml.Node) error {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if (k.Value == "from" || k.Value == "to") && v.Kind == yaml.ScalarNode {
					if _, err := time.Parse(time.DateOnly, v.Value); err != nil {
						return fmt.Errorf("%s:%d: %s %q is not a date like 2026-10-01", name, v.Line, k.Value, v.Value)
					}
				}
				if k.Value == "workdays" && v.Kind == yaml.SequenceNode {
					for _, d := range v.Content {
						if _, err := time.Parse(time.DateOnly, d.Value); err != nil {
							return fmt.Errorf("%s:%d: workday %q is not a date like 2026-10-10", name, d.Line, d.Value)
						}
					}
				}
			}
		}
		for _, c := range n.Content {
			if err := check(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := check(&doc); err != nil {
		return nil, err
	}
	for y, hy := range h {
		for _, s := range hy.Holidays {
			from, _ := time.Parse(time.DateOnly, s.From)
			to, _ := time.Parse(time.DateOnly, s.To)
			if to.Before(from) {
				return nil, fmt.Errorf("%s: %d holiday %s ends (%s) before it starts (%s)", name, y, s.Name, s.To, s.From)
			}
		}
	}
	return h, nil
}

// Merge returns h with the years of over replacing its own (an admin's
// override file adds or corrects whole years).
func (h Holidays) Merge(over Holidays) Holidays {
	out := Holidays{}
	for y, v := range h {
		out[y] = v
	}
	for y, v := range over {
		out[y] = v
	}
	return out
}

// Calendar is a work calendar: working hours on working days in one zone.
// A working day is Monday to Friday, minus public holidays, plus make-up
// workdays. Business-time arithmetic counts only working hours.
// A Calendar is safe for concurrent use.
type Calendar struct {
	loc        *time.Location
	start, end time.Duration // working hours as offsets from midnight
	off, on    map[day]bool  // holidays, make-up workdays
	years      map[int]bool  // years the table covers
	log        *slog.Logger

	mu     sync.Mutex
	warned map[int]bool
}

// CalendarConfig describes a Calendar; zero values take the defaults.
type CalendarConfig struct {
	// Location of the working hours. Default Asia/Shanghai.
	Location *time.Location
	// Start and End of the working day as offsets from midnight. Default
	// 09:00–18:00.
	Start, End time.Duration
	// Holidays is the holiday table. Default DefaultHolidays().
	Holidays Holidays
	// Logger gets a warning, once per year, when a computation touches a
	// year the table does not cover (plain weekends are used then).
	Logger *slog.Logger
}

// NewCalendar builds a calendar. EINVALID-style errors name the field.
func NewCalendar(cfg CalendarConfig) (*Calendar, error) {
	if cfg.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			loc = time.FixedZone("CST", 8*3600)
		}
		cfg.Location = loc
	}
	if cfg.Start == 0 && cfg.End == 0 {
		cfg.Start, cfg.End = 9*time.Hour, 18*time.Hour
	}
	if cfg.Start < 0 || cfg.End > 24*time.Hour || cfg.End <= cfg.Start {
		return nil, fmt.Errorf("working hours %s–%s: the end must be after the start, within one day", cfg.Start, cfg.End)
	}
	if cfg.Holidays == nil {
		cfg.Holidays = DefaultHolidays()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Calendar{loc: cfg.Location, start: cfg.Start, end: cfg.End, off: map[day]bool{}, on: map[day]bool{},
		years: map[int]bool{}, log: cfg.Logger, warned: map[int]bool{}}
	for y, hy := range cfg.Holidays {
		c.years[y] = true
		for _, s := range hy.Holidays {
			from, err1 := time.Parse(time.DateOnly, s.From)
			to, err2 := time.Parse(time.DateOnly, s.To)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("holiday %s of %d: bad dates %q–%q", s.Name, y, s.From, s.To)
			}
			for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
				c.off[dayOf(d)] = true
			}
		}
		for _, w := range hy.Workdays {
			d, err := time.Parse(time.DateOnly, w)
			if err != nil {
				return nil, fmt.Errorf("workday %q of %d: not a date", w, y)
			}
			c.on[dayOf(d)] = true
		}
	}
	return c, nil
}

// Location is the calendar's zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// DayLength is the length of one working day (a workday of business time).
func (c *Calendar) DayLength() time.Duration { return c.end - c.start }

// IsWorkday reports whether the day of t (in the calendar's zone) is worked.
func (c *Calendar) IsWorkday(t time.Time) bool { return c.isWorkday(dayOf(t.In(c.loc))) }

func (c *Calendar) isWorkday(d day) bool {
	if !c.years[d.y] {
		c.warnYear(d.y)
	}
	if c.on[d] {
		return true
	}
	if c.off[d] {
		return false
	}
	wd := time.Date(d.y, d.m, d.d, 12, 0, 0, 0, time.UTC).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

func (c *Calendar) warnYear(y int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.warned[y] {
		return
	}
	c.warned[y] = true
	c.log.Warn("sla: no holidays known for this year; counting plain weekends (add it with SLA_HOLIDAYS_FILE)", "year", y)
}

// bounds returns the working hours of the day of t.
func (c *Calendar) bounds(d day) (time.Time, time.Time) {
	mid := time.Date(d.y, d.m, d.d, 0, 0, 0, 0, c.loc)
	return mid.Add(c.start), mid.Add(c.end)
}

// maxDays bounds every walk over the calendar (a budget can't need more).
const maxDays = 3 * 366

// AddBusiness returns the moment d of working time after t. A t outside
// working hours starts counting at the next working moment; d ≤ 0 returns t.
func (c *Calendar) AddBusiness(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	t = t.In(c.loc)
	cur := dayOf(t)
	for i := 0; i < maxDays; i++ {
		if c.isWorkday(cur) {
			s, e := c.bounds(cur)
			if t.After(s) {
				s = t
			}
			if s.Before(e) {
				if left := e.Sub(s); d <= left {
					return s.Add(d)
				} else {
					d -= left
				}
			}
		}
		n := time.Date(cur.y, cur.m, cur.d+1, 0, 0, 0, 0, c.loc)
		cur, t = dayOf(n), n
	}
	return t
}

// AddWorkdays returns the moment n working days of business time after t:
// from a working moment, the same time of day on the n-th working day
// after ("3 workdays" in seed 002).
func (c *Calendar) AddWorkdays(t time.Time, n int) time.Time {
	return c.AddBusiness(t, time.Duration(n)*c.DayLength())
}

// Between returns the working time from a to b (0 if b is not after a).
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	a, b = a.In(c.loc), b.In(c.loc)
	var sum time.Duration
	cur := dayOf(a)
	for i := 0; i < maxDays*10; i++ {
		s, e := c.bounds(cur)
		if !s.Before(b) {
			break
		}
		if c.isWorkday(cur) {
			if a.After(s) {
				s = a
			}
			if b.Before(e) {
				e = b
			}
			if e.After(s) {
				sum += e.Sub(s)
			}
		}
		cur = dayOf(time.Date(cur.y, cur.m, cur.d+1, 0, 0, 0, 0, c.loc))
	}
	return sum
}

// EndOfWorkday returns the end of working hours on the first working day
// at or after t whose end is after t: the moment a "before end of day"
// progress report is due.
func (c *Calendar) EndOfWorkday(t time.Time) time.Time {
	t = t.In(c.loc)
	cur := dayOf(t)
	for i := 0; i < maxDays; i++ {
		if c.isWorkday(cur) {
			if _, e := c.bounds(cur); e.After(t) {
				return e
			}
		}
		cur = dayOf(time.Date(cur.y, cur.m, cur.d+1, 0, 0, 0, 0, c.loc))
	}
	return t
}

// Next returns the first moment after t that falls on weekday wd at the
// given time of day, in the calendar's zone (the weekly P4 batch, Monday
// 09:00). Holidays do not move it.
func (c *Calendar) Next(t time.Time, wd time.Weekday, at time.Duration) time.Time {
	t = t.In(c.loc)
	for i := 0; i < 8; i++ {
		d := time.Date(t.Year(), t.Month(), t.Day()+i, 0, 0, 0, 0, c.loc).Add(at)
		if d.Weekday() == wd && d.After(t) {
			return d
		}
	}
	return t.AddDate(0, 0, 7)
}

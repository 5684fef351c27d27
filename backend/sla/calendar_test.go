package sla

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

var cst = time.FixedZone("CST", 8*3600)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func newCal(tb testing.TB) *Calendar {
	tb.Helper()
	c, err := NewCalendar(CalendarConfig{Location: cst})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestCalendarIsWorkday(t *testing.T) {
	c := newCal(t)
	for _, tc := range []struct {
		day  string
		want bool
	}{
		{"2026-10-10 12:00", true},  // Saturday, 调休 make-up workday after National Day
		{"2026-10-03 12:00", false}, // Saturday inside the holiday
		{"2026-10-05 12:00", false}, // Monday inside the holiday
		{"2026-10-09 12:00", true},  // ordinary Friday
		{"2026-02-14 12:00", true},  // Saturday before Spring Festival, worked
		{"2026-02-23 12:00", false}, // last day of Spring Festival (Monday)
		{"2025-09-28 12:00", true},  // Sunday, worked
		{"2026-11-22 12:00", false}, // ordinary Sunday
		{"2027-10-01 12:00", true},  // 2027 unpublished: a plain Friday
		{"2027-01-02 12:00", false}, // 2027: a plain Saturday
	} {
		if got := c.IsWorkday(at(tc.day)); got != tc.want {
			t.Errorf("IsWorkday(%s) = %v, want %v", tc.day, got, tc.want)
		}
	}
}

func TestCalendarAdd(t *testing.T) {
	c := newCal(t)
	for _, tc := range []struct {
		name     string
		from     string
		hours    time.Duration
		workdays int
		want     string
	}{
		// A P2 opened on Friday 17:30 before the Spring Festival week
		// (15–23 Feb 2026 off, Saturday 14 Feb worked).
		{"P2 confirm 2h before Spring Festival", "2026-02-13 17:30", 2 * time.Hour, 0, "2026-02-14 10:30"},
		{"P2 solve 3 workdays across Spring Festival", "2026-02-13 17:30", 0, 3, "2026-02-25 17:30"},
		{"P2 first handling 12h across Spring Festival", "2026-02-13 17:30", 12 * time.Hour, 0, "2026-02-24 11:30"},
		// Friday 17:30 before National Day 2025 (Sunday 28 Sep worked, 1–8 Oct off).
		{"P2 confirm before National Day 2025", "2025-09-26 17:30", 2 * time.Hour, 0, "2025-09-28 10:30"},
		{"P2 solve before National Day 2025", "2025-09-26 17:30", 0, 3, "2025-09-30 17:30"},
		{"P3 solve 7 workdays over National Day 2025", "2025-09-30 10:00", 0, 7, "2025-10-16 10:00"},
		// The 调休 Saturday counts as a workday.
		{"make-up Saturday counts", "2026-10-09 17:00", 2 * time.Hour, 0, "2026-10-10 10:00"},
		{"before hours starts at 09:00", "2026-11-23 07:00", time.Hour, 0, "2026-11-23 10:00"},
		{"after hours moves to next day", "2026-11-23 20:00", time.Hour, 0, "2026-11-24 10:00"},
		{"exactly to the end of day", "2026-11-23 17:00", time.Hour, 0, "2026-11-23 18:00"},
		{"weekend skipped", "2026-11-20 17:00", 2 * time.Hour, 0, "2026-11-23 10:00"},
		{"zero is now", "2026-11-22 03:00", 0, 0, "2026-11-22 03:00"},
		{"2027 falls back to weekends", "2027-09-30 17:00", 2 * time.Hour, 0, "2027-10-01 10:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got time.Time
			if tc.workdays > 0 {
				got = c.AddWorkdays(at(tc.from), tc.workdays)
			} else {
				got = c.AddBusiness(at(tc.from), tc.hours)
			}
			if want := at(tc.want); !got.Equal(want) {
				t.Fatalf("got %s, want %s", got.In(cst).Format("2006-01-02 15:04 Mon"), want.Format("2006-01-02 15:04 Mon"))
			}
			// Between is the inverse of Add for moments inside working hours.
			if from := at(tc.from); tc.workdays > 0 || (tc.hours > 0 && c.IsWorkday(from) && from.Hour() >= 9 && from.Hour() < 18) {
				want := tc.hours + time.Duration(tc.workdays)*c.DayLength()
				if b := c.Between(from, got); b != want {
					t.Fatalf("Between = %s, want %s", b, want)
				}
			}
		})
	}
}

func TestCalendarBetween(t *testing.T) {
	c := newCal(t)
	for _, tc := range []struct {
		from, to string
		want     time.Duration
	}{
		{"2026-02-13 17:30", "2026-02-25 17:30", 27 * time.Hour},
		{"2026-11-21 10:00", "2026-11-22 23:00", 0}, // weekend
		{"2026-11-23 07:00", "2026-11-23 09:30", 30 * time.Minute},
		{"2026-11-23 12:00", "2026-11-23 11:00", 0},
		{"2026-10-01 00:00", "2026-10-11 00:00", 27 * time.Hour}, // 8, 9 and the worked Saturday 10 Oct
	} {
		if got := c.Between(at(tc.from), at(tc.to)); got != tc.want {
			t.Errorf("Between(%s, %s) = %s, want %s", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestCalendarEndOfWorkdayAndNext(t *testing.T) {
	c := newCal(t)
	if got, want := c.EndOfWorkday(at("2026-02-13 19:00")), at("2026-02-14 18:00"); !got.Equal(want) {
		t.Errorf("EndOfWorkday = %s, want %s", got, want)
	}
	if got, want := c.EndOfWorkday(at("2026-11-23 10:00")), at("2026-11-23 18:00"); !got.Equal(want) {
		t.Errorf("EndOfWorkday = %s, want %s", got, want)
	}
	if got, want := c.Next(at("2026-11-23 09:00"), time.Monday, 9*time.Hour), at("2026-11-30 09:00"); !got.Equal(want) {
		t.Errorf("Next Monday = %s, want %s", got, want)
	}
	if got, want := c.Next(at("2026-11-22 10:00"), time.Monday, 9*time.Hour), at("2026-11-23 09:00"); !got.Equal(want) {
		t.Errorf("Next Monday = %s, want %s", got, want)
	}
}

func TestCalendarMissingYearWarnsOnce(t *testing.T) {
	var buf bytes.Buffer
	c, err := NewCalendar(CalendarConfig{Location: cst, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	c.AddWorkdays(at("2027-03-01 10:00"), 5)
	c.IsWorkday(at("2027-05-01 10:00"))
	if n := strings.Count(buf.String(), "year=2027"); n != 1 {
		t.Fatalf("warnings for 2027 = %d, want 1:\n%s", n, buf.String())
	}
}

func TestHolidaysOverride(t *testing.T) {
	over, err := ParseHolidays(strings.NewReader(`
2027:
  holidays:
    - {name: 国庆节, from: 2027-10-01, to: 2027-10-07}
  workdays: [2027-10-09]
`), "over.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCalendar(CalendarConfig{Location: cst, Holidays: DefaultHolidays().Merge(over)})
	if err != nil {
		t.Fatal(err)
	}
	if c.IsWorkday(at("2027-10-01 10:00")) || !c.IsWorkday(at("2027-10-09 10:00")) || !c.IsWorkday(at("2026-10-10 10:00")) {
		t.Fatal("override not applied or default years lost")
	}
}

func TestParseHolidaysErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2027:\n  holidays:\n    - {name: x, from: 2027-13-01, to: 2027-13-02}\n", "f.yaml:3: from \"2027-13-01\""},
		{"2027:\n  workdays: [tomorrow]\n", "f.yaml:2: workday \"tomorrow\""},
		{"2027:\n  holidays:\n    - {name: x, from: 2027-10-02, to: 2027-10-01}\n", "ends (2027-10-01) before"},
		{"2027: [", "f.yaml"},
	} {
		_, err := ParseHolidays(strings.NewReader(tc.in), "f.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseHolidays(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

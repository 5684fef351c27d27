package dialogs

import (
	"testing"
	"time"
)

func TestParseDateTime(t *testing.T) {
	loc := shanghai()
	now := time.Date(2026, 11, 20, 15, 4, 5, 0, loc) // Friday afternoon
	at := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, loc) }
	ok := []struct {
		in       string
		want     time.Time
		dateOnly bool
	}{
		{"now", at(2026, 11, 20, 15, 4), false},
		{"现在", at(2026, 11, 20, 15, 4), false},
		{"刚才", at(2026, 11, 20, 15, 4), false},
		{"today 14:30", at(2026, 11, 20, 14, 30), false},
		{"Today at 14:30", at(2026, 11, 20, 14, 30), false},
		{"today 2:30pm", at(2026, 11, 20, 14, 30), false},
		{"今天14:30", at(2026, 11, 20, 14, 30), false},
		{"今天 14：30", at(2026, 11, 20, 14, 30), false}, // full-width colon
		{"今天１４:３０", at(2026, 11, 20, 14, 30), false},  // full-width digits
		{"今天下午3点", at(2026, 11, 20, 15, 0), false},
		{"今天下午三点", at(2026, 11, 20, 15, 0), false},
		{"今天下午两点半", at(2026, 11, 20, 14, 30), false},
		{"今天上午10点15分", at(2026, 11, 20, 10, 15), false},
		{"今天中午12点", at(2026, 11, 20, 12, 0), false},
		{"今天中午1点", at(2026, 11, 20, 13, 0), false},
		{"今天凌晨2点", at(2026, 11, 20, 2, 0), false},
		{"14:30", at(2026, 11, 20, 14, 30), false},
		{"上午9点", at(2026, 11, 20, 9, 0), false},
		{"yesterday 9:00", at(2026, 11, 19, 9, 0), false},
		{"yesterday 9am", at(2026, 11, 19, 9, 0), false},
		{"昨天上午9点", at(2026, 11, 19, 9, 0), false},
		{"昨天晚上8点", at(2026, 11, 19, 20, 0), false},
		{"昨天晚上十一点四十五", at(2026, 11, 19, 23, 45), false},
		{"昨天", at(2026, 11, 19, 0, 0), true},
		{"前天", at(2026, 11, 18, 0, 0), true},
		{"前天下午4点", at(2026, 11, 18, 16, 0), false},
		{"today", at(2026, 11, 20, 0, 0), true},
		{"11-20 10:00", at(2026, 11, 20, 10, 0), false},
		{"11/19 23:59", at(2026, 11, 19, 23, 59), false},
		{"11月20日 10点", at(2026, 11, 20, 10, 0), false},
		{"11月19号下午3点", at(2026, 11, 19, 15, 0), false},
		// As people say it.
		{"昨晚8点", at(2026, 11, 19, 20, 0), false},
		{"今早9点", at(2026, 11, 20, 9, 0), false},
		{"昨天下午", at(2026, 11, 19, 0, 0), true}, // the day; no hour was given
		{"昨晚", at(2026, 11, 19, 0, 0), true},
		{"今天上午", at(2026, 11, 20, 0, 0), true},
		{"19号晚上9点", at(2026, 11, 19, 21, 0), false},
		{"28号", at(2026, 10, 28, 0, 0), true},          // more than a week ahead: last month's
		{"12-30 08:00", at(2025, 12, 30, 8, 0), false}, // more than a week ahead: last year's
		{"一个半小时前", at(2026, 11, 20, 13, 34), false},
		{"周三", at(2026, 11, 18, 0, 0), true},
		{"星期五下午3点", at(2026, 11, 20, 15, 0), false},
		{"周日", at(2026, 11, 15, 0, 0), true},
		{"上周五", at(2026, 11, 13, 0, 0), true},
		{"上个礼拜一", at(2026, 11, 9, 0, 0), true},
		{"两点", at(2026, 11, 20, 14, 0), false}, // in the afternoon, 2 o'clock is 14:00
		{"今天3点多", at(2026, 11, 20, 15, 0), false},
		{"今天4点", at(2026, 11, 20, 4, 0), false},    // 16:00 has not come yet
		{"昨天晚上12点", at(2026, 11, 20, 0, 0), false}, // midnight
		{"昨天9点", at(2026, 11, 19, 9, 0), false},    // on a past day, 7–11 are the morning
		{"昨天3点", at(2026, 11, 19, 15, 0), false},   // and 1–6 the working afternoon
		{"31号", at(2026, 10, 31, 0, 0), true},      // November has no 31st: last month's
		{"11月19日 10点", at(2026, 11, 19, 10, 0), false},
		{"2026-11-20 10:00", at(2026, 11, 20, 10, 0), false},
		{"2026/11/20 10:00:30", time.Date(2026, 11, 20, 10, 0, 30, 0, loc), false},
		{"2026-11-20T10:00", at(2026, 11, 20, 10, 0), false},
		{"2026年11月20日 上午10点", at(2026, 11, 20, 10, 0), false},
		{"2026-02-28", at(2026, 2, 28, 0, 0), true},
		{"2026-11-20T10:00:00+08:00", at(2026, 11, 20, 10, 0), false},
		{"2026-11-20T02:00:00Z", at(2026, 11, 20, 10, 0), false},
		{"10 minutes ago", at(2026, 11, 20, 14, 54), false},
		{"2小时前", at(2026, 11, 20, 13, 4), false},
		{"半小时前", at(2026, 11, 20, 14, 34), false},
		{"三天前", at(2026, 11, 17, 15, 4), false},
		{"today 15:05", at(2026, 11, 20, 15, 5), false}, // within a minute of now
		{"大概昨天下午3点左右", at(2026, 11, 19, 15, 0), false},
	}
	for _, tc := range ok {
		t.Run("OK/"+tc.in, func(t *testing.T) {
			got, p := ParseDateTime(tc.in, now, loc)
			if p != nil {
				t.Fatalf("ParseDateTime(%q): %v", tc.in, p)
			}
			if !got.Time.Equal(tc.want) || got.DateOnly != tc.dateOnly {
				t.Fatalf("ParseDateTime(%q) = %v (date only %v), want %v (%v)", tc.in, got.Time, got.DateOnly, tc.want, tc.dateOnly)
			}
			if got.Time.Location() != loc {
				t.Fatalf("location %v, want %v", got.Time.Location(), loc)
			}
		})
	}
	bad := []struct{ in, key string }{
		{"", "dialog.err.datetime.format"},
		{"sometime", "dialog.err.datetime.format"},
		{"today 3", "dialog.err.datetime.format"}, // 3 what?
		{"today 16:00", "dialog.err.datetime.future"},
		{"今天下午5点", "dialog.err.datetime.future"},
		{"明天上午9点", "dialog.err.datetime.future"},
		{"tomorrow 9:00", "dialog.err.datetime.future"},
		{"后天", "dialog.err.datetime.future"},
		{"2026-11-21", "dialog.err.datetime.future"},
		{"11-26", "dialog.err.datetime.future"}, // this year's, days away: not last year's
		{"11-27", "dialog.err.datetime.future"}, // a week ahead
		{"21号", "dialog.err.datetime.future"},
		{"周", "dialog.err.datetime.format"},
		{"2027-01-01 00:00", "dialog.err.datetime.future"},
		{"2026-11-20T20:00:00+08:00", "dialog.err.datetime.future"},
		{"今天25:00", "dialog.err.datetime.bad_time"},
		{"today 14:60", "dialog.err.datetime.bad_time"},
		{"今天上午15点", "dialog.err.datetime.bad_time"},
		{"today 15pm", "dialog.err.datetime.bad_time"},
		{"2026-02-30 10:00", "dialog.err.datetime.bad_date"},
		{"13-01 10:00", "dialog.err.datetime.bad_date"},
		{"02-29", "dialog.err.datetime.bad_date"}, // 2026 is no leap year
		{"1969-12-31", "dialog.err.datetime.bad_date"},
	}
	for _, tc := range bad {
		t.Run("Err/"+tc.in, func(t *testing.T) {
			got, p := ParseDateTime(tc.in, now, loc)
			if p == nil {
				t.Fatalf("ParseDateTime(%q) = %v, want %s", tc.in, got.Time, tc.key)
			}
			if p.Key != tc.key {
				t.Fatalf("ParseDateTime(%q): %v, want %s", tc.in, p, tc.key)
			}
		})
	}
}

// TestParseDateTimeLastYear: a day without a year that is months away is
// last year's.
func TestParseDateTimeLastYear(t *testing.T) {
	loc := shanghai()
	now := time.Date(2027, 1, 5, 10, 0, 0, 0, loc)
	got, p := ParseDateTime("12-30 08:00", now, loc)
	if p != nil || !got.Time.Equal(time.Date(2026, 12, 30, 8, 0, 0, 0, loc)) {
		t.Fatalf("12-30 08:00 in January = %v, %v; want last December", got.Time, p)
	}
}

func TestParseDateTimeFutureReason(t *testing.T) {
	loc := shanghai()
	now := time.Date(2026, 11, 20, 15, 4, 5, 0, loc)
	_, p := ParseDateTime("今天下午5点", now, loc)
	if p == nil || p.Data["When"] != "2026-11-20 17:00" || p.Data["Now"] != "2026-11-20 15:04" {
		t.Fatalf("future problem = %v, want When and Now filled", p)
	}
}

func TestCNNumber(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "7": 7, "12": 12, "零": 0, "一": 1, "两": 2, "十": 10, "十一": 11, "二十": 20, "二十三": 23, "五十九": 59, "十十": -1, "一十": -1, "三百": -1, "x": -1} {
		if got := cnNumber(in); got != want {
			t.Errorf("cnNumber(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzParseDateTime: whatever the input, the parser does not panic, and a
// moment it accepts is in the engine's zone and never in the future.
func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"now", "今天14:30", "今天下午3点", "昨天上午9点", "前天", "11-20 10:00", "2026-11-20 10:00",
		"2026-11-20T10:00:00+08:00", "10 minutes ago", "两小时前", "today 3pm", "今天25:00", "２０２６－１１－２０", "12-31", "02-29 1:00",
		"昨天晚上十二点", "9999-12-31 23:59", "today at 12am", "十一月"} {
		f.Add(s)
	}
	loc := shanghai()
	now := time.Date(2026, 11, 20, 15, 4, 5, 0, loc)
	f.Fuzz(func(t *testing.T, s string) {
		got, p := ParseDateTime(s, now, loc)
		if p != nil {
			if p.Key == "" {
				t.Fatalf("problem without a key for %q", s)
			}
			return
		}
		if got.Time.After(now.Add(futureSlack)) {
			t.Fatalf("ParseDateTime(%q) = %v: in the future", s, got.Time)
		}
		if got.Time.Location() != loc {
			t.Fatalf("ParseDateTime(%q): zone %v", s, got.Time.Location())
		}
		// What the summary shows parses back to the same moment.
		again, p := ParseDateTime(got.Format(), now, loc)
		if p != nil || !again.Time.Equal(got.Time.Truncate(time.Minute)) {
			t.Fatalf("round trip of %q via %q = %v, %v", s, got.Format(), again.Time, p)
		}
	})
}

package dialogs

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DateTime is a parsed "occurred at" answer. DateOnly is set when the
// reporter gave a day without a time ("前天", "2026-11-20"); Time is then
// the start of that day.
type DateTime struct {
	Time     time.Time `json:"t"`
	DateOnly bool      `json:"d,omitempty"`
}

// Format renders the value the way the summary shows it.
func (d DateTime) Format() string {
	if d.DateOnly {
		return d.Time.Format("2006-01-02")
	}
	return d.Time.Format("2006-01-02 15:04")
}

// futureDays is how far ahead a day named without its month or year
// ("21号", "11-26") is taken as a slip into the future, and refused, rather
// than as last month's or last year's.
const futureDays = 7

// futureSlack tolerates a reporter's clock, or typing "14:31" at 14:30:40.
const futureSlack = time.Minute

var (
	reDTNow = regexp.MustCompile(`^(now|right now|just now|现在|刚刚|刚才|此刻)$`)
	reDTAgo = regexp.MustCompile(`^(\d{1,4}|[零〇一二两三四五六七八九十]{1,3}|半)\s*(个)?\s*(半)?\s*(分钟|分|mins?|minutes?|小时|钟头|h|hrs?|hours?|天|days?)\s*(之前|以前|前|ago)$`)
	reDTDay = regexp.MustCompile(`^(today|yesterday|the day before yesterday|day before yesterday|tomorrow|the day after tomorrow|day after tomorrow|今天|今日|昨天|昨日|前天|明天|明日|后天|昨晚|昨早|今早|今晚)\s*,?\s*`)
	// A day of this month (19号 is 19日 by then), a weekday of this or last
	// week: 周三, 星期五, 上周五, 上个礼拜一.
	reDTDayOfMonth = regexp.MustCompile(`^(\d{1,2})\s*日`)
	reDTWeekday    = regexp.MustCompile(`^(上)?\s*(?:个)?\s*(?:周|星期|礼拜)([一二三四五六日天])`)
	reDTYMD        = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?`)
	reDTMD         = regexp.MustCompile(`^(\d{1,2})\s*[-/月]\s*(\d{1,2})\s*日?`)
	reDTTime       = regexp.MustCompile(`^(上午|早上|早晨|清晨|早|凌晨|中午|下午|午后|傍晚|晚上|夜里|夜间|晚)?\s*` +
		`(\d{1,2}|[零〇一二两三四五六七八九十]{1,3})\s*` +
		`(?:(:)\s*(\d{1,2})(?::(\d{1,2}))?|([点时])\s*(?:(半)|(一刻)|(三刻)|(\d{1,2}|[零〇一二两三四五六七八九十]{1,3})\s*分?)?)?` +
		`\s*(am|pm|a\.m\.|p\.m\.)?$`)
)

// ParseDateTime reads when something happened, in loc, relative to now:
//
//	now, 现在, 刚才, 10 minutes ago, 2小时前
//	today 14:30, 今天14:30, 今天下午3点, 今天下午三点半, 14:30 (today)
//	yesterday 9:00, 昨天上午9点, 前天, 前天晚上8点, 昨晚8点, 今早9点, 昨天晚上12点 (midnight)
//	昨天下午, 昨晚 (the day alone: no hour was given), 一个半小时前, 3点多
//	两点 (14:00 once it has passed, else 2:00), 19号晚上9点, 周三, 上周五
//	11-20 10:00, 11月20日 10点 (this year, or last year if this year's is more than a week away)
//	2026-11-20 10:00, 2026/11/20, 2026年11月20日 上午10点
//	RFC 3339: 2026-11-20T10:00:00+08:00
//
// Full-width digits and colons are accepted. A moment in the future is
// refused, with the moment and the current time in the reason.
func ParseDateTime(s string, now time.Time, loc *time.Location) (DateTime, *Problem) {
	now = now.In(loc)
	orig := strings.TrimSpace(s)
	if orig == "" {
		return DateTime{}, problem("dialog.err.datetime.format")
	}
	if t, err := time.Parse(time.RFC3339, normalizeInput(orig)); err == nil {
		if y, m, d := t.In(loc).Date(); !validDate(y, int(m), d) {
			return DateTime{}, problem("dialog.err.datetime.bad_date", "Value", t.In(loc).Format(time.DateOnly))
		}
		return checkPast(DateTime{Time: t.In(loc)}, now)
	}
	in := strings.ToLower(normalizeInput(orig))
	in = timeFillers.Replace(in)
	in = strings.TrimSpace(in)

	if reDTNow.MatchString(in) {
		return DateTime{Time: now.Truncate(time.Minute)}, nil
	}
	if m := reDTAgo.FindStringSubmatch(in); m != nil {
		return parseAgo(m, now)
	}

	y, mo, d := now.Date()
	dated := false
	rest := in
	switch {
	case reDTDay.MatchString(in):
		m := reDTDay.FindStringSubmatch(in)
		switch m[1] {
		case "yesterday", "昨天", "昨日":
			y, mo, d = now.AddDate(0, 0, -1).Date()
		case "the day before yesterday", "day before yesterday", "前天":
			y, mo, d = now.AddDate(0, 0, -2).Date()
		case "tomorrow", "明天", "明日": // understood, and refused as the future
			y, mo, d = now.AddDate(0, 0, 1).Date()
		case "the day after tomorrow", "day after tomorrow", "后天":
			y, mo, d = now.AddDate(0, 0, 2).Date()
		case "昨晚", "昨早":
			y, mo, d = now.AddDate(0, 0, -1).Date()
		}
		dated, rest = true, in[len(m[0]):]
		switch m[1] { // the day and a part of it in one word
		case "昨晚", "今晚":
			rest = "晚上" + rest
		case "昨早", "今早":
			rest = "早上" + rest
		}
	case reDTWeekday.MatchString(in):
		m := reDTWeekday.FindStringSubmatch(in)
		want := max(strings.Index("日一二三四五六", m[2])/3, 0) // time.Weekday; 天 is 日
		// 周三: the most recent Wednesday, today included. 上周三: the
		// Wednesday of last week, weeks starting on Monday.
		day := now.AddDate(0, 0, -((int(now.Weekday()) - want + 7) % 7))
		if m[1] != "" {
			monday := now.AddDate(0, 0, -((int(now.Weekday())+6)%7)-7)
			day = monday.AddDate(0, 0, (want+6)%7)
		}
		y, mo, d = day.Date()
		dated, rest = true, in[len(m[0]):]
	case reDTDayOfMonth.MatchString(in):
		m := reDTDayOfMonth.FindStringSubmatch(in)
		dd, _ := strconv.Atoi(m[1])
		yy, mm := now.Year(), now.Month()
		if dd > now.Day()+futureDays || !validDate(yy, int(mm), dd) { // the most recent such day: last month's
			yy, mm, _ = now.AddDate(0, -1, 1-now.Day()).Date()
		}
		if !validDate(yy, int(mm), dd) {
			return DateTime{}, problem("dialog.err.datetime.bad_date", "Value", strings.TrimSpace(m[0]))
		}
		y, mo, d = yy, mm, dd
		dated, rest = true, in[len(m[0]):]
	case reDTYMD.MatchString(in):
		m := reDTYMD.FindStringSubmatch(in)
		yy, _ := strconv.Atoi(m[1])
		mm, _ := strconv.Atoi(m[2])
		dd, _ := strconv.Atoi(m[3])
		if !validDate(yy, mm, dd) {
			return DateTime{}, problem("dialog.err.datetime.bad_date", "Value", strings.TrimSpace(m[0]))
		}
		y, mo, d = yy, time.Month(mm), dd
		dated, rest = true, in[len(m[0]):]
	case reDTMD.MatchString(in):
		m := reDTMD.FindStringSubmatch(in)
		mm, _ := strconv.Atoi(m[1])
		dd, _ := strconv.Atoi(m[2])
		// Without a year, this year's day, or last year's when this year's
		// is more than a week away: in January "12-30" means last
		// December, while "11-26" on 11-24 is the future, and refused.
		yy := now.Year()
		if validDate(yy, mm, dd) && time.Date(yy, time.Month(mm), dd, 0, 0, 0, 0, loc).After(now.AddDate(0, 0, futureDays)) {
			yy--
		}
		if !validDate(yy, mm, dd) {
			return DateTime{}, problem("dialog.err.datetime.bad_date", "Value", strings.TrimSpace(m[0]))
		}
		y, mo, d = yy, time.Month(mm), dd
		dated, rest = true, in[len(m[0]):]
	}
	rest = strings.TrimSpace(rest)
	rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(rest, "t"), "at "))
	rest = strings.TrimPrefix(rest, "的")
	if rest == "" {
		if !dated {
			return DateTime{}, problem("dialog.err.datetime.format")
		}
		return checkPast(DateTime{Time: time.Date(y, mo, d, 0, 0, 0, 0, loc), DateOnly: true}, now)
	}
	if dated && dayParts[rest] { // 昨天下午: the day, without an hour nobody gave
		return checkPast(DateTime{Time: time.Date(y, mo, d, 0, 0, 0, 0, loc), DateOnly: true}, now)
	}
	h, mi, sec, p := parseClock(rest)
	if p != nil {
		return DateTime{}, p
	}
	at := time.Date(y, mo, d, h, mi, sec, 0, loc)
	// An hour with no part of the day ("2点"): today, of 2:00 and 14:00
	// the later one that has passed, as people say it in the afternoon;
	// on a past day 1–6 are the working afternoon and 7–11 the morning
	// ("昨天3点" is 15:00, "昨天9点" 9:00).
	if bareHour(rest) && h >= 1 && h <= 11 {
		ny, nm, nd := now.Date()
		pm := at.Add(12 * time.Hour)
		switch today := y == ny && mo == nm && d == nd; {
		case today && !pm.After(now.Add(futureSlack)):
			at = pm
		case !today && h <= 6:
			at = pm
		}
	}
	return checkPast(DateTime{Time: at}, now)
}

// dayParts are the parts of a day that may follow a day without an hour.
var dayParts = map[string]bool{"上午": true, "早上": true, "早晨": true, "清晨": true, "凌晨": true, "中午": true,
	"下午": true, "午后": true, "傍晚": true, "晚上": true, "夜里": true, "夜间": true}

// bareHour reports whether a time of day is an hour on the clock with no
// part of the day or am/pm: "2点", "两点半", not "14:00" or "下午2点".
func bareHour(s string) bool {
	m := reDTTime.FindStringSubmatch(s)
	return m != nil && m[1] == "" && m[6] != "" && m[11] == ""
}

func parseAgo(m []string, now time.Time) (DateTime, *Problem) {
	n := 0
	half := m[1] == "半"
	if !half {
		n = cnNumber(m[1])
		if n < 0 {
			return DateTime{}, problem("dialog.err.datetime.format")
		}
	}
	var unit time.Duration
	switch u := m[4]; {
	case strings.HasPrefix(u, "分") || strings.HasPrefix(u, "min"):
		unit = time.Minute
	case u == "天" || strings.HasPrefix(u, "day"):
		unit = 24 * time.Hour
	default:
		unit = time.Hour
	}
	d := time.Duration(n) * unit
	if half {
		d = unit / 2
	} else if m[3] != "" { // 一个半小时
		d += unit / 2
	}
	if d > 400*24*time.Hour {
		return DateTime{}, problem("dialog.err.datetime.format")
	}
	return DateTime{Time: now.Add(-d).Truncate(time.Minute)}, nil
}

// parseClock reads the time-of-day part: 14:30, 9:05:10, 3pm, 下午3点,
// 下午三点半, 晚上8点15分.
func parseClock(s string) (h, mi, sec int, p *Problem) {
	m := reDTTime.FindStringSubmatch(s)
	if m == nil || (m[3] == "" && m[6] == "" && m[11] == "") {
		// A bare "3" is ambiguous: 3 o'clock, the 3rd, 3 hours ago?
		return 0, 0, 0, problem("dialog.err.datetime.format")
	}
	period, ampm := m[1], strings.ReplaceAll(m[11], ".", "")
	h = cnNumber(m[2])
	switch {
	case m[4] != "":
		mi, _ = strconv.Atoi(m[4])
		if m[5] != "" {
			sec, _ = strconv.Atoi(m[5])
		}
	case m[7] != "":
		mi = 30
	case m[8] != "":
		mi = 15
	case m[9] != "":
		mi = 45
	case m[10] != "":
		mi = cnNumber(m[10])
	}
	bad := problem("dialog.err.datetime.bad_time", "Value", s)
	if h < 0 || mi < 0 || mi > 59 || sec > 59 || h > 23 {
		return 0, 0, 0, bad
	}
	pm := ampm == "pm"
	am := ampm == "am"
	switch period {
	case "下午", "午后", "傍晚", "晚上", "夜里", "夜间", "晚":
		if am {
			return 0, 0, 0, bad
		}
		if h == 12 && period != "下午" && period != "午后" { // 晚上12点: midnight, the next day's 0:00
			return 24, mi, sec, nil
		}
		pm = true
	case "中午":
		if am {
			return 0, 0, 0, bad
		}
		if h < 11 {
			h += 12
		}
	case "上午", "早上", "早晨", "清晨", "早", "凌晨":
		if pm {
			return 0, 0, 0, bad
		}
		am = true
	}
	switch {
	case pm && h < 12:
		h += 12
	case pm && h > 12 && ampm != "":
		return 0, 0, 0, bad // "15pm"
	case am && h == 12:
		h = 0
	case am && h > 12:
		return 0, 0, 0, bad // "上午15点"
	}
	return h, mi, sec, nil
}

// cnNumber reads 0–99 written in digits or Chinese numerals (十五, 二十三,
// 两); -1 if it cannot.
func cnNumber(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	digit := func(r rune) int {
		return strings.IndexRune("零一二三四五六七八九", r) / 3 // each is 3 bytes in UTF-8
	}
	rs := []rune(s)
	val := func(r rune) int {
		switch r {
		case '〇':
			return 0
		case '两':
			return 2
		}
		if strings.ContainsRune("零一二三四五六七八九", r) {
			return digit(r)
		}
		return -1
	}
	switch len(rs) {
	case 1:
		if rs[0] == '十' {
			return 10
		}
		return val(rs[0])
	case 2:
		if rs[0] == '十' { // 十五
			if v := val(rs[1]); v > 0 {
				return 10 + v
			}
		} else if rs[1] == '十' { // 二十
			if v := val(rs[0]); v > 1 {
				return v * 10
			}
		}
	case 3:
		if rs[1] == '十' { // 二十三
			t, u := val(rs[0]), val(rs[2])
			if t > 1 && u > 0 {
				return t*10 + u
			}
		}
	}
	return -1
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 || y < 1970 || y > 9999 {
		return false
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Day() == d
}

func checkPast(dt DateTime, now time.Time) (DateTime, *Problem) {
	if dt.DateOnly {
		ty, tm, td := now.Date()
		if dt.Time.After(time.Date(ty, tm, td, 0, 0, 0, 0, now.Location())) {
			return DateTime{}, problem("dialog.err.datetime.future", "When", dt.Format(), "Now", now.Format("2006-01-02 15:04"))
		}
		return dt, nil
	}
	if dt.Time.After(now.Add(futureSlack)) {
		return DateTime{}, problem("dialog.err.datetime.future", "When", dt.Format(), "Now", now.Format("2006-01-02 15:04"))
	}
	return dt, nil
}

// timeFillers are variants and hedges dropped from a time before parsing.
var timeFillers = strings.NewReplacer("点钟", "点", "点多", "点", "点几分", "点", "時", "时", "号", "日", "左右", "", "前后", "", "大概", "", "大约", "", "about ", "", "around ", "")

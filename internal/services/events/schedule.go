package events

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// A schedule is a parsed ScheduleExpression: rate(N unit) or AWS's
// six-field cron(minutes hours day-of-month month day-of-week year),
// evaluated in UTC as EventBridge does.
type schedule interface {
	// next returns the first firing strictly after t, or ok=false if the
	// schedule never fires again.
	next(t time.Time) (time.Time, bool)
}

var errSchedule = errors.New("Parameter ScheduleExpression is not valid.")

func parseSchedule(expr string) (schedule, error) {
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		return parseRate(expr[len("rate(") : len(expr)-1])
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		return parseCron(expr[len("cron(") : len(expr)-1])
	}
	return nil, errSchedule
}

// rate fires every period, counted from when the rule was created or
// last updated (the caller passes that instant to the first next).
type rate time.Duration

func (r rate) next(t time.Time) (time.Time, bool) { return t.Add(time.Duration(r)), true }

func parseRate(s string) (schedule, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return nil, errSchedule
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 || strings.HasPrefix(f[0], "+") {
		return nil, errSchedule
	}
	// AWS insists on "1 minute" but "5 minutes".
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit := f[1]
	if n > 1 {
		var ok bool
		if unit, ok = strings.CutSuffix(unit, "s"); !ok {
			return nil, errSchedule
		}
	}
	d, ok := units[unit]
	if !ok || time.Duration(n) > time.Duration(1<<62)/d {
		return nil, errSchedule
	}
	return rate(time.Duration(n) * d), nil
}

const (
	cronMinYear = 1970
	cronMaxYear = 2199
)

// cron is a parsed cron expression. Sets are indexed by value.
type cron struct {
	minutes [60]bool
	hours   [24]bool
	months  [13]bool
	years   [cronMaxYear - cronMinYear + 1]bool

	// Exactly one of the day fields is "?".
	domAny bool     // day-of-month is ?
	dom    [32]bool // plain days of month
	domL   bool     // L: last day of the month
	domW   int      // nW: the weekday nearest day n (0 if unused)
	domLW  bool     // LW: the last weekday of the month

	dow    [8]bool // plain days of week, 1 = Sunday
	dowL   int     // nL: the last day n of the month (0 if unused)
	dowNth [2]int  // d#k: the k-th day d of the month (zeros if unused)
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

func parseCron(s string) (schedule, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, errSchedule
	}
	var c cron
	if err := setField(c.minutes[:], f[0], 0, 59, nil); err != nil {
		return nil, err
	}
	if err := setField(c.hours[:], f[1], 0, 23, nil); err != nil {
		return nil, err
	}
	if err := setField(c.months[:], f[3], 1, 12, monthNames); err != nil {
		return nil, err
	}
	if err := setField(c.years[:], f[5], cronMinYear, cronMaxYear, nil); err != nil {
		return nil, err
	}
	// One of the day fields must be ?, and only one.
	switch {
	case f[2] == "?" && f[4] != "?":
		c.domAny = true
		if err := c.parseDOW(f[4]); err != nil {
			return nil, err
		}
	case f[4] == "?" && f[2] != "?":
		if err := c.parseDOM(f[2]); err != nil {
			return nil, err
		}
	default:
		return nil, errSchedule
	}
	return &c, nil
}

func (c *cron) parseDOM(f string) error {
	switch {
	case f == "L":
		c.domL = true
		return nil
	case f == "LW":
		c.domLW = true
		return nil
	case strings.HasSuffix(f, "W"):
		n, err := strconv.Atoi(strings.TrimSuffix(f, "W"))
		if err != nil || n < 1 || n > 31 {
			return errSchedule
		}
		c.domW = n
		return nil
	}
	return setField(c.dom[:], f, 1, 31, nil)
}

func (c *cron) parseDOW(f string) error {
	if d, k, ok := strings.Cut(f, "#"); ok {
		day, err1 := fieldValue(d, 1, 7, dayNames)
		nth, err2 := strconv.Atoi(k)
		if err1 != nil || err2 != nil || nth < 1 || nth > 5 {
			return errSchedule
		}
		c.dowNth = [2]int{day, nth}
		return nil
	}
	if d, ok := strings.CutSuffix(f, "L"); ok && d != "" {
		day, err := fieldValue(d, 1, 7, dayNames)
		if err != nil {
			return errSchedule
		}
		c.dowL = day
		return nil
	}
	if f == "L" {
		c.dowL = 7 // L alone in day-of-week means Saturday, the last day of the week
		return nil
	}
	return setField(c.dow[:], f, 1, 7, dayNames)
}

// setField parses a list of *, v, a-b, */s, a/s and a-b/s into set, which
// is indexed by value (with offset lo for years).
func setField(set []bool, f string, lo, hi int, names map[string]int) error {
	offset := 0
	if len(set) == hi-lo+1 {
		offset = lo
	}
	for _, item := range strings.Split(f, ",") {
		body, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			var err error
			if step, err = strconv.Atoi(stepText); err != nil || step < 1 {
				return errSchedule
			}
		}
		from, to := lo, hi
		switch {
		case body == "*":
		case strings.Contains(body, "-"):
			a, b, _ := strings.Cut(body, "-")
			var err1, err2 error
			from, err1 = fieldValue(a, lo, hi, names)
			to, err2 = fieldValue(b, lo, hi, names)
			if err1 != nil || err2 != nil {
				return errSchedule
			}
		default:
			v, err := fieldValue(body, lo, hi, names)
			if err != nil {
				return errSchedule
			}
			from, to = v, v
			if hasStep {
				to = hi
			}
		}
		// A range may wrap, as FRI-MON does.
		span := to - from
		if span < 0 {
			span += hi - lo + 1
		}
		for i := 0; i <= span; i += step {
			v := from + i
			if v > hi {
				v -= hi - lo + 1
			}
			set[v-offset] = true
		}
	}
	return nil
}

func fieldValue(s string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi || strings.HasPrefix(s, "+") {
		return 0, errSchedule
	}
	return v, nil
}

func (c *cron) next(t time.Time) (time.Time, bool) {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for ; day.Year() <= cronMaxYear; day = day.AddDate(0, 0, 1) {
		if !c.years[day.Year()-cronMinYear] {
			day = time.Date(day.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
			continue
		}
		if !c.months[day.Month()] || !c.dayMatches(day) {
			continue
		}
		start := 0
		if day.Equal(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)) {
			start = t.Hour()*60 + t.Minute()
		}
		for m := start; m < 24*60; m++ {
			if c.hours[m/60] && c.minutes[m%60] {
				return day.Add(time.Duration(m) * time.Minute), true
			}
		}
	}
	return time.Time{}, false
}

func (c *cron) dayMatches(d time.Time) bool {
	last := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if !c.domAny {
		switch {
		case c.domL:
			return d.Day() == last
		case c.domLW:
			return d.Day() == nearestWeekday(d, last, last)
		case c.domW > 0:
			return d.Day() == nearestWeekday(d, min(c.domW, last), last)
		}
		return c.dom[d.Day()]
	}
	wd := int(d.Weekday()) + 1 // 1 = Sunday
	switch {
	case c.dowL > 0:
		return wd == c.dowL && d.Day()+7 > last
	case c.dowNth[0] > 0:
		return wd == c.dowNth[0] && (d.Day()-1)/7+1 == c.dowNth[1]
	}
	return c.dow[wd]
}

// nearestWeekday returns the day of d's month that is the weekday nearest
// to day n, without leaving the month.
func nearestWeekday(d time.Time, n, last int) int {
	t := time.Date(d.Year(), d.Month(), n, 0, 0, 0, 0, time.UTC)
	switch t.Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3 // Monday the 3rd
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

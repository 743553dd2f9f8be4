package policy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The differential test decides generated requests with Evaluate and with
// @cloud-copilot/iam-simulate, an independent implementation of AWS's
// evaluation logic, and requires the same decision from both, except where
// a rule of knownRules (each citing AWS's documentation) explains the
// difference. internal/difftest/iamsim/README.md tabulates the rules.
//
// It needs node and npm. The harness in internal/difftest/iamsim is
// installed with `npm ci` into the user cache directory, keyed by the hash
// of its lock file, so a clean checkout needs nothing but the network to
// the npm registry once. Without node or npm the test skips, except under
// CI (CI or VIGIL_CI set), where it fails.
//
// VIGIL_DIFFTEST_CASES and VIGIL_DIFFTEST_SEED change the number of cases
// and the seed; VIGIL_DIFFTEST_DUMP names a file to receive every
// unexplained disagreement with its case.

const harnessDir = "internal/difftest/iamsim"

// simResult is one element of sim.js's output.
type simResult struct {
	ID       int      `json:"id"`
	Decision string   `json:"decision"`
	Ignored  []string `json:"ignored"`
	Error    string   `json:"error"`
}

var simDecisions = map[string]Decision{"Allowed": Allowed, "ExplicitlyDenied": ExplicitDeny, "ImplicitlyDenied": ImplicitDeny}

func TestDifferentialIAMSimulate(t *testing.T) {
	dir := iamsimHarness(t)
	n := envInt(t, "VIGIL_DIFFTEST_CASES", 3000)
	seed := uint64(envInt(t, "VIGIL_DIFFTEST_SEED", 20261123))
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	cases := make([]*diffCase, n)
	for i := range cases {
		cases[i] = genCase(r, i)
	}
	start := time.Now()
	results := runIAMSimulate(t, dir, cases)
	t.Logf("iam-simulate decided %d cases in %v", len(cases), time.Since(start).Round(time.Millisecond))

	var st diffStats
	for i, c := range cases {
		if results[i].ID != c.ID {
			t.Fatalf("result %d has id %d", i, results[i].ID)
		}
		st.compare(t, c, results[i])
	}
	t.Logf("%d cases: iam-simulate decided %d allowed, %d explicit deny, %d implicit deny; Evaluate agreed on %d; %d disagreements explained by known differences:",
		n, st.counts[Allowed], st.counts[ExplicitDeny], st.counts[ImplicitDeny], st.agreed, st.excused)
	for _, r := range knownRules {
		if k := st.byRule[r.name]; k > 0 {
			t.Logf("  %4d  %s (%s)", k, r.name, r.cite)
		}
	}
	if path := os.Getenv("VIGIL_DIFFTEST_DUMP"); path != "" {
		if err := os.WriteFile(path, []byte(strings.Join(st.failures, "\n====\n")), 0o644); err != nil {
			t.Error(err)
		}
	}
	for i, f := range st.failures {
		if i == 10 {
			t.Errorf("... and %d more", len(st.failures)-i)
			break
		}
		t.Error(f)
	}
}

// diffStats tallies the comparison.
type diffStats struct {
	counts   [3]int // iam-simulate's decisions
	agreed   int
	excused  int
	byRule   map[string]int
	failures []string
}

// compare decides c with Evaluate and records how it compares with res.
func (st *diffStats) compare(t *testing.T, c *diffCase, res simResult) {
	if res.Error != "" {
		st.failures = append(st.failures, fmt.Sprintf("case %d: iam-simulate rejected it: %s\n%s", c.ID, res.Error, c.dump()))
		return
	}
	// The simulator drops context keys that the action does not support;
	// so does the request AWS would make.
	for _, k := range res.Ignored {
		delete(c.values, strings.ToLower(k))
	}
	want, ok := simDecisions[res.Decision]
	if !ok {
		t.Fatalf("case %d: unknown decision %q", c.ID, res.Decision)
	}
	in, err := c.input()
	if err != nil {
		st.failures = append(st.failures, fmt.Sprintf("case %d: Parse: %v\n%s", c.ID, err, c.dump()))
		return
	}
	st.counts[want]++
	got := Evaluate(in, Request{Principal: c.principal, Action: c.Action, Resource: c.Resource, Context: Context(c.values)}).Decision
	if got == want {
		st.agreed++
		return
	}
	names := knownDifference(c, got, want)
	if names == nil {
		st.failures = append(st.failures, fmt.Sprintf("case %d: Evaluate says %v, iam-simulate says %v\n%s", c.ID, got, want, c.dump()))
		return
	}
	st.excused++
	if st.byRule == nil {
		st.byRule = map[string]int{}
	}
	for _, n := range names {
		st.byRule[n]++
	}
}

func (c *diffCase) dump() string {
	b, _ := json.MarshalIndent(c, "", "  ")
	return string(b)
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a number", name, s)
	}
	return n
}

// iamsimHarness returns a directory holding sim.js with its node_modules
// installed, installing them with npm ci when the lock file changed.
func iamsimHarness(t *testing.T) string {
	t.Helper()
	ci := os.Getenv("CI") != "" || os.Getenv("VIGIL_CI") != ""
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if ci {
				t.Fatalf("%s is not installed; the differential test needs it in CI", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	lock, err := os.ReadFile(filepath.Join(harnessDir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sumLock := sha256.Sum256(lock)
	dir := filepath.Join(base, "vigil", "iamsim-"+hex.EncodeToString(sumLock[:8]))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate", "package.json")); err != nil {
		if err := installHarness(t.Context(), dir); err != nil {
			t.Fatalf("installing the iam-simulate harness: %v", err)
		}
	}
	// sim.js may change without the lock file changing.
	src, err := os.ReadFile(filepath.Join(harnessDir, "sim.js"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sim.js"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// installHarness runs npm ci in a fresh directory and renames it into place,
// so that an interrupted install is never taken for a complete one.
func installHarness(ctx context.Context, dir string) error {
	tmp := dir + ".tmp" + strconv.Itoa(os.Getpid())
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(harnessDir, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci: %v\n%s", err, out)
	}
	os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}

// runIAMSimulate decides every case in one node process.
func runIAMSimulate(t *testing.T, dir string, cases []*diffCase) []simResult {
	t.Helper()
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "sim.js"))
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node sim.js: %v\n%s", err, stderr.Bytes())
	}
	var out []simResult
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("reading sim.js output: %v", err)
	}
	if len(out) != len(cases) {
		t.Fatalf("sim.js returned %d results for %d cases", len(out), len(cases))
	}
	return out
}

// A knownRule is a documented behaviour on which Evaluate and iam-simulate
// part. rewrite turns a case into the one iam-simulate in effect decided
// (or returns nil when the rule has nothing to rewrite); the rule explains a
// disagreement only if Evaluate, given the rewritten case, reaches
// iam-simulate's decision. So a rule never hides a difference it does not
// account for.
type knownRule struct {
	name    string
	cite    string // the AWS documentation that says what is right
	rewrite func(c *diffCase) *diffCase
}

var knownRules = []knownRule{
	{
		// The account root user is allowed everything in its account that
		// no policy denies; iam-simulate treats it as a principal without
		// policies.
		name: "root user's implicit permissions",
		cite: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html",
		rewrite: func(c *diffCase) *diffCase {
			if c.principal.Type != Root {
				return nil
			}
			// An IAM user of the account without policies stands for it:
			// elements naming the account name it only at account level.
			n := *c
			n.principal.Type = User
			n.principal.ARN = "arn:aws:iam::" + c.principal.Account + ":user/root-without-policies"
			n.PrincipalARN = n.principal.ARN
			return &n
		},
	},
	{
		// ...IfExists makes a condition on an absent key true, set operator
		// or not; iam-simulate evaluates ForAnyValue:...IfExists on an absent
		// key as false.
		name: "ForAnyValue:...IfExists on an absent key",
		cite: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists",
		rewrite: func(c *diffCase) *diffCase {
			return c.rewriteConditions(func(op, key string, vals []string) (string, []string) {
				lower := strings.ToLower(op)
				if _, ok := c.values[strings.ToLower(key)]; ok || !strings.HasPrefix(lower, "foranyvalue:") || !strings.HasSuffix(lower, "ifexists") {
					return op, vals
				}
				return op[:len(op)-len("IfExists")], vals
			})
		},
	},
	{
		// NotIpAddress is true when the address is outside every listed
		// range; iam-simulate counts a single address of the other IP
		// version as containing the request's address.
		name: "NotIpAddress with a single address of the other IP version",
		cite: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress",
		rewrite: func(c *diffCase) *diffCase {
			ip, ok := c.values["aws:sourceip"]
			if !ok || len(ip) != 1 {
				return nil
			}
			v6 := strings.Contains(ip[0], ":")
			all := "0.0.0.0/0"
			if v6 {
				all = "::/0"
			}
			return c.rewriteConditions(func(op, key string, vals []string) (string, []string) {
				if !strings.HasPrefix(strings.ToLower(op), "notipaddress") || !strings.EqualFold(key, "aws:SourceIp") {
					return op, vals
				}
				out := make([]string, len(vals))
				for i, v := range vals {
					out[i] = v
					if !strings.Contains(v, "/") && strings.Contains(v, ":") != v6 {
						out[i] = all
					}
				}
				return op, out
			})
		},
	},
	{
		// Variables may stand anywhere in the resource part of an ARN, and *
		// spans / and :; iam-simulate requires the text before the first /
		// or : of the resource part to appear literally, so an entry such as
		// ...:${aws:username}-* or ...:*${aws:PrincipalTag/team}* never
		// matches there.
		name: "wildcard or variable before the first / or : of an ARN's resource part",
		cite: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards",
		rewrite: func(c *diffCase) *diffCase {
			reqPart := arnResource(c.Resource)
			return c.rewriteStatements(func(s map[string]any) bool {
				changed := false
				for _, el := range []string{"Resource", "NotResource"} {
					vals := toStrings(s[el])
					if vals == nil {
						continue
					}
					for i, v := range vals {
						prod := simProduct(arnResource(v))
						if strings.ContainsAny(prod, "*?$") && !strings.HasPrefix(reqPart, prod) {
							vals[i] = "arn:aws:none:us-east-1:000000000000:never"
							changed = true
						}
					}
					s[el] = vals
				}
				return changed
			})
		},
	},
	{
		// Date operators take ISO 8601 dates or epoch seconds alike;
		// iam-simulate reads epoch values as seconds and ISO dates as
		// milliseconds and compares the two numbers.
		name: "epoch seconds compared with an ISO 8601 date",
		cite: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date",
		rewrite: func(c *diffCase) *diffCase {
			return c.rewriteConditions(func(op, key string, vals []string) (string, []string) {
				rv, ok := c.values[strings.ToLower(key)]
				if !ok || len(rv) != 1 || !strings.HasPrefix(strings.ToLower(op), "date") {
					return op, vals
				}
				out := make([]string, len(vals))
				for i, v := range vals {
					out[i] = simDateValue(v, rv[0])
				}
				return op, out
			})
		},
	},
	{
		// A variable without a value makes its statement invalid, so a
		// NotResource entry holding one keeps the statement from applying;
		// iam-simulate first compares the entry's literal segments and
		// text before the first / or : with the request, and when they
		// differ lets the statement apply without looking at the variable.
		name: "NotResource entry with a variable without a value",
		cite: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-infoallreqs",
		rewrite: func(c *diffCase) *diffCase {
			return c.rewriteStatements(func(s map[string]any) bool {
				vals := toStrings(s["NotResource"])
				changed := false
				for i, v := range vals {
					if c.unresolved(v) && simPrefixMismatch(v, c.Resource) {
						vals[i] = "arn:aws:none:us-east-1:000000000000:never"
						changed = true
					}
				}
				if changed {
					s["NotResource"] = vals
				}
				return changed
			})
		},
	},
	{
		// A Deny with NotPrincipal exempts a caller only when the policy
		// names every principal AWS checks: the account, and the caller, and
		// for a role session the role too. iam-simulate exempts a caller
		// when any of them is named.
		name: "Deny with NotPrincipal naming only some of the caller, its role and its account",
		cite: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html",
		rewrite: func(c *diffCase) *diffCase {
			p := c.principal
			all := []string{p.ARN, p.Account, "arn:aws:iam::" + p.Account + ":root"}
			if p.RoleARN != "" {
				all = append(all, p.RoleARN)
			}
			return c.rewriteStatements(func(s map[string]any) bool {
				np, _ := s["NotPrincipal"].(map[string]any)
				if np == nil || s["Effect"] != "Deny" {
					return false
				}
				aws := toStrings(np["AWS"])
				named := false
				for _, a := range all {
					named = named || slices.Contains(aws, a)
				}
				if !named {
					return false
				}
				np["AWS"] = append(aws, all...)
				return true
			})
		},
	},
	{
		// Within an account a resource-based policy that names the session
		// itself grants on its own, whatever the session policy says;
		// iam-simulate lets a session policy without an allow deny every
		// request of the session. (That "*" names the session too is
		// Evaluate's reading.)
		name: "resource-based policy naming the session (or *) while the session policy does not allow",
		cite: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session",
		rewrite: func(c *diffCase) *diffCase {
			p := c.principal
			if c.Session == nil || p.Type != AssumedRole {
				return nil
			}
			return c.rewriteStatements(func(s map[string]any) bool {
				if _, ok := s["Principal"]; !ok || s["Effect"] != "Allow" {
					return false
				}
				pr := s["Principal"]
				if m, ok := pr.(map[string]any); ok {
					pr = m["AWS"]
				}
				names := toStrings(pr)
				if !slices.Contains(names, "*") && !slices.Contains(names, p.ARN) {
					return false
				}
				s["Principal"] = map[string]any{"AWS": p.RoleARN}
				return true
			})
		},
	},
	{
		// 0.0.0.0/0 holds every IPv4 address; iam-simulate's mask for a
		// zero-length prefix keeps all 32 bits.
		name: "IPv4 range with a zero-length prefix",
		cite: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress",
		rewrite: func(c *diffCase) *diffCase {
			return c.rewriteConditions(func(op, key string, vals []string) (string, []string) {
				if !strings.Contains(strings.ToLower(op), "ipaddress") {
					return op, vals
				}
				out := make([]string, len(vals))
				for i, v := range vals {
					out[i] = v
					if a, ok := strings.CutSuffix(v, "/0"); ok && !strings.Contains(a, ":") {
						out[i] = a + "/32"
					}
				}
				return op, out
			})
		},
	},
}

// knownDifference names the documented behaviours that explain why
// Evaluate (got) and iam-simulate (want) differ on c, or returns nil. It
// tries the rules alone, then in pairs and so on, and names the first (and
// so smallest) set of applicable rules whose rewrites together make
// Evaluate reach want.
func knownDifference(c *diffCase, got, want Decision) []string {
	n := len(knownRules)
	for size := 1; size <= n; size++ {
		for set := 1; set < 1<<n; set++ {
			if bits.OnesCount(uint(set)) != size {
				continue
			}
			if names := tryRules(c, set, want); names != nil {
				return names
			}
		}
	}
	return nil
}

// tryRules applies the rules in set to c and returns their names if each
// rule had something to rewrite and Evaluate then decides want.
func tryRules(c *diffCase, set int, want Decision) []string {
	var names []string
	cur := c
	for i, r := range knownRules {
		if set&(1<<i) == 0 {
			continue
		}
		if cur = r.rewrite(cur); cur == nil {
			return nil
		}
		names = append(names, r.name)
	}
	in, err := cur.input()
	if err != nil {
		return nil
	}
	d := Evaluate(in, Request{Principal: cur.principal, Action: cur.Action, Resource: cur.Resource, Context: Context(cur.values)}).Decision
	if d != want {
		return nil
	}
	return names
}

// rewriteConditions returns a copy of c whose condition tests f has
// rewritten, or nil when f changed none.
func (c *diffCase) rewriteConditions(f func(op, key string, vals []string) (string, []string)) *diffCase {
	return c.rewriteStatements(func(s map[string]any) bool {
		block, _ := s["Condition"].(map[string]any)
		if block == nil {
			return false
		}
		changed := false
		out := map[string]any{}
		for op, keys := range block {
			for key, v := range keys.(map[string]any) {
				vals := toStrings(v)
				nop, nvals := f(op, key, vals)
				if nop != op || !slicesEqual(nvals, vals) {
					changed = true
				}
				m, _ := out[nop].(map[string]any)
				if m == nil {
					m = map[string]any{}
					out[nop] = m
				}
				m[key] = nvals
			}
		}
		s["Condition"] = out
		return changed
	})
}

// rewriteStatements returns a copy of c in which f has changed statements
// (given as copies, to change in place), or nil when f changed none.
func (c *diffCase) rewriteStatements(f func(s map[string]any) bool) *diffCase {
	changed := false
	doc := func(d map[string]any) map[string]any {
		if d == nil {
			return nil
		}
		b, _ := json.Marshal(d)
		var n map[string]any
		json.Unmarshal(b, &n)
		stmts, _ := n["Statement"].([]any)
		for _, s := range stmts {
			if s, ok := s.(map[string]any); ok && f(s) {
				changed = true
			}
		}
		return n
	}
	n := *c
	n.Identity = nil
	for _, d := range c.Identity {
		n.Identity = append(n.Identity, doc(d))
	}
	n.ResourcePolicy = doc(c.ResourcePolicy)
	if c.Boundary != nil {
		n.Boundary = []map[string]any{}
		for _, d := range c.Boundary {
			n.Boundary = append(n.Boundary, doc(d))
		}
	}
	n.Session = doc(c.Session)
	if !changed {
		return nil
	}
	return &n
}

// simProduct is iam-simulate's "product" of an ARN's resource part: the
// text up to and including its first / or :.
func simProduct(res string) string {
	if i := strings.IndexAny(res, "/:"); i >= 0 {
		return res[:i+1]
	}
	return ""
}

// simPrefixMismatch reports whether iam-simulate finds the policy ARN entry
// apart from the request's ARN before it resolves variables: on a segment
// before the fifth colon (compared without case, with wildcards) or on the
// text of the resource part before its first / or :.
func simPrefixMismatch(entry, req string) bool {
	if req == "*" {
		return true // it matches a request for "*" on the entry's form alone
	}
	e, r := strings.SplitN(entry, ":", 6), strings.SplitN(req, ":", 6)
	if len(e) != 6 || len(r) != 6 {
		return false
	}
	for i := 1; i < 5; i++ {
		if !globMatch(compilePattern(strings.ToLower(e[i]), false, true).segs, strings.ToLower(r[i]), false) {
			return true
		}
	}
	return !strings.HasPrefix(r[5], simProduct(e[5]))
}

// simDateValue returns a policy date value that Evaluate compares with the
// request value req as iam-simulate compares v: epoch seconds against ISO
// dates in milliseconds.
func simDateValue(v, req string) string {
	vEpoch, rEpoch := isDigits(v), isDigits(req)
	if vEpoch == rEpoch {
		return v
	}
	if vEpoch {
		// v seconds is taken for v milliseconds.
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return v
		}
		return time.UnixMilli(n).UTC().Format(time.RFC3339Nano)
	}
	// The request's epoch seconds are compared with v in milliseconds,
	// which is far later than any such number of seconds.
	t, ok := parseDate(v)
	n, err := strconv.ParseInt(req, 10, 64)
	if !ok || err != nil {
		return v
	}
	if t.UnixMilli() > n {
		return "9999-12-31T23:59:59Z"
	}
	return "1970-01-01T00:00:00Z"
}

// unresolved reports whether v holds a policy variable that has neither a
// single value in c's context nor a default.
func (c *diffCase) unresolved(v string) bool {
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			return false
		}
		j := strings.IndexByte(v[i:], '}')
		if j < 0 {
			return false
		}
		name := v[i+2 : i+j]
		v = v[i+j+1:]
		if name == "*" || name == "?" || name == "$" || strings.Contains(name, ",") {
			continue
		}
		if vals, ok := c.values[strings.ToLower(strings.TrimSpace(name))]; !ok || len(vals) != 1 {
			return true
		}
	}
}

func toStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			out[i], _ = x.(string)
		}
		return out
	}
	return nil
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

package asl

import (
	"testing"
)

func mustJSON(t testing.TB, s string) any {
	t.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("bad test JSON %q: %v", s, err)
	}
	return v
}

func TestJSONPath(t *testing.T) {
	doc := `{"detail":{"check-item-detail":{"Access Key ID":"AKIA1","User Name":"bob"},"n":[1,2,3]},
		"store":{"book":[{"price":8,"title":"A","tags":["x"]},{"price":12,"title":"B"},{"price":5,"title":"C","isbn":"1"}]},
		"a.b":1,"arr":[[1,2],[3]],"s":"str"}`
	tests := []struct {
		path, want string
		found      bool
	}{
		{"$", "", true},
		{"$.detail['check-item-detail']['Access Key ID']", `"AKIA1"`, true},
		{`$.detail["check-item-detail"]["User Name"]`, `"bob"`, true},
		{"$.detail.check-item-detail.User Name", `"bob"`, true},
		{"$['a.b']", `1`, true},
		{"$.detail.n[0]", `1`, true},
		{"$.detail.n[-1]", `3`, true},
		{"$.detail.n[5]", ``, false},
		{"$.missing", ``, false},
		{"$.s.x", ``, false},
		{"$.detail.n[*]", `[1,2,3]`, true},
		{"$.detail.n[0,2]", `[1,3]`, true},
		{"$.detail.n[1:]", `[2,3]`, true},
		{"$.detail.n[:2]", `[1,2]`, true},
		{"$.store.book[*].title", `["A","B","C"]`, true},
		{"$.store.book[?(@.price < 10)].title", `["A","C"]`, true},
		{"$.store.book[?(@.price >= 10 && @.title == 'B')].price", `[12]`, true},
		{"$.store.book[?(@.isbn)].title", `["C"]`, true},
		{"$.store.book[?(!(@.price > 6))].title", `["C"]`, true},
		{"$.store.book[?(@.title =~ /[AB]/)].title", `["A","B"]`, true},
		{"$.store.book[?(@.title in ['A','C'])].price", `[8,5]`, true},
		{"$..price", `[8,12,5]`, true},
		{"$.store..title", `["A","B","C"]`, true},
		{"$.nothing[*]", `[]`, true},
		{"$.detail.n.length()", `3`, true},
		{"$.arr[0][1]", `2`, true},
	}
	root := mustJSON(t, doc)
	for _, tc := range tests {
		p, err := parsePath(tc.path)
		if err != nil {
			t.Errorf("parsePath(%q): %v", tc.path, err)
			continue
		}
		got, ok := p.eval(root)
		if ok != tc.found {
			t.Errorf("%s: found=%v, want %v", tc.path, ok, tc.found)
			continue
		}
		if !ok || tc.want == "" {
			continue
		}
		if !jsonEqual(got, mustJSON(t, tc.want)) {
			t.Errorf("%s = %s, want %s", tc.path, encodeJSON(got), tc.want)
		}
	}
}

func TestJSONPathRoots(t *testing.T) {
	for _, tc := range []struct {
		src  string
		root rootKind
		name string
	}{
		{"$", rootInput, ""}, {"$.a", rootInput, ""}, {"$$.Execution.Id", rootContext, ""},
		{"$$", rootContext, ""}, {"$myVar", rootVar, "myVar"}, {"$myVar.x[0]", rootVar, "myVar"},
	} {
		p, err := parsePath(tc.src)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if p.root != tc.root || p.name != tc.name {
			t.Errorf("%s: root %v name %q, want %v %q", tc.src, p.root, p.name, tc.root, tc.name)
		}
	}
}

func TestJSONPathInvalid(t *testing.T) {
	for _, src := range []string{"", "a.b", "$.", "$[", "$['a'", "$[?(@.a]", "$.a[x]", "$[1:2:3:4]", "$.a]"} {
		if _, err := parsePath(src); err == nil {
			t.Errorf("parsePath(%q) succeeded, want error", src)
		}
	}
}

func TestNormalizedPath(t *testing.T) {
	p, _ := parsePath("$.NoSuchOutputPath.a[0]")
	if got, want := p.normalized(), "$['NoSuchOutputPath']['a'][0]"; got != want {
		t.Errorf("normalized = %s, want %s", got, want)
	}
}

func TestSetPath(t *testing.T) {
	tests := []struct {
		in, path, val, want string
		ok                  bool
	}{
		{`{"a":1}`, "$.b", `2`, `{"a":1,"b":2}`, true},
		{`{"a":1}`, "$.x.y", `2`, `{"a":1,"x":{"y":2}}`, true},
		{`{"a":{"b":1}}`, "$.a.b", `[3]`, `{"a":{"b":[3]}}`, true},
		{`{"a":[1,2]}`, "$.a[1]", `9`, `{"a":[1,9]}`, true},
		{`{"a":"s"}`, "$.a.b", `1`, ``, false},
		{`[1]`, "$.a", `1`, ``, false},
	}
	for _, tc := range tests {
		p, err := parsePath(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := setPath(mustJSON(t, tc.in), p.steps, mustJSON(t, tc.val))
		if (err == nil) != tc.ok {
			t.Errorf("setPath(%s, %s): err=%v, want ok=%v", tc.in, tc.path, err, tc.ok)
			continue
		}
		if tc.ok && !jsonEqual(got, mustJSON(t, tc.want)) {
			t.Errorf("setPath(%s, %s) = %s, want %s", tc.in, tc.path, encodeJSON(got), tc.want)
		}
	}
}

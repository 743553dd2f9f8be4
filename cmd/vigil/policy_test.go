package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicyCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:t"}]}`)
	bad := write("bad.json", "{\n \"Version\": \"2012-10-17\",\n \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}\n}")
	for _, tt := range []struct {
		name    string
		args    []string
		stdin   string
		wantErr error // errFindings, nil, or any other (errOther)
		want    []string
	}{
		{name: "clean", args: []string{"validate", good}},
		{name: "flags after the file", args: []string{"validate", good, "--kind", "identity", "--json"}, want: []string{`"findings": []`}},
		{name: "full access", args: []string{"validate", bad}, wantErr: errFindings,
			want: []string{bad + ":3:"}},
		{name: "stdin", args: []string{"validate", "-"}, stdin: `{"Statement":[`, wantErr: errFindings, want: []string{"-:1:", "ERROR"}},
		{name: "unknown kind", args: []string{"validate", "--kind", "x", good}, wantErr: errOther},
		{name: "no file", args: []string{"validate"}, wantErr: errOther},
		{name: "missing file", args: []string{"validate", filepath.Join(dir, "none.json")}, wantErr: errOther},
		{name: "no subcommand", args: nil, wantErr: errOther},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			err := policyCommand(tt.args, strings.NewReader(tt.stdin), &out, &errOut)
			switch {
			case tt.wantErr == nil && err != nil, tt.wantErr == errFindings && !errors.Is(err, errFindings),
				tt.wantErr == errOther && (err == nil || errors.Is(err, errFindings)):
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

var errOther = errors.New("any other error")

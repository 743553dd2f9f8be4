package lambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/store"
)

const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
	arnPrefix   = "arn:aws:lambda:us-east-1:123456789012:function:"
)

func newTestService(t testing.TB) *Service {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir(), store.SyncNormal)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return New(&services.Env{DB: db, Runner: runtime.New(db, log, 1), Log: log,
		AccountID: testAccount, Region: testRegion, BaseURL: "http://127.0.0.1:4566"})
}

func echo(ctx context.Context, env *services.Env, event json.RawMessage) (json.RawMessage, error) {
	return event, nil
}

func handle(t *testing.T, s *Service, action string, input any) (any, *awsproto.Call, error) {
	t.Helper()
	raw, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	call := &awsproto.Call{Service: spec, Action: action, Input: raw, RequestID: "req-1", Time: time.Now()}
	out, err := s.Handle(context.Background(), call)
	return out, call, err
}

func invoke(t *testing.T, s *Service, input map[string]any) *InvokeResult {
	t.Helper()
	out, _, err := handle(t, s, "Invoke", input)
	if err != nil {
		t.Fatalf("Invoke %v: %v", input, err)
	}
	return out.(*InvokeResult)
}

func wantError(t *testing.T, err error, status int, code, msg string) {
	t.Helper()
	var e *awsproto.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if e.Code != code || e.Status != status || !strings.Contains(e.Message, msg) {
		t.Errorf("error = %d %s %q, want %d %s containing %q", e.Status, e.Code, e.Message, status, code, msg)
	}
}

func errorOf(t *testing.T, payload []byte) (typ, msg string) {
	t.Helper()
	var doc struct{ ErrorType, ErrorMessage string }
	if err := json.Unmarshal(payload, &doc); err != nil {
		t.Fatalf("error payload %q: %v", payload, err)
	}
	return doc.ErrorType, doc.ErrorMessage
}

func TestParseFunctionFlag(t *testing.T) {
	tests := []struct {
		in   string
		name string
		argv []string
		err  string
	}{
		{in: "f=python3 handler.py", name: "f", argv: []string{"python3", "handler.py"}},
		{in: "my-fn_2=  sh  -c 'echo \"$X\" | tr a b'  ", name: "my-fn_2", argv: []string{"sh", "-c", `echo "$X" | tr a b`}},
		{in: `f=a"b c"d 'e'\ f`, name: "f", argv: []string{"ab cd", "e f"}},
		{in: `f=cmd "with \"quote\" and \\ and \n"`, name: "f", argv: []string{"cmd", `with "quote" and \ and \n`}},
		{in: `f=cmd '' ""`, name: "f", argv: []string{"cmd", "", ""}},
		{in: "f=cmd a\\\nb", name: "f", argv: []string{"cmd", "ab"}},
		{in: "f=cmd=x y=z", name: "f", argv: []string{"cmd=x", "y=z"}},
		{in: "noequals", err: "NAME=COMMAND"},
		{in: "=cmd", err: "function name"},
		{in: "bad name=cmd", err: "function name"},
		{in: "f.x=cmd", err: "function name"},
		{in: strings.Repeat("a", 65) + "=cmd", err: "function name"},
		{in: "f=", err: "no command"},
		{in: "f=   ", err: "no command"},
		{in: "f=cmd 'open", err: "unterminated single quote"},
		{in: `f=cmd "open`, err: "unterminated double quote"},
		{in: `f=cmd \`, err: "backslash"},
	}
	for _, tt := range tests {
		name, argv, err := ParseFunctionFlag(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseFunctionFlag(%q) error = %v, want one mentioning %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || name != tt.name || !reflect.DeepEqual(argv, tt.argv) {
			t.Errorf("ParseFunctionFlag(%q) = %q, %q, %v; want %q, %q", tt.in, name, argv, err, tt.name, tt.argv)
		}
	}
}

// shellQuote quotes a word so that a POSIX shell reads it back unchanged.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func FuzzParseFunctionFlag(f *testing.F) {
	f.Add("f=python3 handler.py", "a b")
	f.Add(`f=a"b c"d 'e'\ f`, `it's`)
	f.Add("x=\\", "\"")
	f.Fuzz(func(t *testing.T, flag, word string) {
		// Never panics, and anything accepted is well formed.
		if name, argv, err := ParseFunctionFlag(flag); err == nil && (validName(name) != nil || len(argv) == 0) {
			t.Fatalf("accepted %q as %q %q", flag, name, argv)
		}
		// Quoted words come back as they were.
		name, argv, err := ParseFunctionFlag("f=cmd " + shellQuote(word) + " " + shellQuote(word))
		if err != nil || name != "f" || len(argv) != 3 || argv[1] != word || argv[2] != word {
			t.Fatalf("round trip of %q: %q %v", word, argv, err)
		}
	})
}

func TestRegister(t *testing.T) {
	s := newTestService(t)
	if err := s.RegisterBuiltin("echo", echo); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		s.RegisterBuiltin("echo", echo),
		s.RegisterCommand("echo", []string{"cat"}),
		s.RegisterCommand("bad name", []string{"cat"}),
		s.RegisterCommand("empty", nil),
		s.RegisterBuiltin("nilfn", nil),
		s.SetTimeout("echo", 0),
		s.SetTimeout("echo", time.Hour),
		s.SetTimeout("nobody", time.Minute),
	} {
		if err == nil {
			t.Error("bad registration accepted")
		}
	}
}

func TestResolve(t *testing.T) {
	s := newTestService(t)
	s.RegisterBuiltin("fn", echo)
	ok := []string{"fn", "fn:$LATEST", arnPrefix + "fn", arnPrefix + "fn:$LATEST", testAccount + ":function:fn", "function:fn"}
	for _, ref := range ok {
		if f, err := s.resolve(ref, ""); err != nil || f.name != "fn" {
			t.Errorf("resolve(%q) = %v", ref, err)
		}
	}
	if _, err := s.resolve("fn", "$LATEST"); err != nil {
		t.Errorf("Qualifier $LATEST: %v", err)
	}
	tests := []struct {
		ref, qual string
		status    int
		code, msg string
	}{
		{"nope", "", 404, "ResourceNotFoundException", "Function not found: " + arnPrefix + "nope"},
		{arnPrefix + "nope", "", 404, "ResourceNotFoundException", "Function not found: " + arnPrefix + "nope"},
		{"fn:1", "", 404, "ResourceNotFoundException", "Function not found: " + arnPrefix + "fn:1"},
		{"fn", "prod", 404, "ResourceNotFoundException", "Function not found: " + arnPrefix + "fn:prod"},
		{"arn:aws:lambda:eu-west-1:123456789012:function:fn", "", 404, "ResourceNotFoundException", "arn:aws:lambda:eu-west-1:123456789012:function:fn"},
		{"arn:aws:lambda:us-east-1:999999999999:function:fn", "", 404, "ResourceNotFoundException", "999999999999"},
		{"fn:1", "2", 400, "InvalidParameterValueException", "does not match"},
		{"", "", 400, "ValidationException", "functionName"},
		{"bad name", "", 400, "ValidationException", "functionName"},
		{"arn:aws:s3:::bucket", "", 400, "ValidationException", "functionName"},
		{"123456789012:fn", "", 400, "ValidationException", "functionName"},
		{strings.Repeat("a", 171), "", 400, "ValidationException", "functionName"},
	}
	for _, tt := range tests {
		_, err := s.resolve(tt.ref, tt.qual)
		t.Run(tt.ref, func(t *testing.T) { wantError(t, err, tt.status, tt.code, tt.msg) })
	}
}

func TestInvokeBuiltin(t *testing.T) {
	s := newTestService(t)
	var gotEnv *services.Env
	s.RegisterBuiltin("echo", func(ctx context.Context, env *services.Env, event json.RawMessage) (json.RawMessage, error) {
		gotEnv = env
		return event, nil
	})
	s.RegisterBuiltin("nothing", func(context.Context, *services.Env, json.RawMessage) (json.RawMessage, error) { return nil, nil })
	s.RegisterBuiltin("typed", func(context.Context, *services.Env, json.RawMessage) (json.RawMessage, error) {
		return nil, fmt.Errorf("wrapped: %w", &FunctionError{Type: "KeyNotFound", Message: "no key AKIA1"})
	})
	s.RegisterBuiltin("plain", func(context.Context, *services.Env, json.RawMessage) (json.RawMessage, error) {
		return nil, errors.New("boom")
	})
	s.RegisterBuiltin("panics", func(context.Context, *services.Env, json.RawMessage) (json.RawMessage, error) {
		var m map[string]int
		m["x"]++
		return nil, nil
	})
	s.RegisterBuiltin("notjson", func(context.Context, *services.Env, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage("{oops"), nil
	})
	release := make(chan struct{})
	defer close(release)
	s.RegisterBuiltin("stuck", func(context.Context, *services.Env, json.RawMessage) (json.RawMessage, error) {
		<-release // ignores its context on purpose
		return nil, nil
	})
	s.SetTimeout("stuck", time.Second)

	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		fn      string
		payload any
		want    string // payload on success
		errType string // errorType on failure
		errMsg  string
	}{
		{fn: "echo", payload: b64(`{"a":[1,2]}`), want: `{"a":[1,2]}`},
		{fn: "echo", payload: map[string]int{"b": 2}, want: `{"b":2}`},
		{fn: "echo", payload: nil, want: `{}`},
		{fn: "echo", payload: "", want: `{}`},
		{fn: "echo", payload: "not base64!", want: `"not base64!"`},
		{fn: "nothing", want: `null`},
		{fn: "typed", errType: "KeyNotFound", errMsg: "no key AKIA1"},
		{fn: "plain", errType: "Error", errMsg: "boom"},
		{fn: "panics", errType: "Runtime.Panic", errMsg: "nil map"},
		{fn: "notjson", errType: "Runtime.InvalidResponse", errMsg: "not JSON"},
		{fn: "stuck", errType: "Sandbox.Timedout", errMsg: "Task timed out after 1.00 seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.fn+"/"+tt.want+tt.errType, func(t *testing.T) {
			in := map[string]any{"FunctionName": arnPrefix + tt.fn}
			if tt.payload != nil {
				in["Payload"] = tt.payload
			}
			res := invoke(t, s, in)
			if res.StatusCode != 200 || res.ExecutedVersion != "$LATEST" {
				t.Errorf("status %d version %q", res.StatusCode, res.ExecutedVersion)
			}
			if tt.errType == "" {
				if res.FunctionError != "" || string(res.Payload) != tt.want {
					t.Errorf("result = %q (%s), want %s", res.Payload, res.FunctionError, tt.want)
				}
				return
			}
			if res.FunctionError != "Unhandled" {
				t.Errorf("FunctionError = %q, want Unhandled", res.FunctionError)
			}
			typ, msg := errorOf(t, res.Payload)
			if typ != tt.errType || !strings.Contains(msg, tt.errMsg) {
				t.Errorf("error = %s: %s, want %s: ...%s...", typ, msg, tt.errType, tt.errMsg)
			}
		})
	}
	if gotEnv != s.env {
		t.Error("built-in did not get the service's environment")
	}
}

func TestInvokeErrors(t *testing.T) {
	s := newTestService(t)
	s.RegisterBuiltin("echo", echo)
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name   string
		input  map[string]any
		status int
		code   string
	}{
		{"unknown function", map[string]any{"FunctionName": "ghost"}, 404, "ResourceNotFoundException"},
		{"no function name", map[string]any{}, 400, "ValidationException"},
		{"payload not JSON", map[string]any{"FunctionName": "echo", "Payload": b64([]byte("{nope"))}, 400, "InvalidRequestContentException"},
		{"bad invocation type", map[string]any{"FunctionName": "echo", "InvocationType": "Later"}, 400, "ValidationException"},
		{"bad log type", map[string]any{"FunctionName": "echo", "LogType": "All"}, 400, "ValidationException"},
		{"client context", map[string]any{"FunctionName": "echo", "ClientContext": "e30="}, 400, "InvalidParameterValueException"},
		{"too large", map[string]any{"FunctionName": "echo", "Payload": b64([]byte(`"` + strings.Repeat("x", maxSyncPayload) + `"`))}, 413, "RequestTooLargeException"},
		{"too large async", map[string]any{"FunctionName": "echo", "InvocationType": "Event", "Payload": b64([]byte(`"` + strings.Repeat("x", maxAsyncPayload) + `"`))}, 413, "RequestTooLargeException"},
		{"input not an object", nil, 400, "SerializationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in any = tt.input
			if tt.input == nil {
				in = []int{1}
			}
			_, _, err := handle(t, s, "Invoke", in)
			wantError(t, err, tt.status, tt.code, "")
		})
	}
	_, _, err := handle(t, s, "CreateFunction", map[string]any{})
	wantError(t, err, 400, "UnknownOperationException", "--function")
}

func TestInvokeAuditAndResultJSON(t *testing.T) {
	s := newTestService(t)
	s.RegisterBuiltin("echo", echo)
	out, call, err := handle(t, s, "Invoke", map[string]any{"FunctionName": "echo", "Payload": []byte(`{"secret":"x"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(call.Resources) != 1 || call.Resources[0].ARN != arnPrefix+"echo" || call.Resources[0].Type != "AWS::Lambda::Function" {
		t.Errorf("resources = %+v", call.Resources)
	}
	audit, _ := json.Marshal(call.AuditRequest)
	if string(audit) != `{"FunctionName":"`+arnPrefix+`echo"}` {
		t.Errorf("audit request = %s", audit)
	}
	if b, _ := json.Marshal(call.AuditResponse); string(b) != `{}` {
		t.Errorf("audit response = %s", b)
	}
	// What a service calling through the dispatcher reads back.
	b, _ := json.Marshal(out)
	var res struct {
		StatusCode      int
		FunctionError   string
		ExecutedVersion string
		Payload         []byte
	}
	if err := json.Unmarshal(b, &res); err != nil || res.StatusCode != 200 || res.ExecutedVersion != "$LATEST" ||
		string(res.Payload) != `{"secret":"x"}` || res.FunctionError != "" {
		t.Errorf("result JSON %s: %v", b, err)
	}
}

func TestInvokeAsyncAndDryRun(t *testing.T) {
	s := newTestService(t)
	got := make(chan string, 10)
	failures := 0
	s.RegisterBuiltin("sink", func(ctx context.Context, env *services.Env, event json.RawMessage) (json.RawMessage, error) {
		got <- string(event)
		return nil, nil
	})
	s.RegisterBuiltin("fails", func(ctx context.Context, env *services.Env, event json.RawMessage) (json.RawMessage, error) {
		failures++
		return nil, &FunctionError{Type: "Nope", Message: "always"}
	})
	res := invoke(t, s, map[string]any{"FunctionName": "sink", "InvocationType": "DryRun"})
	if res.StatusCode != 204 || len(got) != 0 {
		t.Errorf("DryRun: status %d, %d runs", res.StatusCode, len(got))
	}
	res = invoke(t, s, map[string]any{"FunctionName": "sink", "InvocationType": "Event", "Payload": []byte(`{"n":1}`)})
	if res.StatusCode != 202 || len(res.Payload) != 0 || len(got) != 0 {
		t.Fatalf("Event: status %d payload %q, ran %d times before the job", res.StatusCode, res.Payload, len(got))
	}
	job := onlyJob(t, s)
	if err := s.runAsync(context.Background(), job); err != nil {
		t.Fatalf("runAsync: %v", err)
	}
	if e := <-got; e != `{"n":1}` {
		t.Errorf("async event = %s", e)
	}

	// A failing function fails its job, to be retried; an unknown one is buried.
	invoke(t, s, map[string]any{"FunctionName": "fails", "InvocationType": "Event"})
	err := s.runAsync(context.Background(), lastJob(t, s))
	if err == nil || !strings.Contains(err.Error(), "Nope: always") || isPermanent(err) {
		t.Errorf("failing async invocation: %v", err)
	}
	err = s.runAsync(context.Background(), store.Job{Payload: []byte(`{"FunctionName":"gone","Payload":{}}`)})
	if !isPermanent(err) {
		t.Errorf("unknown function: %v, want a permanent error", err)
	}
}

func isPermanent(err error) bool { return err != nil && fmt.Sprintf("%T", err) == "*runtime.permanent" }

func jobs(t *testing.T, s *Service) []store.Job {
	t.Helper()
	rows, err := s.env.DB.Read().Query(`SELECT id, kind, payload FROM jobs ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var js []store.Job
	for rows.Next() {
		var j store.Job
		if err := rows.Scan(&j.ID, &j.Kind, &j.Payload); err != nil {
			t.Fatal(err)
		}
		if j.Kind != asyncKind {
			t.Errorf("job kind %q", j.Kind)
		}
		js = append(js, j)
	}
	return js
}

func onlyJob(t *testing.T, s *Service) store.Job {
	js := jobs(t, s)
	if len(js) != 1 {
		t.Fatalf("%d jobs, want 1", len(js))
	}
	return js[0]
}

func lastJob(t *testing.T, s *Service) store.Job {
	js := jobs(t, s)
	return js[len(js)-1]
}

func TestAsyncThroughRunner(t *testing.T) {
	s := newTestService(t)
	got := make(chan string, 1)
	s.RegisterBuiltin("sink", func(ctx context.Context, env *services.Env, event json.RawMessage) (json.RawMessage, error) {
		got <- string(event)
		return nil, nil
	})
	invoke(t, s, map[string]any{"FunctionName": "sink", "InvocationType": "Event", "Payload": []byte(`[1]`)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.env.Runner.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case e := <-got:
		if e != `[1]` {
			t.Errorf("event = %s", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("async invocation did not run")
	}
}

func needSh(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
}

func TestInvokeCommand(t *testing.T) {
	needSh(t)
	s := newTestService(t)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "vigil-secret-value")
	t.Setenv("VIGIL_TEST_TOKEN", "vigil-secret-value")
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	cmds := map[string]string{
		"cat":      `cat`,
		"env":      `printf '{"env":"%s"}' "$(env | tr '\n' ' ' | tr -d '"\\')"`,
		"silent":   `cat >/dev/null`,
		"jsonerr":  `echo '{"errorType":"KeyGone","errorMessage":"key AKIA1 not found","stackTrace":["x"]}'; exit 3`,
		"msgonly":  `echo '{"errorMessage":"just a message"}'; exit 1`,
		"stderr":   `echo 'first line' >&2; echo 'Traceback: it broke' >&2; exit 2`,
		"quiet":    `exit 7`,
		"notjson":  `echo done`,
		"slow":     `sleep 30 & echo $! > ` + shellQuote(pidFile) + `; wait`,
		"readsenv": `test -z "$AWS_SECRET_ACCESS_KEY" && test -z "$VIGIL_TEST_TOKEN" && echo '"clean"'`,
	}
	for name, script := range cmds {
		if err := s.RegisterCommand(name, []string{"sh", "-c", script}); err != nil {
			t.Fatal(err)
		}
	}
	s.RegisterCommand("missing", []string{filepath.Join(dir, "no-such-program")})
	s.SetTimeout("slow", time.Second)

	tests := []struct {
		fn, payload, want, errType, errMsg string
	}{
		{fn: "cat", payload: `{"detail":{"k":"v"}}`, want: `{"detail":{"k":"v"}}`},
		{fn: "silent", payload: `{}`, want: `null`},
		{fn: "readsenv", payload: `{}`, want: `"clean"`},
		{fn: "jsonerr", errType: "KeyGone", errMsg: "key AKIA1 not found"},
		{fn: "msgonly", errType: "Error", errMsg: "just a message"},
		{fn: "stderr", errType: "Runtime.ExitError", errMsg: "first line\nTraceback: it broke"},
		{fn: "quiet", errType: "Runtime.ExitError", errMsg: "exit status 7"},
		{fn: "notjson", errType: "Runtime.InvalidResponse", errMsg: `"done"`},
		{fn: "missing", errType: "Runtime.InvalidEntrypoint", errMsg: "no-such-program"},
		{fn: "slow", errType: "Sandbox.Timedout", errMsg: "1.00 seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			in := map[string]any{"FunctionName": tt.fn, "LogType": "Tail"}
			if tt.payload != "" {
				in["Payload"] = []byte(tt.payload)
			}
			res := invoke(t, s, in)
			if tt.errType == "" {
				if res.FunctionError != "" || string(res.Payload) != tt.want {
					t.Errorf("result = %s (%s), want %s", res.Payload, res.FunctionError, tt.want)
				}
				return
			}
			typ, msg := errorOf(t, res.Payload)
			if res.FunctionError != "Unhandled" || typ != tt.errType || !strings.Contains(msg, tt.errMsg) {
				t.Errorf("error = %s %s: %q, want %s: ...%s...", res.FunctionError, typ, msg, tt.errType, tt.errMsg)
			}
			if tt.fn == "jsonerr" && !strings.Contains(string(res.Payload), "stackTrace") {
				t.Errorf("the command's error document was not kept: %s", res.Payload)
			}
			logs, err := base64.StdEncoding.DecodeString(res.LogResult)
			if err != nil || !strings.HasPrefix(string(logs), "START RequestId: req-1") || !strings.Contains(string(logs), "REPORT RequestId: req-1") {
				t.Errorf("log tail = %q (%v)", logs, err)
			}
			if tt.fn == "stderr" && !strings.Contains(string(logs), "Traceback: it broke") {
				t.Errorf("log tail lacks stderr: %q", logs)
			}
		})
	}

	// The environment has Lambda's variables and none of Vigil's secrets.
	res := invoke(t, s, map[string]any{"FunctionName": "env"})
	var out struct{ Env string }
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		t.Fatalf("env output %s: %v", res.Payload, err)
	}
	for _, want := range []string{"AWS_LAMBDA_FUNCTION_NAME=env", "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL=http://127.0.0.1:4566", "PATH="} {
		if !strings.Contains(out.Env, want) {
			t.Errorf("environment lacks %s: %s", want, out.Env)
		}
	}
	if strings.Contains(out.Env, "vigil-secret-value") {
		t.Errorf("environment leaks a secret: %s", out.Env)
	}

	// The timed-out command's child was killed with it.
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("slow command wrote no pid: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	for i := 0; i < 100 && alive(pid); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("child %d of the timed-out command still runs", pid)
	}
}

// alive reports whether pid runs (a zombie does not count).
func alive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

func TestListAndGetFunction(t *testing.T) {
	s := newTestService(t)
	for _, n := range []string{"c", "a", "b"} {
		s.RegisterBuiltin(n, echo)
	}
	s.RegisterCommand("d", []string{"/usr/bin/python3", "handler.py"})
	s.SetTimeout("d", 5*time.Second)

	var names []string
	marker := ""
	for page := 0; page < 5; page++ {
		in := map[string]any{"MaxItems": 3}
		if marker != "" {
			in["Marker"] = marker
		}
		out, _, err := handle(t, s, "ListFunctions", in)
		if err != nil {
			t.Fatal(err)
		}
		l := out.(*ListFunctionsOutput)
		for _, f := range l.Functions {
			names = append(names, f.FunctionName)
		}
		if marker = l.NextMarker; marker == "" {
			break
		}
	}
	if strings.Join(names, ",") != "a,b,c,d" {
		t.Errorf("listed %v", names)
	}

	out, call, err := handle(t, s, "GetFunction", map[string]any{"FunctionName": arnPrefix + "d"})
	if err != nil {
		t.Fatal(err)
	}
	c := out.(*GetFunctionOutput).Configuration
	if c.FunctionName != "d" || c.FunctionArn != arnPrefix+"d" || c.Runtime != RuntimeCommand ||
		c.Handler != "/usr/bin/python3" || c.Timeout != 5 || c.Version != "$LATEST" || c.State != "Active" ||
		!strings.HasSuffix(c.LastModified, "+0000") {
		t.Errorf("configuration = %+v", c)
	}
	if len(call.Resources) != 1 {
		t.Errorf("resources = %v", call.Resources)
	}
	out, _, _ = handle(t, s, "GetFunction", map[string]any{"FunctionName": "a"})
	if c := out.(*GetFunctionOutput).Configuration; c.Runtime != RuntimeBuiltin || c.Handler != "vigil/a" {
		t.Errorf("built-in configuration = %+v", c)
	}
	_, _, err = handle(t, s, "GetFunction", map[string]any{"FunctionName": "zzz"})
	wantError(t, err, 404, "ResourceNotFoundException", "Function not found: "+arnPrefix+"zzz")
	for _, in := range []map[string]any{{"MaxItems": 0}, {"MaxItems": 10001}, {"FunctionVersion": "1"}, {"MasterRegion": "us-east-1"}} {
		if _, _, err := handle(t, s, "ListFunctions", in); err == nil {
			t.Errorf("ListFunctions %v accepted", in)
		}
	}
}

// TestRESTRoundTrip sends HTTP requests through Route, Handle and
// WriteResult as the front door does.
func TestRESTRoundTrip(t *testing.T) {
	s := newTestService(t)
	s.RegisterBuiltin("echo", echo)
	s.RegisterBuiltin("fails", func(context.Context, *services.Env, json.RawMessage) (json.RawMessage, error) {
		return nil, &FunctionError{Type: "Bad", Message: "went wrong"}
	})
	serve := func(r *http.Request) (*httptest.ResponseRecorder, error) {
		body, _ := io.ReadAll(r.Body)
		if !strings.HasPrefix(r.URL.Path, s.PathPrefix()) {
			t.Fatalf("%s is outside the prefix", r.URL.Path)
		}
		action, input, err := s.Route(r, body)
		if err != nil {
			return nil, err
		}
		call := &awsproto.Call{Service: spec, Action: action, Input: input, RequestID: "req-9"}
		res, err := s.Handle(r.Context(), call)
		if err != nil {
			return nil, err
		}
		w := httptest.NewRecorder()
		if err := s.WriteResult(w, call, res); err != nil {
			t.Fatal(err)
		}
		return w, nil
	}
	post := func(path, body string, hdr map[string]string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		return r
	}

	w, err := serve(post("/2015-03-31/functions/"+strings.ReplaceAll(arnPrefix, ":", "%3A")+"echo/invocations", `{"x":1}`, nil))
	if err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || w.Body.String() != `{"x":1}` || w.Header().Get("X-Amz-Executed-Version") != "$LATEST" ||
		w.Header().Get("X-Amz-Function-Error") != "" || w.Header().Get("x-amzn-RequestId") != "req-9" {
		t.Errorf("invoke: %d %q %v", w.Code, w.Body, w.Header())
	}
	w, _ = serve(post("/2015-03-31/functions/fails/invocations?Qualifier=%24LATEST", ``, map[string]string{"X-Amz-Log-Type": "Tail"}))
	if w.Code != 200 || w.Header().Get("X-Amz-Function-Error") != "Unhandled" || w.Header().Get("X-Amz-Log-Result") == "" ||
		!strings.Contains(w.Body.String(), `"errorType":"Bad"`) {
		t.Errorf("failed invoke: %d %q %v", w.Code, w.Body, w.Header())
	}
	w, _ = serve(post("/2015-03-31/functions/echo/invocations", `{}`, map[string]string{"X-Amz-Invocation-Type": "Event"}))
	if w.Code != 202 || w.Body.Len() != 0 {
		t.Errorf("async invoke: %d %q", w.Code, w.Body)
	}
	w, _ = serve(post("/2015-03-31/functions/echo/invocations", `{}`, map[string]string{"X-Amz-Invocation-Type": "DryRun"}))
	if w.Code != 204 || w.Body.Len() != 0 {
		t.Errorf("dry run: %d %q", w.Code, w.Body)
	}
	_, err = serve(post("/2015-03-31/functions/echo/invocations", `not json`, nil))
	wantError(t, err, 400, "InvalidRequestContentException", "")

	w, err = serve(httptest.NewRequest(http.MethodGet, "/2015-03-31/functions/?MaxItems=1", nil))
	if err != nil || w.Code != 200 || !strings.Contains(w.Body.String(), `"NextMarker":"echo"`) {
		t.Errorf("list: %v %d %s", err, w.Code, w.Body)
	}
	w, err = serve(httptest.NewRequest(http.MethodGet, "/2015-03-31/functions/echo", nil))
	if err != nil || w.Code != 200 || !strings.Contains(w.Body.String(), `"FunctionArn":"`+arnPrefix+`echo"`) {
		t.Errorf("get: %v %d %s", err, w.Code, w.Body)
	}
	_, err = serve(httptest.NewRequest(http.MethodGet, "/2015-03-31/functions/?MaxItems=lots", nil))
	wantError(t, err, 400, "InvalidParameterValueException", "MaxItems")
	for _, r := range []*http.Request{
		post("/2015-03-31/functions", `{}`, nil),
		httptest.NewRequest(http.MethodDelete, "/2015-03-31/functions/echo", nil),
		httptest.NewRequest(http.MethodGet, "/2015-03-31/event-source-mappings/", nil),
	} {
		_, err := serve(r)
		wantError(t, err, 400, "UnknownOperationException", "Invoke, GetFunction and ListFunctions")
	}
}

func BenchmarkInvokeBuiltin(b *testing.B) {
	s := newTestService(b)
	s.RegisterBuiltin("echo", echo)
	input, _ := json.Marshal(map[string]any{"FunctionName": arnPrefix + "echo", "Payload": []byte(`{"a":1}`)})
	for b.Loop() {
		call := &awsproto.Call{Service: spec, Action: "Invoke", Input: input, RequestID: "r"}
		if _, err := s.Handle(context.Background(), call); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzInvokeInput(f *testing.F) {
	f.Add("fn", `"eyJhIjoxfQ=="`)
	f.Add(arnPrefix+"fn:$LATEST", `{"a":1}`)
	f.Add("123456789012:function:fn:7", `"not base64"`)
	f.Add("arn:aws:lambda:::function:", `null`)
	s := newTestService(f)
	s.RegisterBuiltin("fn", echo)
	f.Fuzz(func(t *testing.T, name, payload string) {
		if fn, err := s.resolve(name, ""); err == nil && fn.name != "fn" {
			t.Fatalf("resolve(%q) found %s", name, fn.name)
		}
		if event, err := decodePayload(json.RawMessage(payload)); err == nil && !json.Valid(event) {
			t.Fatalf("decodePayload(%q) = %q, not JSON", payload, event)
		}
	})
}

package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

const (
	// maxSyncPayload and maxAsyncPayload are AWS's request limits.
	maxSyncPayload  = 6 * 1024 * 1024
	maxAsyncPayload = 256 * 1024
	// maxResponse is AWS's limit on a function's response.
	maxResponse = 6 * 1024 * 1024
	// logTail is how much of a command's stderr is kept, for error
	// messages and LogType Tail.
	logTail = 4 * 1024
)

// outcome is what one invocation produced.
type outcome struct {
	payload []byte // the result, or the error document when errType != ""
	errType string
	log     []byte // the tail of the function's log
}

func failed(typ, msg string) outcome {
	return outcome{payload: errorDoc(typ, msg), errType: typ}
}

func errorDoc(typ, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{msg, typ})
	return b
}

// run invokes f with event. The error is for failures that are not the
// function's: the caller's context ended. Everything the function does
// wrong is in the outcome.
func (s *Service) run(ctx context.Context, f *function, event []byte, requestID string) (outcome, error) {
	start := time.Now()
	fctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	var o outcome
	if f.builtin != nil {
		o = s.runBuiltin(fctx, f, event)
	} else {
		o = s.runCommand(fctx, f, event)
	}
	if err := ctx.Err(); err != nil {
		return outcome{}, fmt.Errorf("invoke %s: %w", f.name, err)
	}
	elapsed := time.Since(start)
	o.log = frameLog(requestID, o.log, elapsed)
	if s.env.Log != nil {
		s.env.Log.Debug("function invoked", "function", f.name, "request", requestID, "duration", elapsed, "error", o.errType)
	}
	return o, nil
}

func timedOut(f *function) outcome {
	return failed("Sandbox.Timedout", fmt.Sprintf("Task timed out after %.2f seconds", f.timeout.Seconds()))
}

type builtinResult struct {
	out json.RawMessage
	err error
}

func (s *Service) runBuiltin(ctx context.Context, f *function, event []byte) outcome {
	done := make(chan builtinResult, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- builtinResult{err: &FunctionError{Type: "Runtime.Panic", Message: fmt.Sprint(p)}}
			}
		}()
		out, err := f.builtin(ctx, s.env, json.RawMessage(event))
		done <- builtinResult{out, err}
	}()
	var r builtinResult
	select {
	case r = <-done:
	case <-ctx.Done():
		// The function ignores its context; leave it to finish alone.
		return timedOut(f)
	}
	if r.err != nil {
		var fe *FunctionError
		if errors.As(r.err, &fe) {
			return failed(fe.Type, fe.Message)
		}
		return failed("Error", r.err.Error())
	}
	return result(r.out)
}

// result checks a successful function's output.
func result(out []byte) outcome {
	out = bytes.TrimSpace(out)
	if len(out) == 0 {
		return outcome{payload: []byte("null")}
	}
	if len(out) > maxResponse {
		return failed("Function.ResponseSizeTooLarge", fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxResponse))
	}
	if !json.Valid(out) {
		return failed("Runtime.InvalidResponse", "The function's output is not JSON: "+quoteStart(out))
	}
	return outcome{payload: out}
}

func quoteStart(b []byte) string {
	if len(b) > 200 {
		return fmt.Sprintf("%q...", b[:200])
	}
	return fmt.Sprintf("%q", b)
}

func (s *Service) runCommand(ctx context.Context, f *function, event []byte) outcome {
	cmd := exec.CommandContext(ctx, f.argv[0], f.argv[1:]...)
	cmd.Stdin = bytes.NewReader(event)
	stdout := &capped{max: maxResponse + 1}
	stderr := &tail{max: logTail}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = s.commandEnv(f)
	ownProcessGroup(cmd)
	// Children the command started may hold its pipes open; give them a
	// moment after the kill, then stop waiting for them.
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	log := stderr.bytes()
	if err != nil && ctx.Err() != nil {
		o := timedOut(f)
		o.log = log
		return o
	}
	var o outcome
	var exit *exec.ExitError
	switch {
	case err == nil:
		if stdout.over {
			o = failed("Function.ResponseSizeTooLarge", fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxResponse))
		} else {
			o = result(stdout.buf.Bytes())
		}
	case errors.As(err, &exit):
		o = exitFailure(exit, stdout.buf.Bytes(), log)
	default:
		o = failed("Runtime.InvalidEntrypoint", fmt.Sprintf("Cannot run %s: %v", f.argv[0], err))
	}
	o.log = log
	return o
}

// exitFailure is the error of a command that exited non-zero: the error it
// printed on stdout, if it printed one, or else its stderr.
func exitFailure(exit *exec.ExitError, stdout, stderr []byte) outcome {
	var doc map[string]any
	if json.Unmarshal(stdout, &doc) == nil {
		typ, hasType := doc["errorType"].(string)
		msg, hasMsg := doc["errorMessage"].(string)
		if hasType || hasMsg {
			if typ == "" {
				typ = "Error"
				doc["errorType"] = typ
			}
			if !hasMsg {
				doc["errorMessage"] = msg
			}
			b, err := json.Marshal(doc)
			if err == nil {
				return outcome{payload: b, errType: typ}
			}
		}
	}
	msg := strings.TrimSpace(string(stderr))
	if msg == "" {
		msg = "Runtime exited with error: " + exit.String()
	}
	return failed("Runtime.ExitError", msg)
}

// commandEnv is the whole environment a command gets: a few harmless
// variables of Vigil's own (so that PATH lookups and locales work) and
// the ones Lambda sets. Nothing else of Vigil's environment, which may
// hold credentials, is passed on.
func (s *Service) commandEnv(f *function) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env,
		"AWS_LAMBDA_FUNCTION_NAME="+f.name,
		"AWS_LAMBDA_FUNCTION_VERSION="+latest,
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_TIMEOUT=%d", int(f.timeout.Seconds())),
		"AWS_REGION="+s.env.Region,
		"AWS_DEFAULT_REGION="+s.env.Region,
	)
	if s.env.BaseURL != "" {
		env = append(env, "AWS_ENDPOINT_URL="+s.env.BaseURL)
	}
	return env
}

// frameLog wraps a function's log in the START/END/REPORT lines Lambda
// writes around every invocation, keeping the last logTail bytes.
func frameLog(requestID string, log []byte, elapsed time.Duration) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "START RequestId: %s Version: %s\n", requestID, latest)
	b.Write(log)
	if len(log) > 0 && log[len(log)-1] != '\n' {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "END RequestId: %s\nREPORT RequestId: %s\tDuration: %.2f ms\t\n", requestID, requestID,
		float64(elapsed.Microseconds())/1000)
	out := b.Bytes()
	if len(out) > logTail {
		out = out[len(out)-logTail:]
	}
	return out
}

// capped keeps the first max bytes written to it and notes whether more came.
type capped struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room < len(p) {
		c.over = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return c.buf.Write(p)
}

// tail keeps the last max bytes written to it.
type tail struct {
	buf []byte
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) bytes() []byte {
	if len(t.buf) > t.max {
		return t.buf[len(t.buf)-t.max:]
	}
	return t.buf
}

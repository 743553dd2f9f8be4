package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services"
)

// Func is a function built into Vigil. It gets the event as JSON and
// returns its result as JSON (nil means null). Returning a *FunctionError
// fails the invocation with that error type; any other error fails it with
// type "Error".
type Func func(ctx context.Context, env *services.Env, event json.RawMessage) (json.RawMessage, error)

// FunctionError is a function's failure, as a Lambda function reports it.
type FunctionError struct {
	Type    string
	Message string
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Runtimes, as ListFunctions and GetFunction report them. They are not
// AWS runtimes; they say which kind of Vigil function it is.
const (
	RuntimeBuiltin = "provided.vigil-go"
	RuntimeCommand = "provided.vigil-command"
)

const (
	// DefaultTimeout bounds one invocation unless SetTimeout says otherwise.
	DefaultTimeout = 60 * time.Second
	maxTimeout     = 900 * time.Second
	latest         = "$LATEST"
)

// function is one registered function.
type function struct {
	name       string
	builtin    Func
	argv       []string
	timeout    time.Duration
	registered time.Time
}

func (f *function) runtime() string {
	if f.builtin != nil {
		return RuntimeBuiltin
	}
	return RuntimeCommand
}

// handler names what runs: the built-in's name, or the command's program.
func (f *function) handler() string {
	if f.builtin != nil {
		return "vigil/" + f.name
	}
	h := strings.Join(strings.Fields(f.argv[0]), "_")
	if len(h) > 128 {
		h = h[len(h)-128:]
	}
	return h
}

var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func validName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("function name %q: want 1 to 64 letters, digits, hyphens or underscores", name)
	}
	return nil
}

// RegisterBuiltin adds a function built into Vigil.
func (s *Service) RegisterBuiltin(name string, fn Func) error {
	if fn == nil {
		return fmt.Errorf("function %s: nil Func", name)
	}
	return s.register(&function{name: name, builtin: fn})
}

// RegisterCommand adds a function that runs argv: the event on its stdin,
// its result on its stdout.
func (s *Service) RegisterCommand(name string, argv []string) error {
	if len(argv) == 0 || argv[0] == "" {
		return fmt.Errorf("function %s: no command given", name)
	}
	return s.register(&function{name: name, argv: append([]string(nil), argv...)})
}

func (s *Service) register(f *function) error {
	if err := validName(f.name); err != nil {
		return err
	}
	f.timeout, f.registered = DefaultTimeout, time.Now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.fns[f.name]; dup {
		return fmt.Errorf("function %s is registered twice", f.name)
	}
	s.fns[f.name] = f
	return nil
}

// SetTimeout changes how long one invocation of a function may run
// (1 second to 15 minutes, as in AWS).
func (s *Service) SetTimeout(name string, d time.Duration) error {
	if d < time.Second || d > maxTimeout {
		return fmt.Errorf("function %s: timeout %s is not between 1s and %s", name, d, maxTimeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.fns[name]
	if !ok {
		return fmt.Errorf("function %s is not registered", name)
	}
	// Invocations in flight hold the old value; functions never change.
	g := *f
	g.timeout = d
	s.fns[name] = &g
	return nil
}

func (s *Service) function(name string) (*function, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.fns[name]
	return f, ok
}

func (s *Service) sorted() []*function {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fs := make([]*function, 0, len(s.fns))
	for _, f := range s.fns {
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].name < fs[j].name })
	return fs
}

func (s *Service) arn(name string) string {
	return "arn:aws:lambda:" + s.env.Region + ":" + s.env.AccountID + ":function:" + name
}

// nameRef is the botocore pattern of a function reference: a name, a
// partial ARN (ACCOUNT:function:NAME) or a full ARN, each with an optional
// :QUALIFIER.
var nameRef = regexp.MustCompile(`^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$`)

// resolve finds the function a FunctionName (and Qualifier) refers to.
func (s *Service) resolve(ref, qualifier string) (*function, error) {
	if ref == "" {
		return nil, awsproto.Validation("1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null")
	}
	m := nameRef.FindStringSubmatch(ref)
	if m == nil || len(ref) > 170 {
		return nil, awsproto.Validation("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", ref, nameRef.String())
	}
	region, account, name, refQual := strings.TrimSuffix(m[3], ":"), strings.TrimSuffix(m[5], ":"), m[7], m[9]
	// A partial ARN needs "function:"; "NAME:QUALIFIER" is read as such.
	if m[6] == "" && (m[1] != "" || account != "") {
		return nil, awsproto.Validation("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", ref, nameRef.String())
	}
	if qualifier != "" && refQual != "" && qualifier != refQual {
		return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidParameterValueException",
			"The derived qualifier from the function name does not match the specified qualifier.")
	}
	if refQual != "" {
		qualifier = refQual
	}
	if region == "" {
		region = s.env.Region
	}
	if account == "" {
		account = s.env.AccountID
	}
	fullARN := "arn:aws:lambda:" + region + ":" + account + ":function:" + name
	if qualifier != "" {
		fullARN += ":" + qualifier
	}
	f, ok := s.function(name)
	if !ok || region != s.env.Region || account != s.env.AccountID || (qualifier != "" && qualifier != latest) {
		return nil, awsproto.Errorf(http.StatusNotFound, "ResourceNotFoundException", "Function not found: %s", fullARN)
	}
	return f, nil
}

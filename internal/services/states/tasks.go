package states

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigilsec/vigil/asl"
	"github.com/vigilsec/vigil/internal/awsproto"
)

// An integration is a Task resource Vigil knows how to call.
type integration struct {
	// kind is "sdk", "sns", "lambda" (lambda:invoke), "function" (a
	// function ARN), "sfn" (states:startExecution) or "activity".
	kind    string
	service string // sdk: the SDK service name as written, e.g. "iam"
	action  string // sdk: the operation, PascalCase
	sync    string // sfn: "" (start only), "sync" or "sync:2" (wait for the child)
}

// sdkServices maps AWS SDK integration service names to Vigil's signing
// names and to the prefix AWS gives their error names.
var sdkServices = map[string]struct{ signing, errPrefix string }{
	"iam":         {"iam", "Iam"},
	"sts":         {"sts", "Sts"},
	"cloudtrail":  {"cloudtrail", "CloudTrail"},
	"eventbridge": {"events", "EventBridge"},
	"sfn":         {"states", "Sfn"},
	"sns":         {"sns", "Sns"},
	"lambda":      {"lambda", "Lambda"},
}

var (
	functionARN = regexp.MustCompile(`^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$`)
	activityARN = regexp.MustCompile(`^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:activity:[^:/]{1,80}$`)
	sdkAction   = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
)

// parsedResource is parseResource's answer for one resource.
type parsedResource struct {
	in integration
	ok bool
}

// resources remembers parseResource's answers: every task asks, and the
// regular expressions cost more than the call of a no-op task. A
// resource is a constant of a definition, so few are ever seen.
var resources sync.Map // string -> parsedResource

const maxCachedResources = 4096

var cachedResources atomic.Int64

// parseResource recognises the Task resources Vigil supports.
func parseResource(res string) (integration, bool) {
	if p, ok := resources.Load(res); ok {
		return p.(parsedResource).in, p.(parsedResource).ok
	}
	in, ok := parseResourceText(res)
	if cachedResources.Load() < maxCachedResources {
		if _, dup := resources.LoadOrStore(res, parsedResource{in, ok}); !dup {
			cachedResources.Add(1)
		}
	}
	return in, ok
}

func parseResourceText(res string) (integration, bool) {
	if functionARN.MatchString(res) {
		return integration{kind: "function"}, true
	}
	if activityARN.MatchString(res) {
		return integration{kind: "activity"}, validName(res[strings.LastIndexByte(res, ':')+1:])
	}
	f := strings.SplitN(res, ":", 6)
	if len(f) != 6 || f[0] != "arn" || !strings.HasPrefix(f[1], "aws") || f[2] != "states" || f[3] != "" || f[4] != "" {
		return integration{}, false
	}
	// A callback task makes the same call and then waits for its token.
	switch rest := strings.TrimSuffix(f[5], ".waitForTaskToken"); rest {
	case "sns:publish":
		return integration{kind: "sns"}, true
	case "lambda:invoke":
		return integration{kind: "lambda"}, true
	case "states:startExecution":
		return integration{kind: "sfn"}, true
	case "states:startExecution.sync", "states:startExecution.sync:2":
		if strings.HasSuffix(f[5], ".waitForTaskToken") {
			return integration{}, false
		}
		return integration{kind: "sfn", sync: strings.TrimPrefix(rest, "states:startExecution.")}, true
	default:
		svc, action, ok := strings.Cut(strings.TrimPrefix(rest, "aws-sdk:"), ":")
		if !strings.HasPrefix(rest, "aws-sdk:") || !ok || !sdkAction.MatchString(action) {
			return integration{}, false
		}
		if _, known := sdkServices[svc]; !known {
			return integration{}, false
		}
		r, n := utf8.DecodeRuneInString(action)
		return integration{kind: "sdk", service: svc, action: string(unicode.ToUpper(r)) + action[n:]}, true
	}
}

// perform calls an action's resource and returns its outcome for the
// interpreter. It never fails: every problem is a task failure.
func (s *Service) perform(ctx context.Context, act asl.Action) asl.Result {
	in, ok := parseResource(act.Resource)
	if !ok {
		return asl.Result{Error: asl.ErrRuntime, Cause: fmt.Sprintf("Vigil cannot call the resource '%s'.", act.Resource)}
	}
	if act.TimeoutSeconds > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(act.TimeoutSeconds)*time.Second)
		defer cancel()
	}
	var res asl.Result
	switch in.kind {
	case "sdk":
		res = s.callSDK(ctx, in, act.Input)
	case "sns":
		res = s.publish(ctx, act.Input)
	case "lambda":
		res = s.invokeLambda(ctx, act.Input)
	case "function":
		res = s.invokeFunction(ctx, act.Resource, act.Input)
	case "sfn":
		res = s.startChild(ctx, act)
	case "activity":
		// Activities are queued for GetActivityTask, never called.
		res = asl.Result{Error: asl.ErrRuntime, Cause: "Vigil cannot call an activity."}
	}
	if res.Error != "" && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return asl.Result{Error: asl.ErrTimeout}
	}
	return res
}

// callSDK runs an arn:aws:states:::aws-sdk:SERVICE:action task.
func (s *Service) callSDK(ctx context.Context, in integration, params json.RawMessage) asl.Result {
	svc := sdkServices[in.service]
	var input any = params
	if in.service == "sfn" {
		// Step Functions' own API is camelCase; state machines write
		// parameters in PascalCase.
		input = recase(decodeAny(params), unicode.ToLower)
	}
	out, err := s.invoke(ctx, svc.signing, in.action, input)
	if err != nil {
		return sdkFailure(svc.errPrefix, err)
	}
	if in.service == "sfn" {
		out, _ = json.Marshal(recase(decodeAny(out), unicode.ToUpper))
	}
	return asl.Result{Output: out}
}

// sdkFailure names a failed call the way AWS SDK integrations do:
// Service.ErrorCode, with "Exception" appended when the code lacks it.
func sdkFailure(prefix string, err error) asl.Result {
	var e *awsproto.Error
	if !errors.As(err, &e) {
		return asl.Result{Error: asl.ErrTaskFailed, Cause: err.Error()}
	}
	return asl.Result{
		Error: prefix + "." + exceptionName(e.Code),
		Cause: fmt.Sprintf("%s (Service: %s, Status Code: %d, Request ID: %s)", e.Message, prefix, e.Status, newUUID()),
	}
}

func exceptionName(code string) string {
	if strings.HasSuffix(code, "Exception") {
		return code
	}
	return code + "Exception"
}

// optimizedFailure names a failed optimized-integration call (sns:publish,
// lambda:invoke): Service.ErrorCodeException, with the Java SDK's cause text.
func optimizedFailure(prefix, javaName string, err error) asl.Result {
	var e *awsproto.Error
	if !errors.As(err, &e) {
		return asl.Result{Error: asl.ErrTaskFailed, Cause: err.Error()}
	}
	return asl.Result{
		Error: prefix + "." + exceptionName(e.Code),
		Cause: fmt.Sprintf("%s (Service: %s; Status Code: %d; Error Code: %s; Request ID: %s; Proxy: null)", e.Message, javaName, e.Status, e.Code, newUUID()),
	}
}

// publish runs arn:aws:states:::sns:publish. Message may be any JSON
// value; a non-string is sent as its JSON text.
func (s *Service) publish(ctx context.Context, params json.RawMessage) asl.Result {
	var in map[string]any
	if err := json.Unmarshal(params, &in); err != nil || in == nil {
		return asl.Result{Error: asl.ErrRuntime, Cause: "The parameters of sns:publish must be a JSON object."}
	}
	if msg, ok := in["Message"]; ok {
		if _, isStr := msg.(string); !isStr {
			b, _ := json.Marshal(msg)
			in["Message"] = string(b)
		}
	}
	out, err := s.invoke(ctx, "sns", "Publish", in)
	if err != nil {
		return optimizedFailure("SNS", "AmazonSNS", err)
	}
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		return asl.Result{Error: asl.ErrTaskFailed, Cause: "sns:publish returned an unreadable result"}
	}
	res["SdkHttpMetadata"] = map[string]any{"HttpStatusCode": 200}
	res["SdkResponseMetadata"] = map[string]any{"RequestId": newUUID()}
	b, _ := json.Marshal(res)
	return asl.Result{Output: b}
}

// lambdaResult is what the Lambda service's Invoke returns.
type lambdaResult struct {
	StatusCode      int             `json:"StatusCode"`
	FunctionError   string          `json:"FunctionError"`
	ExecutedVersion string          `json:"ExecutedVersion"`
	Payload         json.RawMessage `json:"Payload"`
}

// payloadBytes reads a blob member: base64 text (as Go marshals []byte),
// or a JSON value passed as it is.
func payloadBytes(raw json.RawMessage) []byte {
	var s string
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if json.Unmarshal(raw, &s) == nil {
		if b, err := base64.StdEncoding.DecodeString(s); err == nil {
			return b
		}
		return []byte(s)
	}
	return raw
}

// callLambda invokes a function and turns a function error into a task
// failure named by the function's errorType, with its payload as cause.
func (s *Service) callLambda(ctx context.Context, req map[string]any) (lambdaResult, []byte, *asl.Result) {
	out, err := s.invoke(ctx, "lambda", "Invoke", req)
	if err != nil {
		r := optimizedFailure("Lambda", "AWSLambda", err)
		return lambdaResult{}, nil, &r
	}
	var lr lambdaResult
	if err := json.Unmarshal(out, &lr); err != nil {
		r := asl.Result{Error: asl.ErrTaskFailed, Cause: "Lambda Invoke returned an unreadable result"}
		return lambdaResult{}, nil, &r
	}
	payload := payloadBytes(lr.Payload)
	if lr.FunctionError != "" {
		var fe struct {
			ErrorType string `json:"errorType"`
		}
		json.Unmarshal(payload, &fe)
		name := fe.ErrorType
		if name == "" {
			name = "Exception"
		}
		return lr, payload, &asl.Result{Error: name, Cause: string(payload)}
	}
	return lr, payload, nil
}

// invokeLambda runs arn:aws:states:::lambda:invoke: its result wraps the
// payload with the response metadata, as AWS's does.
func (s *Service) invokeLambda(ctx context.Context, params json.RawMessage) asl.Result {
	var in map[string]any
	if err := json.Unmarshal(params, &in); err != nil || in == nil {
		return asl.Result{Error: asl.ErrRuntime, Cause: "The parameters of lambda:invoke must be a JSON object."}
	}
	req := map[string]any{}
	for k, v := range in {
		req[k] = v
	}
	if p, ok := in["Payload"]; ok {
		b, _ := json.Marshal(p)
		req["Payload"] = b // a blob: marshalled as base64
	}
	lr, payload, fail := s.callLambda(ctx, req)
	if fail != nil {
		return *fail
	}
	var pv any = string(payload)
	if v, err := decodeJSON(payload); err == nil {
		pv = v
	}
	version := lr.ExecutedVersion
	if version == "" {
		version = "$LATEST"
	}
	out := map[string]any{
		"ExecutedVersion":     version,
		"Payload":             pv,
		"SdkHttpMetadata":     map[string]any{"HttpStatusCode": lr.StatusCode},
		"SdkResponseMetadata": map[string]any{"RequestId": newUUID()},
		"StatusCode":          lr.StatusCode,
	}
	b, _ := json.Marshal(out)
	return asl.Result{Output: b}
}

// invokeFunction runs a task whose resource is a function ARN: the state's
// input is the event, the function's result is the task's.
func (s *Service) invokeFunction(ctx context.Context, arn string, input json.RawMessage) asl.Result {
	_, payload, fail := s.callLambda(ctx, map[string]any{"FunctionName": arn, "InvocationType": "RequestResponse", "Payload": []byte(input)})
	if fail != nil {
		return *fail
	}
	if len(payload) == 0 {
		payload = []byte("null")
	}
	if _, err := decodeJSON(payload); err != nil {
		return asl.Result{Error: asl.ErrTaskFailed, Cause: "The function returned a payload that is not JSON."}
	}
	return asl.Result{Output: payload}
}

func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

func decodeAny(b []byte) any {
	v, err := decodeJSON(b)
	if err != nil {
		return nil
	}
	return v
}

// recase changes the first letter of every object key.
func recase(v any, f func(rune) rune) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, c := range x {
			if k != "" {
				r, n := utf8.DecodeRuneInString(k)
				k = string(f(r)) + k[n:]
			}
			out[k] = recase(c, f)
		}
		return out
	case []any:
		for i, c := range x {
			x[i] = recase(c, f)
		}
		return x
	}
	return v
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

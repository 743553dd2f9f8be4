package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const lamARNPrefix = "arn:aws:lambda:us-east-1:000000000000:function:"

// lamScript is an external function: it echoes its event, or fails in the
// ways the event asks for.
const lamScript = `import json, os, sys
event = json.load(sys.stdin)
if event.get("fail"):
    print(json.dumps({"errorType": "CustomError", "errorMessage": "asked to fail: " + event["fail"]}))
    sys.exit(1)
if event.get("crash"):
    sys.stderr.write("Traceback (most recent call last):\n  ValueError: crash requested\n")
    sys.exit(2)
if event.get("record"):
    with open(event["record"], "a") as f:
        f.write(json.dumps(event) + "\n")
leaked = [k for k in os.environ if "SECRET" in k or k.startswith("AWS_ACCESS_KEY") or k.startswith("VIGIL_")]
print(json.dumps({"echo": event, "function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"), "leaked": leaked}))
`

// startLambdaVigil starts vigil with the script registered as pyfn.
func startLambdaVigil(t *testing.T) *vigil {
	t.Helper()
	// Ask for the interpreter itself: version-manager shims are slow to start.
	real, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Skip("python3 is needed for the external function")
	}
	python := strings.TrimSpace(string(real))
	script := filepath.Join(t.TempDir(), "fn.py")
	if err := os.WriteFile(script, []byte(lamScript), 0o644); err != nil {
		t.Fatal(err)
	}
	// Vigil's environment holds something secret; the function must not see it.
	t.Setenv("VIGIL_E2E_SECRET", "do-not-leak")
	return startVigil(t, "--function", "pyfn="+python+" '"+script+"'")
}

func lamWantError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if got := ctCode(err); got != code {
		t.Errorf("%s: error %s, want %s", what, got, code)
		return
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("%s: error %q does not say %q", what, err, msg)
	}
}

func TestLambdaInvokeCommand(t *testing.T) {
	v := startLambdaVigil(t)
	lc, ctx := v.lambda(), context.Background()

	for _, name := range []string{"pyfn", lamARNPrefix + "pyfn", "000000000000:function:pyfn", "pyfn:$LATEST"} {
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"n":1,"s":"é"}`)})
		if err != nil {
			t.Fatalf("Invoke %s: %v", name, err)
		}
		if out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
			t.Errorf("Invoke %s: status %d, error %v, version %v", name, out.StatusCode, out.FunctionError, out.ExecutedVersion)
		}
		var res struct {
			Echo     map[string]any
			Function string
			Leaked   []string
		}
		if err := json.Unmarshal(out.Payload, &res); err != nil {
			t.Fatalf("payload %s: %v", out.Payload, err)
		}
		if res.Echo["n"] != 1.0 || res.Echo["s"] != "é" || res.Function != "pyfn" || len(res.Leaked) != 0 {
			t.Errorf("Invoke %s: payload %s", name, out.Payload)
		}
	}

	// The function reports an error of its own.
	out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("pyfn"), Payload: []byte(`{"fail":"on purpose"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var fe struct{ ErrorType, ErrorMessage string }
	json.Unmarshal(out.Payload, &fe)
	if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" || fe.ErrorType != "CustomError" || fe.ErrorMessage != "asked to fail: on purpose" {
		t.Errorf("failing function: status %d, error %v, payload %s", out.StatusCode, out.FunctionError, out.Payload)
	}

	// The function crashes: its stderr is the message and the log tail.
	out, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("pyfn"), Payload: []byte(`{"crash":true}`), LogType: lambdatypes.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(out.Payload, &fe)
	logs, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if aws.ToString(out.FunctionError) != "Unhandled" || fe.ErrorType != "Runtime.ExitError" || !strings.Contains(fe.ErrorMessage, "crash requested") {
		t.Errorf("crashing function: error %v, payload %s", out.FunctionError, out.Payload)
	}
	if !strings.Contains(string(logs), "ValueError: crash requested") || !strings.HasPrefix(string(logs), "START RequestId: ") {
		t.Errorf("log tail = %q", logs)
	}

	// Asynchronous invocation: accepted now, run soon.
	record := filepath.Join(t.TempDir(), "async.jsonl")
	payload, _ := json.Marshal(map[string]string{"record": record, "id": "async-1"})
	out, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("pyfn"), InvocationType: lambdatypes.InvocationTypeEvent, Payload: payload})
	if err != nil || out.StatusCode != 202 || len(out.Payload) != 0 {
		t.Fatalf("async Invoke: %v, status %d, payload %q", err, out.StatusCode, out.Payload)
	}
	eventually(t, 20*time.Second, func() error {
		b, err := os.ReadFile(record)
		if err == nil && !bytes.Contains(b, []byte(`"async-1"`)) {
			t.Fatalf("async run wrote %s", b)
		}
		return err
	})

	// A dry run checks the function exists and runs nothing.
	out, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("pyfn"), InvocationType: lambdatypes.InvocationTypeDryRun})
	if err != nil || out.StatusCode != 204 {
		t.Errorf("DryRun: %v, status %d", err, out.StatusCode)
	}
}

func TestLambdaErrors(t *testing.T) {
	v := startLambdaVigil(t)
	lc, ctx := v.lambda(), context.Background()
	_, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope")})
	lamWantError(t, "unknown function", err, "ResourceNotFoundException", "Function not found: "+lamARNPrefix+"nope")
	_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:eu-west-1:000000000000:function:pyfn")})
	lamWantError(t, "other region", err, "ResourceNotFoundException", "arn:aws:lambda:eu-west-1:000000000000:function:pyfn")
	_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("pyfn"), Qualifier: aws.String("7")})
	lamWantError(t, "version", err, "ResourceNotFoundException", "Function not found: "+lamARNPrefix+"pyfn:7")
	_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("pyfn"), Payload: []byte(`{not json`)})
	lamWantError(t, "bad payload", err, "InvalidRequestContentException", "Could not parse request body into json")
	_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("pyfn"), InvocationType: "Sometime"})
	lamWantError(t, "bad invocation type", err, "ValidationException", "invocationType")
	_, err = lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
	lamWantError(t, "GetFunction", err, "ResourceNotFoundException", "Function not found: "+lamARNPrefix+"nope")
	_, err = lc.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("pyfn")})
	lamWantError(t, "DeleteFunction", err, "UnknownOperationException", "--function")

	// A --function flag that does not parse stops the server at once.
	cmd := exec.Command(vigilBin, "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--function", "bad name=true")
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "--function") {
		t.Errorf("bad --function: %v, %s", err, msg)
	}
}

func TestLambdaListAndGetFunction(t *testing.T) {
	v := startLambdaVigil(t)
	lc, ctx := v.lambda(), context.Background()
	fns := map[string]lambdatypes.FunctionConfiguration{}
	p := lambda.NewListFunctionsPaginator(lc, &lambda.ListFunctionsInput{MaxItems: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Functions) > 1 {
			t.Fatalf("page of %d functions, asked for 1", len(out.Functions))
		}
		for _, f := range out.Functions {
			fns[aws.ToString(f.FunctionName)] = f
		}
	}
	py, ok := fns["pyfn"]
	if !ok || aws.ToString(py.FunctionArn) != lamARNPrefix+"pyfn" || py.Runtime != "provided.vigil-command" ||
		!strings.HasSuffix(aws.ToString(py.Handler), "python3") || aws.ToInt32(py.Timeout) != 60 {
		t.Errorf("pyfn listed as %+v (%v)", py, ok)
	}
	// Built-in functions are listed too (the playbooks' ones always are).
	builtins := 0
	for _, f := range fns {
		if f.Runtime == "provided.vigil-go" {
			builtins++
		}
	}
	if builtins == 0 {
		t.Errorf("no built-in functions listed among %d", len(fns))
	}

	got, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(lamARNPrefix + "pyfn")})
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Configuration; aws.ToString(c.FunctionName) != "pyfn" || c.State != lambdatypes.StateActive || aws.ToString(c.Version) != "$LATEST" {
		t.Errorf("GetFunction = %+v", c)
	}

	// The call is in the trail, naming the function.
	events := ctLookup(t, v.cloudtrail(), cttypes.LookupAttributeKeyEventName, "GetFunction", 50)
	if len(events) != 1 || aws.ToString(events[0].EventSource) != "lambda.amazonaws.com" || len(events[0].Resources) != 1 ||
		aws.ToString(events[0].Resources[0].ResourceName) != lamARNPrefix+"pyfn" {
		t.Errorf("GetFunction events = %+v", events)
	}
}

package e2e

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBoto3 drives every service with boto3, the Python SDK, unchanged.
func TestBoto3(t *testing.T) {
	if _, err := exec.Command("python3", "-c", "import boto3").CombinedOutput(); err != nil {
		t.Fatal("boto3 is not installed; ./test.sh installs python3-boto3")
	}
	v := startVigil(t)
	cmd := exec.Command("python3", "testdata/boto3_smoke.py", v.URL, v.Creds)
	cmd.Env = append(cmd.Environ(), "AWS_SHARED_CREDENTIALS_FILE="+v.Creds, "AWS_CONFIG_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok ") {
		t.Fatalf("boto3 smoke test: %v\n%s", err, out)
	}
	t.Logf("boto3: %s", strings.TrimSpace(string(out)))
}

// TestAWSCLI runs the README's walk-through with the AWS CLI.
func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the AWS CLI is not installed; ./test.sh installs awscli")
	}
	v := startVigil(t, "--playbook", "exposed-access-key")
	awsCLI := func(args ...string) string {
		t.Helper()
		return v.awsCLI(t, args...)
	}
	awsCLI("iam", "create-user", "--user-name", "test-user")
	key := awsCLI("iam", "create-access-key", "--user-name", "test-user", "--query", "AccessKey.AccessKeyId")
	if !strings.HasPrefix(key, "AKIA") {
		t.Fatalf("access key id %q", key)
	}
	detail := `{\"service\":\"RISK\",\"eventTypeCode\":\"AWS_RISK_CREDENTIALS_EXPOSED\",\"eventTypeCategory\":\"issue\",\"affectedEntities\":[{\"entityValue\":\"` + key + `\"}]}`
	entries := `[{"Source":"aws.health","DetailType":"AWS Health Event","Detail":"` + detail + `"}]`
	if failed := awsCLI("events", "put-events", "--entries", entries, "--query", "FailedEntryCount"); failed != "0" {
		t.Fatalf("FailedEntryCount = %s", failed)
	}
	machine := "arn:aws:states:us-east-1:000000000000:stateMachine:ExposedKeyResponse"
	var status string
	eventually(t, 30*time.Second, func() error {
		status = awsCLI("stepfunctions", "list-executions", "--state-machine-arn", machine, "--query", "executions[0].status")
		if status == "RUNNING" || status == "None" {
			return errNotYet
		}
		return nil
	})
	if status != "SUCCEEDED" {
		t.Fatalf("execution %s", status)
	}
	if keys := awsCLI("iam", "list-access-keys", "--user-name", "test-user", "--query", "length(AccessKeyMetadata)"); keys != "0" {
		t.Errorf("test-user has %s keys after the response", keys)
	}
	// The workflow deleted the key with its role: CloudTrail names the
	// role session, which Vigil names for the execution.
	execName := awsCLI("stepfunctions", "list-executions", "--state-machine-arn", machine, "--query", "executions[0].name")
	if by := awsCLI("cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=DeleteAccessKey", "--query", "Events[0].Username"); by != execName {
		t.Errorf("DeleteAccessKey recorded for %q, want the session %q", by, execName)
	}
	rec := awsCLI("cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=DeleteAccessKey", "--query", "Events[0].CloudTrailEvent")
	for _, want := range []string{`"type":"AssumedRole"`, `"invokedBy":"states.amazonaws.com"`, `assumed-role/vigil-playbook-exposed-access-key/` + execName} {
		if !strings.Contains(rec, want) {
			t.Errorf("DeleteAccessKey record lacks %s: %s", want, rec)
		}
	}
}

// Package e2e drives the real vigil binary over real sockets with the AWS
// SDK for Go, as a user would.
package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// vigilBin is the binary under test, built once in TestMain.
var vigilBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigil-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vigilBin = filepath.Join(dir, "vigil")
	build := exec.Command("go", "build", "-o", vigilBin, "../cmd/vigil")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build vigil:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// vigil is one running server process.
type vigil struct {
	Dir     string // data directory
	URL     string // http://127.0.0.1:PORT
	Creds   string // path of the credentials file
	Cfg     aws.Config
	args    []string
	listen  string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
}

// startVigil starts vigil with a fresh data directory and extra serve flags.
func startVigil(t *testing.T, args ...string) *vigil {
	t.Helper()
	v := &vigil{Dir: t.TempDir(), args: args, listen: "127.0.0.1:0"}
	v.logPath = filepath.Join(v.Dir, "vigil.log")
	v.start(t)
	t.Cleanup(func() {
		v.stop()
		if t.Failed() {
			v.dumpLog(t)
		}
	})
	return v
}

func (v *vigil) start(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(v.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"serve", "--listen", v.listen, "--data", v.Dir, "--sync", "normal", "--log-level", "debug"}, v.args...)
	cmd := exec.Command(vigilBin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start vigil: %v", err)
	}
	v.cmd, v.exited = cmd, make(chan struct{})
	urlc := make(chan string, 1)
	go func() {
		defer logf.Close()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if u, ok := strings.CutPrefix(line, "vigil: listening on "); ok {
				urlc <- u
			}
		}
		io.Copy(logf, stderr)
	}()
	go func() { cmd.Wait(); close(v.exited) }()
	select {
	case v.URL = <-urlc:
	case <-v.exited:
		v.dumpLog(t)
		t.Fatalf("vigil exited before listening")
	case <-time.After(30 * time.Second):
		v.dumpLog(t)
		t.Fatalf("vigil did not start listening within 30s")
	}
	v.listen = strings.TrimPrefix(v.URL, "http://") // keep the port across restarts
	v.Creds = filepath.Join(v.Dir, "credentials")
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithSharedCredentialsFiles([]string{v.Creds}),
		config.WithSharedConfigProfile("vigil"),
		config.WithRegion("us-east-1"),
		config.WithBaseEndpoint(v.URL),
	)
	if err != nil {
		t.Fatalf("load credentials: %v", err)
	}
	v.Cfg = cfg
}

// kill ends the process with SIGKILL, as a crash would.
func (v *vigil) kill() {
	if v.cmd == nil {
		return
	}
	v.cmd.Process.Signal(syscall.SIGKILL)
	<-v.exited
	v.cmd = nil
}

// stop ends the process gracefully.
func (v *vigil) stop() {
	if v.cmd == nil {
		return
	}
	v.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-v.exited:
	case <-time.After(10 * time.Second):
		v.cmd.Process.Signal(syscall.SIGKILL)
		<-v.exited
	}
	v.cmd = nil
}

// restart kills the process and starts it again on the same data directory and port.
func (v *vigil) restart(t *testing.T) {
	t.Helper()
	v.kill()
	v.start(t)
}

func (v *vigil) dumpLog(t *testing.T) {
	b, _ := os.ReadFile(v.logPath)
	if len(b) > 8000 {
		b = b[len(b)-8000:]
	}
	t.Logf("vigil log (tail):\n%s", b)
}

// Log returns everything the server has logged so far.
func (v *vigil) Log() string {
	b, _ := os.ReadFile(v.logPath)
	return string(b)
}

// awsCLI runs the AWS CLI against the server as the root profile, with
// text output, and returns what it printed.
func (v *vigil) awsCLI(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", v.URL, "--output", "text"}, args...)...)
	cmd.Env = append(cmd.Environ(), "AWS_SHARED_CREDENTIALS_FILE="+v.Creds, "AWS_PROFILE=vigil", "AWS_CONFIG_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (v *vigil) iam() *iam.Client               { return iam.NewFromConfig(v.Cfg) }
func (v *vigil) sts() *sts.Client               { return sts.NewFromConfig(v.Cfg) }
func (v *vigil) sns() *sns.Client               { return sns.NewFromConfig(v.Cfg) }
func (v *vigil) sfn() *sfn.Client               { return sfn.NewFromConfig(v.Cfg) }
func (v *vigil) events() *eventbridge.Client    { return eventbridge.NewFromConfig(v.Cfg) }
func (v *vigil) cloudtrail() *cloudtrail.Client { return cloudtrail.NewFromConfig(v.Cfg) }
func (v *vigil) lambda() *lambda.Client         { return lambda.NewFromConfig(v.Cfg) }

// eventually retries f until it returns nil or the deadline passes.
func eventually(t *testing.T, within time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("condition not met within %s: %v", within, err)
}

// errNotYet is what an eventually condition returns while it waits.
var errNotYet = errors.New("not yet")

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// definitions are the measured state machines, by shape. ResultPath null
// keeps every state's output equal to the execution input, so the data
// carried is the same in both shapes.
var definitions = map[string]string{
	"task": threeStates(`"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sts:getCallerIdentity","ResultPath":null`),
	"pass": threeStates(`"Type":"Pass","ResultPath":null`),
}

func threeStates(body string) string {
	return `{"Comment":"vigil-bench","StartAt":"One","States":{` +
		`"One":{` + body + `,"Next":"Two"},` +
		`"Two":{` + body + `,"Next":"Three"},` +
		`"Three":{` + body + `,"End":true}}}`
}

// The machine's role: tasks act with it, so it must trust Step Functions
// and allow the call the Task states make.
const (
	benchRoleName = "vigil-bench"
	benchTrust    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"states.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	benchPolicy   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`
)

// stallTimeout ends a measurement in which nothing finished for this long.
const stallTimeout = time.Minute

type client struct {
	sfn *sfn.Client
	iam *iam.Client
}

func newClient(ctx context.Context, url, creds string, conns int) (*client, error) {
	httpc := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		// One kept-alive connection per in-flight execution and the poller,
		// so the measurement does not open connections as it goes.
		t.MaxIdleConns = conns + 8
		t.MaxIdleConnsPerHost = conns + 8
	})
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithSharedCredentialsFiles([]string{creds}),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedConfigProfile("vigil"),
		config.WithRegion("us-east-1"),
		config.WithHTTPClient(httpc))
	if err != nil {
		return nil, fmt.Errorf("load credentials %s: %w", creds, err)
	}
	return &client{
		sfn: sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(url) }),
		iam: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(url) }),
	}, nil
}

// role creates the machine's role, or finds it made by an earlier run.
func (c *client) role(ctx context.Context) (string, error) {
	out, err := c.iam.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String(benchRoleName), AssumeRolePolicyDocument: aws.String(benchTrust),
	})
	var exists *iamtypes.EntityAlreadyExistsException
	switch {
	case errors.As(err, &exists):
		got, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(benchRoleName)})
		if err != nil {
			return "", fmt.Errorf("get role: %w", err)
		}
		return aws.ToString(got.Role.Arn), nil
	case err != nil:
		return "", fmt.Errorf("create role: %w", err)
	}
	_, err = c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName: aws.String(benchRoleName), PolicyName: aws.String("tasks"), PolicyDocument: aws.String(benchPolicy),
	})
	if err != nil {
		return "", fmt.Errorf("put role policy: %w", err)
	}
	return aws.ToString(out.Role.Arn), nil
}

func (c *client) createMachine(ctx context.Context, name, def string) (string, error) {
	roleARN, err := c.role(ctx)
	if err != nil {
		return "", err
	}
	out, err := c.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(roleARN),
	})
	if err != nil {
		return "", fmt.Errorf("create state machine: %w", err)
	}
	return aws.ToString(out.StateMachineArn), nil
}

// flight is one execution in flight.
type flight struct {
	started time.Time     // before StartExecution was sent
	call    time.Duration // how long StartExecution took
	done    chan struct{}
	ended   time.Time // when the poller first saw it no longer running
}

// tracker holds the executions in flight for the poller.
type tracker struct {
	mu      sync.Mutex
	pending map[string]*flight
	calls   atomic.Int64 // ListExecutions and DescribeExecution calls made
}

func (t *tracker) add(arn string, f *flight) {
	t.mu.Lock()
	t.pending[arn] = f
	t.mu.Unlock()
}

// snapshot lists the executions whose StartExecution has returned, hence
// committed: any of them missing from a RUNNING list taken afterwards
// has ended.
func (t *tracker) snapshot() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	arns := make([]string, 0, len(t.pending))
	for arn := range t.pending {
		arns = append(arns, arn)
	}
	return arns
}

func (t *tracker) finish(arns []string, running map[string]bool, now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, arn := range arns {
		if f := t.pending[arn]; f != nil && !running[arn] {
			f.ended = now
			close(f.done)
			delete(t.pending, arn)
			n++
		}
	}
	return n
}

// drive runs n executions of machine arn, keeping conc in flight, and
// measures them.
func (c *client) drive(ctx context.Context, arn, prefix string, n, conc int, poll time.Duration) (result, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tr := &tracker{pending: map[string]*flight{}}
	flights := make([]*flight, n)
	var next atomic.Int64
	var pollerDone sync.WaitGroup
	pollerDone.Add(1)
	go func() {
		defer pollerDone.Done()
		if err := c.poll(ctx, arn, tr, poll, conc); err != nil {
			cancel(err)
		}
	}()
	begin := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				f := &flight{started: time.Now(), done: make(chan struct{})}
				out, err := c.sfn.StartExecution(ctx, &sfn.StartExecutionInput{
					StateMachineArn: aws.String(arn), Name: aws.String(fmt.Sprintf("%s-%d", prefix, i)), Input: aws.String("{}"),
				})
				if err != nil {
					cancel(fmt.Errorf("start execution: %w", err))
					return
				}
				f.call = time.Since(f.started)
				flights[i] = f
				tr.add(aws.ToString(out.ExecutionArn), f)
				select {
				case <-f.done:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	wg.Wait()
	cancel(nil)
	pollerDone.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return result{}, err
	}
	res := result{executions: n, pollCalls: int(tr.calls.Load())}
	for i, f := range flights {
		if f == nil || f.ended.IsZero() {
			return result{}, fmt.Errorf("interrupted before execution %s-%d finished", prefix, i)
		}
		res.wall = max(res.wall, f.ended.Sub(begin))
		res.client = append(res.client, f.ended.Sub(f.started))
		res.startCall = append(res.startCall, f.call)
	}
	return res, c.serverTimes(context.WithoutCancel(ctx), arn, prefix, &res)
}

// poll reads the newest executions of the machine every interval and
// ends the flights it sees no longer running. With conc executions in
// flight, the newest 2*conc hold all of them unless one runs while more
// than conc others start after it; such a straggler is looked up by
// itself. Listing the newest page keeps each poll's cost bounded by the
// concurrency, not by how many executions the machine has run.
func (c *client) poll(ctx context.Context, arn string, tr *tracker, interval time.Duration, conc int) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	window := int32(min(1000, max(100, 2*conc)))
	progress := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		arns := tr.snapshot()
		if len(arns) == 0 {
			progress = time.Now()
			continue
		}
		tr.calls.Add(1)
		out, err := c.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), MaxResults: window})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list executions: %w", err)
		}
		running := make(map[string]bool, len(arns))
		for _, e := range out.Executions {
			if e.Status == types.ExecutionStatusRunning {
				running[aws.ToString(e.ExecutionArn)] = true
			}
		}
		if err := c.stragglers(ctx, tr, arns, out.Executions, running); err != nil {
			return err
		}
		now := time.Now()
		if tr.finish(arns, running, now) > 0 {
			progress = now
		} else if now.Sub(progress) > stallTimeout {
			return fmt.Errorf("no execution finished for %s", stallTimeout)
		}
	}
}

// stragglers marks as running those of arns that the listed page does
// not show and DescribeExecution says are still running.
func (c *client) stragglers(ctx context.Context, tr *tracker, arns []string, page []types.ExecutionListItem, running map[string]bool) error {
	listed := make(map[string]bool, len(page))
	for _, e := range page {
		listed[aws.ToString(e.ExecutionArn)] = true
	}
	for _, a := range arns {
		if listed[a] {
			continue
		}
		tr.calls.Add(1)
		d, err := c.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(a)})
		if err != nil {
			return fmt.Errorf("describe execution: %w", err)
		}
		if d.Status == types.ExecutionStatusRunning {
			running[a] = true
		}
	}
	return nil
}

// list pages through the executions of machine arn, calling each for
// every item.
func (c *client) list(ctx context.Context, arn string, each func(types.ExecutionListItem)) error {
	in := &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), MaxResults: 1000}
	for {
		out, err := c.sfn.ListExecutions(ctx, in)
		if err != nil {
			return fmt.Errorf("list executions: %w", err)
		}
		for _, e := range out.Executions {
			each(e)
		}
		if out.NextToken == nil {
			return nil
		}
		in.NextToken = out.NextToken
	}
}

// serverTimes fills in the server-side latency (stopDate - startDate) of
// the measured executions and counts those that did not succeed.
func (c *client) serverTimes(ctx context.Context, arn, prefix string, res *result) error {
	var err error
	lerr := c.list(ctx, arn, func(e types.ExecutionListItem) {
		if !isMeasured(aws.ToString(e.Name), prefix) {
			return
		}
		if e.Status != types.ExecutionStatusSucceeded {
			res.failed++
		}
		if e.StartDate == nil || e.StopDate == nil {
			err = fmt.Errorf("execution %s: no start or stop date", aws.ToString(e.Name))
			return
		}
		res.server = append(res.server, e.StopDate.Sub(*e.StartDate))
	})
	if lerr != nil {
		return lerr
	}
	if err == nil && len(res.server) != res.executions {
		err = fmt.Errorf("listed %d of %d executions", len(res.server), res.executions)
	}
	return err
}

func isMeasured(name, prefix string) bool {
	return len(name) > len(prefix) && name[:len(prefix)] == prefix && name[len(prefix)] == '-'
}

package asl

import (
	"encoding/json"
	"fmt"
	"strings"
)

// resourceKind classifies a Task resource ARN for history events.
type resourceKind struct {
	kind         string // "service", "lambda", "activity"
	resourceType string // e.g. "aws-sdk:iam", "sns", "lambda"
	resource     string // e.g. "deleteAccessKey", "publish"
	token        bool   // .waitForTaskToken
}

func classify(arn string) resourceKind {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) >= 6 && parts[2] == "states" && parts[3] == "" && parts[4] == "" {
		rest := strings.Join(parts[5:], ":")
		i := strings.LastIndexByte(rest, ':')
		// "aws-sdk:iam:deleteAccessKey" -> "aws-sdk:iam" + "deleteAccessKey";
		// a ".sync:2" suffix belongs to the resource part.
		if j := strings.Index(rest, ".sync:"); j >= 0 {
			i = strings.LastIndexByte(rest[:j], ':')
		}
		if i < 0 {
			return resourceKind{kind: "service", resourceType: rest, resource: rest}
		}
		rt, res := rest[:i], rest[i+1:]
		return resourceKind{kind: "service", resourceType: rt, resource: res, token: strings.HasSuffix(res, ".waitForTaskToken")}
	}
	if len(parts) >= 7 && parts[2] == "lambda" && parts[5] == "function" {
		return resourceKind{kind: "lambda", resource: arn}
	}
	if len(parts) >= 7 && parts[2] == "states" && parts[5] == "activity" {
		return resourceKind{kind: "activity", resource: arn, token: true}
	}
	return resourceKind{kind: "service", resourceType: parts[min(2, len(parts)-1)], resource: arn}
}

func (x *exec) taskState(t *Thread, st *State, in any) outcome {
	fail := func(f *failure) outcome { return outcome{fail: f, failAt: t.Last} }
	eff, f := x.inputPath(t, st, in)
	if f != nil {
		return fail(f)
	}
	rk := classify(st.Resource)
	token := ""
	if rk.token {
		token = x.taskToken()
	}
	params := eff
	// A retry sends the parameters of the first attempt again, except
	// for a callback task: its parameters carry the new attempt's token.
	if t.Phase == "retrying" && t.Params != nil && !rk.token {
		params = valueOf(t.Params)
	} else if st.Parameters != nil {
		e := x.env(t, eff, st)
		if rk.token {
			ctx := e.context().(map[string]any)
			ctx["Task"] = map[string]any{"Token": token}
		}
		if params, f = st.Parameters.eval(e); f != nil {
			return fail(x.stateErr(t, st, f))
		}
	}
	x.note(func(i *Inspection) { i.AfterInputPath, i.AfterParameters = rawOf(eff), rawOf(params) })
	timeout, heartbeat, f := x.taskTimeouts(t, st, eff)
	if f != nil {
		return fail(f)
	}
	return x.schedule(t, st, params, token, timeout, heartbeat)
}

// scheduleTask is the JSONata-mode entry: Arguments already evaluated
// (with token, if any, in $states.context.Task.Token).
func (x *exec) scheduleTask(t *Thread, st *State, args any, sc *jscope, token string) outcome {
	timeouts := [2]int{}
	for i, f := range []string{"TimeoutSeconds", "HeartbeatSeconds"} {
		v, je := x.jfield(st, sc, f, nil)
		if je != nil {
			return x.evalFail(t, st, je)
		}
		if v != nil {
			n, ok := toInt(v)
			if !ok || n <= 0 {
				return x.evalFail(t, st, &jerr{f, fmt.Sprintf("The %s field must be a positive integer, but was: %s", f, encodeString(v))})
			}
			timeouts[i] = int(min(n, 99999999))
		}
	}
	return x.schedule(t, st, args, token, timeouts[0], timeouts[1])
}

// schedule emits the scheduling events and the task action.
func (x *exec) schedule(t *Thread, st *State, params any, token string, timeout, heartbeat int) outcome {
	rk := classify(st.Resource)
	if rk.kind == "activity" && x.r.Ctx.ActivityExists != nil && !x.r.Ctx.ActivityExists(st.Resource) {
		return outcome{fail: x.stateErr(t, st, runtimeErr("The activity %s does not exist.", st.Resource)), failAt: t.Last}
	}
	if rk.token && token == "" {
		token = x.taskToken()
	}
	t.Params = rawOf(params)
	t.Phase = "task"
	ptext := string(t.Params)
	switch rk.kind {
	case "lambda":
		t.Last = x.emit(t.Last, "LambdaFunctionScheduled", func(e *HistoryEvent) {
			e.LambdaFunctionScheduledEventDetails = &LambdaScheduledDetails{Resource: st.Resource, Input: ptext, InputDetails: tr(), TimeoutInSeconds: int64(timeout)}
		})
		t.Last = x.emit(t.Last, "LambdaFunctionStarted", nil)
	case "activity":
		t.Last = x.emit(t.Last, "ActivityScheduled", func(e *HistoryEvent) {
			e.ActivityScheduledEventDetails = &ActivityScheduledDetails{Resource: st.Resource, Input: ptext, InputDetails: tr(), TimeoutInSeconds: int64(timeout), HeartbeatInSecs: int64(heartbeat)}
		})
	default:
		t.Last = x.emit(t.Last, "TaskScheduled", func(e *HistoryEvent) {
			e.TaskScheduledEventDetails = &TaskScheduledDetails{ResourceType: rk.resourceType, Resource: rk.resource,
				Region: x.region(st.Resource), Parameters: ptext, TimeoutInSeconds: int64(timeout), HeartbeatInSecs: int64(heartbeat)}
		})
		t.Last = x.emit(t.Last, "TaskStarted", func(e *HistoryEvent) {
			e.TaskStartedEventDetails = &TaskDetails{ResourceType: rk.resourceType, Resource: rk.resource}
		})
	}
	t.Action = x.addAction(Action{Kind: KindTask, Resource: st.Resource, Input: t.Params, TimeoutSeconds: timeout,
		HeartbeatSeconds: heartbeat, State: st.Name, TaskToken: token}, t.ID)
	return outcome{blocked: true}
}

// taskTimeouts resolves TimeoutSeconds(Path) and HeartbeatSeconds(Path).
func (x *exec) taskTimeouts(t *Thread, st *State, eff any) (int, int, *failure) {
	timeout, heartbeat := st.TimeoutSeconds, st.HeartbeatSeconds
	e := x.env(t, eff, st)
	for _, p := range []struct {
		path  *path
		name  string
		field *int
	}{{st.TimeoutSecondsPath, "TimeoutSecondsPath", &timeout}, {st.HeartbeatSecPath, "HeartbeatSecondsPath", &heartbeat}} {
		if p.path == nil {
			continue
		}
		v, ok := e.lookup(p.path)
		n, isInt := toInt(v)
		if !ok || !isInt || n <= 0 {
			return 0, 0, x.stateErr(t, st, runtimeErr("The %s parameter does not reference a positive integer: %s", p.name, p.path.src))
		}
		*p.field = int(min(n, 99999999))
	}
	return timeout, heartbeat, nil
}

// taskDone handles the result of a task action.
func (x *exec) taskDone(t *Thread, st *State, act Action, res Result) outcome {
	rk := classify(st.Resource)
	t.Phase = ""
	if res.Error == "" && len(res.Output) > MaxPayloadBytes {
		name := rk.resourceType
		if rk.kind != "service" {
			name = st.Resource
		}
		f := dataLimit(name)
		res = Result{Error: f.Error, Cause: f.Cause}
	}
	if res.Error != "" {
		typ := "Failed"
		if res.Error == ErrTimeout || res.Error == ErrHeartbeatTimeout {
			typ = "TimedOut"
		}
		t.Last = x.emit(t.Last, eventPrefix(rk)+typ, func(e *HistoryEvent) {
			ed := &ErrorDetails{Error: res.Error, Cause: res.Cause}
			td := &TaskDetails{ResourceType: rk.resourceType, Resource: rk.resource, Error: res.Error, Cause: res.Cause}
			switch {
			case rk.kind == "lambda" && typ == "Failed":
				e.LambdaFunctionFailedEventDetails = ed
			case rk.kind == "lambda":
				e.LambdaFunctionTimedOutEventDetails = ed
			case rk.kind == "activity" && typ == "Failed":
				e.ActivityFailedEventDetails = ed
			case rk.kind == "activity":
				e.ActivityTimedOutEventDetails = ed
			case typ == "Failed":
				e.TaskFailedEventDetails = td
			default:
				e.TaskTimedOutEventDetails = td
			}
		})
		return outcome{fail: &failure{Error: res.Error, Cause: res.Cause}, failAt: t.Last}
	}
	out := res.Output
	if len(out) == 0 {
		out = json.RawMessage("null")
	}
	result, err := decodeJSON(out)
	if err != nil {
		return outcome{fail: x.stateErr(t, st, runtimeErr("The task result is not valid JSON: %v", err)), failAt: t.Last}
	}
	otext := string(rawOf(result))
	x.note(func(i *Inspection) { i.Result = json.RawMessage(otext) })
	t.Last = x.emit(t.Last, eventPrefix(rk)+"Succeeded", func(e *HistoryEvent) {
		switch rk.kind {
		case "lambda":
			e.LambdaFunctionSucceededEventDetails = &OutputDetails{Output: otext, OutputDetails: tr()}
		case "activity":
			e.ActivitySucceededEventDetails = &OutputDetails{Output: otext, OutputDetails: tr()}
		default:
			e.TaskSucceededEventDetails = &TaskDetails{ResourceType: rk.resourceType, Resource: rk.resource, Output: &otext, OutputDetails: tr()}
		}
	})
	return x.finishResult(t, st, result)
}

func eventPrefix(rk resourceKind) string {
	switch rk.kind {
	case "lambda":
		return "LambdaFunction"
	case "activity":
		return "Activity"
	}
	return "Task"
}

// finishResult applies ResultSelector, Assign, ResultPath and OutputPath
// to a Task, Parallel or Map result.
func (x *exec) finishResult(t *Thread, st *State, result any) outcome {
	if st.JSONata {
		return x.jresult(t, st, result)
	}
	fail := func(f *failure) outcome { return outcome{fail: f, failAt: t.Last} }
	var f *failure
	if st.ResultSelector != nil {
		if result, f = st.ResultSelector.eval(x.env(t, result, st)); f != nil {
			return fail(x.stateErr(t, st, f))
		}
	}
	x.note(func(i *Inspection) { i.AfterResultSelector = rawOf(result) })
	vars, f := x.assign(t, st, st.Assign, result)
	if f != nil {
		return fail(f)
	}
	out, f := x.resultPath(t, st, st.ResultPath, valueOf(t.Input), result)
	if f != nil {
		return fail(f)
	}
	x.note(func(i *Inspection) { i.AfterResultPath = rawOf(out) })
	if out, f = x.outputPath(t, st, out); f != nil {
		return fail(f)
	}
	return outcome{output: out, assign: vars}
}

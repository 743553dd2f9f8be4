// Package asl parses, validates and interprets the Amazon States Language
// (the definition language of AWS Step Functions).
//
// It is a pure library: no I/O, no goroutines and no clock reads. The
// caller owns time and side effects. Parse validates a definition and
// returns a *Machine, or a *DefinitionError worded like AWS's
// InvalidDefinition message. Start begins an execution and runs it until
// it needs the outside world; it returns a *Run, the history events so
// far and the Actions to perform: a "task" (call Resource with Input) or a
// "timer" (fire at Until: Wait states, Retry backoff, the execution's
// TimeoutSeconds). The caller performs an action and passes its Result
// to Run.Complete, which advances the run again. A Run holds only
// exported data and survives json.Marshal/Unmarshal between calls; the
// Machine is rebuilt with Parse from the stored definition.
//
// History events (HistoryEvent) have the shape of GetExecutionHistory:
// event types, ids, previousEventId links and details follow what AWS
// records. Parallel branches and Map iterations run one after another
// inside one call; an iteration that waits on an action lets the next
// start, so several actions can be pending at once.
//
// Deterministic randomness (States.UUID, States.MathRandom, retry
// jitter) comes from Context.Seed. Task tokens are a keyed hash
// (Context.TokenKey) of the run and a counter, so they are unguessable
// when the key is secret yet the run stays deterministic given its
// inputs.
//
// A service reports progress of pending tasks with Run.Submitted
// (TaskSubmitted) and Run.ActivityStarted, restarts an unsuccessful run
// with Run.Redrive (an unsuccessful run keeps its threads for that), and
// runs a single state with TestState. When a Parallel branch or Map
// iteration fails, the states left unfinished are recorded as
// <Type>StateAborted (and MapIterationAborted), as AWS does. A state
// output or task result above MaxPayloadBytes fails with
// States.DataLimitExceeded.
//
// JSONata states (QueryLanguage, Arguments, Output, Assign, {% %},
// $states) are evaluated by a built-in JSONata subset: paths with
// predicates, operators (including ~> and ..), conditionals, blocks,
// lambdas, regular expressions, the common string, numeric, array,
// object, higher-order and date/time functions ($formatNumber,
// $formatInteger, $parseInteger and $eval included), plus Step
// Functions' $partition, $range, $hash, $random, $uuid and $parse.
// Machine.ValidateType adds the checks that depend on the state machine
// type (EXPRESS).
//
// A distributed Map's ItemBatcher groups items into batches. Not
// implemented (Parse rejects them with a clear message): ItemReader and
// ResultWriter, which read and write Amazon S3.
package asl

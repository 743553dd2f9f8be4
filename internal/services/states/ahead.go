package states

import (
	"bytes"
	"context"

	"github.com/vigilsec/vigil/asl"
)

// Steps computed ahead. Decoding a run, interpreting a result and
// encoding the new run and its events are most of a transition's CPU.
// Inside the write transaction they would run on the store's single
// committer goroutine, which every commit waits for. So a worker that
// knows an execution's stored run (it read it, or wrote it in its last
// step) computes the step beforehand, and the transaction only checks
// that the stored run and machine status are still the ones the step was
// computed from. If they are not (another write came first), the
// transaction computes the step again, as it would have anyway. Either
// way the step commits against the run it was computed from.

// snapshot is an execution as a worker last saw it committed.
type snapshot struct {
	run           []byte
	defHash       string
	machineStatus string
	// For a first step: the machine's role and name, which the run's
	// context holds.
	roleARN, machineName string
}

// ahead is a step computed outside the transaction from snapshot from.
type ahead struct {
	from snapshot
	st   step
}

// stepAhead computes the step that feeds res to the run in snap. It
// returns nil when the step must be computed inside the transaction:
// the interpreter failed, or asked whether an activity exists (an answer
// that must come from the transaction's own view).
func (s *Service) stepAhead(ctx context.Context, snap *snapshot, actionID string, res asl.Result) *ahead {
	if snap == nil {
		return nil
	}
	asked := false
	st, fault, err := s.interpret(ctx, s.env.DB.Read(), snap.run, snap.defHash, snap.machineStatus, actionID, res, func(string) bool {
		asked = true
		return true
	})
	if err != nil || fault != nil || asked {
		return nil
	}
	if st.encode() != nil {
		return nil
	}
	return &ahead{from: *snap, st: st}
}

// fits reports whether a is the step for ex as the transaction sees it.
func (a *ahead) fits(ex *execution, machineStatus string) bool {
	return a != nil && ex.DefHash == a.from.defHash && machineStatus == a.from.machineStatus && bytes.Equal(ex.Run, a.from.run)
}

// fitsMachine reports whether a is the first step of an execution of m
// as the transaction sees it.
func (a *ahead) fitsMachine(m *machine) bool {
	return a != nil && m.DefHash == a.from.defHash && m.Status == a.from.machineStatus &&
		m.RoleARN == a.from.roleARN && m.Name == a.from.machineName
}

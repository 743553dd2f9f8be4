//go:build unix

package lambda

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts the command in a process group of its own and
// makes cancelling it kill the whole group, so that a timed-out shell
// script does not leave its children running.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

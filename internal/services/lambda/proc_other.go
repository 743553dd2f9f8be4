//go:build !unix

package lambda

import "os/exec"

// ownProcessGroup leaves the command as it is: outside Unix, cancelling
// kills the command's own process only.
func ownProcessGroup(cmd *exec.Cmd) {}

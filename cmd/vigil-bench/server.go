package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a `vigil serve` process this program started.
type server struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	dir     string
	cleanup bool
	url     string
	creds   string
}

// startServer starts vigil serve on a free loopback port with an empty
// data directory and waits until it listens. Its log goes to
// <data>/vigil.log.
func startServer(ctx context.Context, cfg *options, syncMode string) (*server, error) {
	s := &server{exited: make(chan struct{})}
	var err error
	if cfg.dataDir == "" {
		s.dir, err = os.MkdirTemp("", "vigil-bench-")
		s.cleanup = true
	} else {
		s.dir, err = os.MkdirTemp(cfg.dataDir, "run-")
	}
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	logf, err := os.Create(filepath.Join(s.dir, "vigil.log"))
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	s.cmd = exec.Command(cfg.vigil, "serve", "--listen", "127.0.0.1:0", "--data", filepath.Join(s.dir, "data"),
		"--sync", syncMode, "--workers", strconv.Itoa(cfg.workers))
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	s.cmd.Stdout = logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", cfg.vigil, err)
	}
	urlc := make(chan string, 1)
	go func() {
		defer logf.Close()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if u, ok := strings.CutPrefix(line, "vigil: listening on "); ok {
				urlc <- u
				break
			}
		}
		io.Copy(logf, stderr)
	}()
	go func() { s.cmd.Wait(); close(s.exited) }()
	select {
	case s.url = <-urlc:
	case <-s.exited:
		s.stop()
		return nil, fmt.Errorf("vigil exited before listening; see %s", logf.Name())
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, errors.New("vigil did not listen within 30s")
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	s.creds = filepath.Join(s.dir, "data", "credentials")
	return s, nil
}

// stop ends the server gracefully, or kills it after 10s, and removes a
// temporary data directory.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	if s.cleanup {
		os.RemoveAll(s.dir)
	}
}

// cpuTime is the CPU time, user and system, the server has used so far,
// read from /proc; 0 when unknown (no server started, or not Linux).
func (s *server) cpuTime() time.Duration {
	if s == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// loadAverage is the machine's 1-minute load average, 0 when unknown.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

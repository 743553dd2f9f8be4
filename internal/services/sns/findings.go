package sns

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigilsec/vigil/dataprotect"
	"github.com/vigilsec/vigil/internal/runtime"
	"github.com/vigilsec/vigil/internal/store"
)

// Audit findings. Vigil has no CloudWatch Logs, Firehose or S3, so each
// destination an Audit statement names becomes a folder of JSON-lines
// files under the data directory, one finding record (AWS's documented
// shape: messageId, auditTimestamp, callerPrincipal, resourceArn,
// dataIdentifiers with count and detections) per line:
//
//	findings/logs/<log group>/<yyyy-mm-dd>.jsonl
//	findings/firehose/<delivery stream>/<yyyy>/<mm>/<dd>/<hh>.jsonl
//	findings/s3/<bucket>/AWSLogs/<account>/SNS/<region>/<yyyy>/<mm>/<dd>/<topic name>.jsonl
//
// Records are committed as a durable job with the message they describe
// and appended by the job, so a finding is written at least once even
// across a crash. A job that fails (a full disk, a crash) after appending
// some of its records appends them all again when retried, so any retry
// may write a record twice.

const kindFindings = "sns.findings"

// findingJob is one record for one destination.
type findingJob struct {
	Dest   dataprotect.Destination `json:"d"`
	Record dataprotect.AuditRecord `json:"r"`
}

// enqueueFindings commits the findings' job within tx.
func enqueueFindings(ctx context.Context, tx *store.Tx, findings []findingJob) error {
	if len(findings) == 0 {
		return nil
	}
	_, err := tx.Enqueue(ctx, kindFindings, []byte(mustJSON(findings)), time.Time{})
	return err
}

func (s *Service) handleFindings(ctx context.Context, job store.Job) error {
	var fs []findingJob
	if err := json.Unmarshal(job.Payload, &fs); err != nil {
		return runtime.Permanent(fmt.Errorf("decode findings job: %w", err))
	}
	if s.env.DataDir == "" {
		s.log.Warn("no data directory: data protection findings are not written", "records", len(fs))
		return nil
	}
	for _, f := range fs {
		line, err := json.Marshal(f.Record)
		if err != nil {
			return runtime.Permanent(fmt.Errorf("encode finding: %w", err))
		}
		for _, path := range s.findingPaths(f) {
			if err := s.appendLine(path, line); err != nil {
				return err
			}
		}
	}
	return nil
}

// findingPaths returns the files a finding goes to, one per service its
// destination names.
func (s *Service) findingPaths(f findingJob) []string {
	at, err := time.Parse(time.RFC3339, f.Record.AuditTimestamp)
	if err != nil {
		at = time.Now()
	}
	at = at.UTC()
	root := filepath.Join(s.env.DataDir, "findings")
	var paths []string
	if l := f.Dest.CloudWatchLogs; l != nil {
		parts := []string{root, "logs"}
		for _, el := range strings.Split(l.LogGroup, "/") {
			if el != "" {
				parts = append(parts, el)
			}
		}
		paths = append(paths, filepath.Join(append(parts, at.Format("2006-01-02")+".jsonl")...))
	}
	if h := f.Dest.Firehose; h != nil {
		paths = append(paths, filepath.Join(root, "firehose", h.DeliveryStream, at.Format("2006/01/02/15")+".jsonl"))
	}
	if b := f.Dest.S3; b != nil {
		topic := f.Record.ResourceARN[strings.LastIndexByte(f.Record.ResourceARN, ':')+1:]
		paths = append(paths, filepath.Join(root, "s3", b.Bucket, "AWSLogs", s.env.AccountID, "SNS", s.env.Region,
			at.Format("2006/01/02"), topic+".jsonl"))
	}
	return paths
}

// appendLine appends one line to a findings file; appends are serialised
// so that concurrent jobs never interleave lines.
func (s *Service) appendLine(path string, line []byte) error {
	s.findingsMu.Lock()
	defer s.findingsMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("findings folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open findings file: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write findings file %s: %w", path, err)
	}
	return nil
}

package cloudtrail

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// jobEntries lists the queued delivery jobs by id, with their entries'
// event names.
func jobEntries(t *testing.T, s *Service) (ids []int64, names [][]string) {
	t.Helper()
	rows, err := s.env.DB.Read().Query(`SELECT id, payload FROM jobs WHERE kind = ? ORDER BY id`, emitKind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p []byte
		if err := rows.Scan(&id, &p); err != nil {
			t.Fatal(err)
		}
		var in struct{ Entries []struct{ Detail string } }
		if err := json.Unmarshal(p, &in); err != nil {
			t.Fatalf("payload %s: %v", p, err)
		}
		var ns []string
		for _, e := range in.Entries {
			var r Record
			if err := json.Unmarshal([]byte(e.Detail), &r); err != nil {
				t.Fatal(err)
			}
			var params struct{ UserName string }
			if err := json.Unmarshal(r.RequestParameters, &params); err != nil {
				t.Fatal(err)
			}
			ns = append(ns, params.UserName)
		}
		ids, names = append(ids, id), append(names, ns)
	}
	return ids, names
}

func TestEmitBatches(t *testing.T) {
	s, _ := newTestService(t)
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	create := func(name string) {
		record(t, s, newCall(iamSpec, "CreateUser", alice, `{"UserName":"`+name+`"}`, at), nil, nil)
	}
	for i := range 12 {
		create(string(rune('a' + i)))
	}
	_, names := jobEntries(t, s)
	if got, want := strings.Join(flat(names), " "), "a b c d e f g h i j | k l"; got != want {
		t.Fatalf("jobs hold %s, want %s", got, want)
	}
	// A claimed job takes no more entries.
	if _, err := s.env.DB.Claim(context.Background(), 10, time.Minute); err != nil {
		t.Fatal(err)
	}
	create("m")
	_, names = jobEntries(t, s)
	if got, want := strings.Join(flat(names), " "), "a b c d e f g h i j | k l | m"; got != want {
		t.Fatalf("jobs hold %s, want %s", got, want)
	}
}

// flat joins the jobs' entries with "|" between jobs.
func flat(jobs [][]string) []string {
	var out []string
	for i, j := range jobs {
		if i > 0 {
			out = append(out, "|")
		}
		out = append(out, j...)
	}
	return out
}

func TestEmitBatchSizeLimit(t *testing.T) {
	small := emitInput([]byte(`{"a":1}`))
	if out, ok := addEntry(small, []byte(`{"b":2}`)); !ok || string(out) != `{"Entries":[{"a":1},{"b":2}]}` {
		t.Errorf("addEntry = %s, %v", out, ok)
	}
	big := []byte(`{"Detail":"` + strings.Repeat("x", maxEmitBytes/2) + `"}`)
	in := emitInput(big)
	if _, ok := addEntry(in, big); ok {
		t.Error("addEntry went over maxEmitBytes")
	}
	for _, bad := range []string{``, `{"Entries":[]}`, `{"Entries":[{}]`} {
		if _, ok := addEntry([]byte(bad), []byte(`{}`)); ok {
			t.Errorf("addEntry(%q) accepted", bad)
		}
	}
}

// TestEmitKeepsRefusedEntries: entries the bus took are not sent again;
// the job keeps the others for its retry.
func TestEmitKeepsRefusedEntries(t *testing.T) {
	tests := []struct {
		name      string
		out       string
		keep      string
		permanent bool
	}{
		{"retry the failed", `{"FailedEntryCount":1,"Entries":[{"EventId":"1"},{"ErrorCode":"InternalFailure","ErrorMessage":"x"},{"EventId":"3"}]}`, `{"Entries":[{"n":2}]}`, false},
		{"bury the refused", `{"FailedEntryCount":2,"Entries":[{"ErrorCode":"InvalidArgument","ErrorMessage":"x"},{"EventId":"2"},{"ErrorCode":"InvalidArgument","ErrorMessage":"y"}]}`, `{"Entries":[{"n":1},{"n":3}]}`, true},
		{"all failed", `{"FailedEntryCount":3,"Entries":[{"ErrorCode":"ThrottlingException"},{"ErrorCode":"ThrottlingException"},{"ErrorCode":"ThrottlingException"}]}`, `{"Entries":[{"n":1},{"n":2},{"n":3}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, inv := newTestService(t)
			inv.out = json.RawMessage(tt.out)
			payload := []byte(`{"Entries":[{"n":1},{"n":2},{"n":3}]}`)
			var id int64
			err := s.env.DB.Write(context.Background(), func(tx *store.Tx) error {
				var err error
				id, err = tx.Enqueue(context.Background(), emitKind, payload, time.Time{})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			err = s.emit(context.Background(), store.Job{ID: id, Kind: emitKind, Payload: payload})
			if err == nil || isPermanent(err) != tt.permanent {
				t.Fatalf("emit error = %v, want permanent %v", err, tt.permanent)
			}
			var kept string
			if err := s.env.DB.Read().QueryRow(`SELECT payload FROM jobs WHERE id = ?`, id).Scan(&kept); err != nil {
				t.Fatal(err)
			}
			if kept != tt.keep {
				t.Errorf("job keeps %s, want %s", kept, tt.keep)
			}
		})
	}
}

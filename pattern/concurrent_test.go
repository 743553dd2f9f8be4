package pattern

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrent runs Match on several goroutines while rules change; run
// with -race.
func TestConcurrent(t *testing.T) {
	m := NewMatcher()
	if err := m.Add("fixed", []byte(`{"source": ["aws.iam"]}`)); err != nil {
		t.Fatal(err)
	}
	events := GenEvents(200, 5)
	rules := GenRules(300, false, 5)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, ev := range events {
				ids, err := m.Match(ev)
				if err != nil {
					t.Error(err)
					return
				}
				want, _ := Matches([]byte(`{"source": ["aws.iam"]}`), ev)
				found := false
				for _, id := range ids {
					found = found || id == "fixed"
				}
				if found != want {
					t.Errorf("event %d: fixed rule matched %v, want %v", i, found, want)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, r := range rules {
			if err := m.Add(fmt.Sprint(i), []byte(r)); err != nil {
				t.Error(err)
			}
			if i%3 == 0 {
				m.Delete(fmt.Sprint(i / 2))
			}
		}
	}()
	wg.Wait()
}

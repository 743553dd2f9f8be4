package pattern

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// conformancePath is the AWS-validated corpus shared by the project; it is
// kept outside the repository.
const conformancePath = "../../shared/conformance/eventbridge-patterns.json"

type conformanceCase struct {
	Name    string          `json:"name"`
	Event   json.RawMessage `json:"event"`
	Pattern json.RawMessage `json:"pattern"`
	Expect  string          `json:"expect"`
	Error   *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func TestConformance(t *testing.T) {
	data, err := os.ReadFile(conformancePath)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("conformance corpus %s is absent; skipping", conformancePath)
	}
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []conformanceCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &corpus); err != nil {
		t.Fatalf("corpus: %v", err)
	}
	if len(corpus.Cases) == 0 {
		t.Fatal("corpus has no cases")
	}
	for _, tc := range corpus.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			got, err := Matches(tc.Pattern, tc.Event)
			m := NewMatcher()
			addErr := m.Add("p", tc.Pattern)
			switch tc.Expect {
			case "invalid":
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("Matches: got (%v, %v), want an *Error", got, err)
				}
				if tc.Error != nil && pe.Message != tc.Error.Message {
					t.Errorf("message:\n got  %q\n want %q", pe.Message, tc.Error.Message)
				}
				if addErr == nil || addErr.Error() != err.Error() {
					t.Errorf("Add: got %v, want %v", addErr, err)
				}
			case "match", "no-match":
				if err != nil {
					t.Fatalf("Matches: %v", err)
				}
				want := tc.Expect == "match"
				if got != want {
					t.Errorf("Matches = %v, want %v", got, want)
				}
				if addErr != nil {
					t.Fatalf("Add: %v", addErr)
				}
				ids, err := m.Match(tc.Event)
				if err != nil {
					t.Fatalf("Match: %v", err)
				}
				if (len(ids) == 1) != want {
					t.Errorf("Matcher.Match = %v, want match=%v", ids, want)
				}
			default:
				t.Fatalf("unknown expectation %q", tc.Expect)
			}
		})
	}
}

package playbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/services/lambda"
)

// Count is how often one value occurred.
type Count struct {
	Name  string `json:"Name"`
	Count int    `json:"Count"`
}

// ActivitySummary is what summarizeUserActivity returns.
type ActivitySummary struct {
	UserName      string    `json:"UserName"`
	StartTime     time.Time `json:"StartTime"`
	EndTime       time.Time `json:"EndTime"`
	EventCount    int       `json:"EventCount"`
	EventNames    []Count   `json:"EventNames"`
	ResourceNames []Count   `json:"ResourceNames"`
	ResourceTypes []Count   `json:"ResourceTypes"`
}

// topN is how many entries each count list keeps, as in the seed.
const topN = 10

// maxLookupPages bounds one summary's cost: 50 events a page.
const maxLookupPages = 200

// summarizeUserActivity looks up a user's CloudTrail events of the last
// Hours hours and counts event names, resource names and resource types.
func summarizeUserActivity(ctx context.Context, env *services.Env, event json.RawMessage) (json.RawMessage, error) {
	var in struct {
		UserName string
		Hours    int
	}
	if err := json.Unmarshal(event, &in); err != nil || in.UserName == "" {
		return nil, &lambda.FunctionError{Type: "InvalidInput", Message: "want {\"UserName\": ..., \"Hours\": N}"}
	}
	if in.Hours <= 0 {
		in.Hours = 24
	}
	end := time.Now().UTC()
	sum := ActivitySummary{UserName: in.UserName, StartTime: end.Add(-time.Duration(in.Hours) * time.Hour), EndTime: end}
	names, resNames, resTypes := map[string]int{}, map[string]int{}, map[string]int{}
	p := env.Root()
	p.InvokedBy = "lambda.amazonaws.com"
	token := ""
	for page := 0; page < maxLookupPages; page++ {
		req := map[string]any{
			"LookupAttributes": []map[string]string{{"AttributeKey": "Username", "AttributeValue": in.UserName}},
			"StartTime":        epoch(sum.StartTime), "EndTime": epoch(end), "MaxResults": 50,
		}
		if token != "" {
			req["NextToken"] = token
		}
		out, err := env.Invoker.Invoke(ctx, p, "cloudtrail", "LookupEvents", req)
		if err != nil {
			return nil, fmt.Errorf("lookup events of %s: %w", in.UserName, err)
		}
		var res struct {
			Events []struct {
				EventName string
				Resources []struct{ ResourceType, ResourceName string }
			}
			NextToken string
		}
		if err := json.Unmarshal(out, &res); err != nil {
			return nil, fmt.Errorf("lookup events of %s: %w", in.UserName, err)
		}
		for _, e := range res.Events {
			sum.EventCount++
			names[e.EventName]++
			for _, r := range e.Resources {
				if r.ResourceName != "" {
					resNames[r.ResourceName]++
				}
				if r.ResourceType != "" {
					resTypes[r.ResourceType]++
				}
			}
		}
		if token = res.NextToken; token == "" {
			break
		}
	}
	sum.EventNames, sum.ResourceNames, sum.ResourceTypes = top(names), top(resNames), top(resTypes)
	return json.Marshal(sum)
}

// epoch renders t as the JSON protocols' fractional epoch seconds; whole
// seconds would drop the calls of the current second.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// top returns the topN most frequent entries, most frequent first, ties by name.
func top(m map[string]int) []Count {
	cs := make([]Count, 0, len(m))
	for n, c := range m {
		cs = append(cs, Count{n, c})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Count != cs[j].Count {
			return cs[i].Count > cs[j].Count
		}
		return cs[i].Name < cs[j].Name
	})
	if len(cs) > topN {
		cs = cs[:topN]
	}
	return cs
}

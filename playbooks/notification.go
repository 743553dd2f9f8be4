package playbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/services/lambda"
)

// exposedKeyState is the execution state the notification is written from.
type exposedKeyState struct {
	AccessKeyID   string `json:"AccessKeyId"`
	EventTypeCode string
	Source        string
	EventTime     string
	Account       string
	Owner         *struct{ UserName string }
	Activity      *ActivitySummary
	Failure       *struct{ Error, Cause string }
}

// formatExposedKeyNotification writes the subject and body of the message
// to the security topic, for the success and the failure branch alike.
func formatExposedKeyNotification(ctx context.Context, env *services.Env, event json.RawMessage) (json.RawMessage, error) {
	var st exposedKeyState
	if err := json.Unmarshal(event, &st); err != nil {
		return nil, &lambda.FunctionError{Type: "InvalidInput", Message: err.Error()}
	}
	key, account := oneLine(st.AccessKeyID), oneLine(st.Account)
	if account == "" {
		account = env.AccountID
	}
	var subject string
	var b strings.Builder
	if st.Failure != nil || st.Owner == nil {
		subject = "Security Alert: Exposed IAM Access Key " + key + " (automatic deletion failed)"
		fmt.Fprintf(&b, "The IAM access key %s in account %s was reported exposed (%s, %s at %s), ", key, account, oneLine(st.EventTypeCode), oneLine(st.Source), oneLine(st.EventTime))
		b.WriteString("but the automated response could not delete it.\n\n")
		if st.Failure != nil {
			fmt.Fprintf(&b, "Error: %s\nCause: %s\n\n", oneLine(st.Failure.Error), oneLine(st.Failure.Cause))
		}
		b.WriteString("Act now: confirm whether the key still exists (aws iam list-access-keys), deactivate or delete it, ")
		b.WriteString("and review the incident in the AWS Health dashboard or Trusted Advisor.\n")
	} else {
		user := oneLine(st.Owner.UserName)
		subject = "Security Alert: Exposed IAM Access Key for user " + user
		fmt.Fprintf(&b, "The IAM access key %s of user %s in account %s was reported exposed (%s, %s at %s) and has been deleted.\n\n",
			key, user, account, oneLine(st.EventTypeCode), oneLine(st.Source), oneLine(st.EventTime))
		writeActivity(&b, st.Activity)
		b.WriteString("\nReview this activity for anything the user did not do, and issue the user a new key if they still need one.\n")
	}
	if len(subject) > 100 { // SNS's limit on Subject
		subject = subject[:100]
	}
	return json.Marshal(map[string]string{"Subject": subject, "Message": b.String()})
}

func writeActivity(b *strings.Builder, a *ActivitySummary) {
	if a == nil {
		b.WriteString("No API activity summary is available.\n")
		return
	}
	fmt.Fprintf(b, "API activity of %s from %s to %s: %d calls.\n", oneLine(a.UserName),
		a.StartTime.Format("2006-01-02 15:04:05Z"), a.EndTime.Format("2006-01-02 15:04:05Z"), a.EventCount)
	for _, sec := range []struct {
		title string
		list  []Count
	}{{"Actions", a.EventNames}, {"Resource names", a.ResourceNames}, {"Resource types", a.ResourceTypes}} {
		fmt.Fprintf(b, "\n%s (top %d):\n", sec.title, topN)
		if len(sec.list) == 0 {
			b.WriteString("  (none)\n")
		}
		for _, c := range sec.list {
			fmt.Fprintf(b, "  %6d  %s\n", c.Count, oneLine(c.Name))
		}
	}
}

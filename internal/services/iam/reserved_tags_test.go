package iam

import (
	"net/http"
	"testing"
)

// TestReservedTagKeys checks that CreateUser and TagUser refuse tag keys
// in the aws: namespace, in any letter case, and leave the user as it was.
func TestReservedTagKeys(t *testing.T) {
	s := newTestService(t)
	mustCall[CreateUserResult](t, s, "CreateUser", map[string]any{"UserName": "ann",
		"Tags": []map[string]string{{"Key": "team", "Value": "sec"}}})
	for _, key := range []string{"aws:x", "AWS:cloudformation:stack", "Aws:"} {
		tags := []map[string]string{{"Key": "ok", "Value": "1"}, {"Key": key, "Value": "v"}}
		_, _, err := call(t, s, rootCaller(), "TagUser", map[string]any{"UserName": "ann", "Tags": tags})
		wantCode(t, err, "InvalidInput", http.StatusBadRequest)
		_, _, err = call(t, s, rootCaller(), "CreateUser", map[string]any{"UserName": "bea", "Tags": tags})
		wantCode(t, err, "InvalidInput", http.StatusBadRequest)
	}
	got := mustCall[ListUserTagsResult](t, s, "ListUserTags", map[string]any{"UserName": "ann"})
	if len(got.Tags) != 1 || got.Tags[0].Key != "team" {
		t.Errorf("tags after refused TagUser = %+v, want only team", got.Tags)
	}
	if _, _, err := call(t, s, rootCaller(), "GetUser", map[string]any{"UserName": "bea"}); err == nil {
		t.Error("CreateUser with a reserved tag key created the user")
	}
	// Keys that merely contain aws: are the user's own.
	mustCall[struct{}](t, s, "TagUser", map[string]any{"UserName": "ann",
		"Tags": []map[string]string{{"Key": "myaws:x", "Value": "1"}, {"Key": "aws", "Value": "2"}}})
}

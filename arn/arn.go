// Package arn builds and parses Amazon Resource Names.
//
// An ARN has six colon-separated parts:
//
//	arn:partition:service:region:account-id:resource
//
// The resource part may itself contain colons and slashes; it is kept whole.
package arn

import (
	"fmt"
	"strings"
)

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition string
	Service   string
	Region    string
	AccountID string
	Resource  string
}

// Parse splits s into its parts. It rejects strings that do not start with
// "arn:" or have fewer than six parts.
func Parse(s string) (ARN, error) {
	if !strings.HasPrefix(s, "arn:") {
		return ARN{}, fmt.Errorf("arn %q: does not start with arn:", s)
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 {
		return ARN{}, fmt.Errorf("arn %q: want 6 colon-separated parts, have %d", s, len(parts))
	}
	a := ARN{Partition: parts[1], Service: parts[2], Region: parts[3], AccountID: parts[4], Resource: parts[5]}
	if a.Partition == "" || a.Service == "" {
		return ARN{}, fmt.Errorf("arn %q: partition and service must not be empty", s)
	}
	return a, nil
}

// String reassembles the ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// ResourceType returns the part of the resource before the first '/' or ':',
// such as "user" in "user/alice" or "function" in "function:name".
// It returns "" when the resource has no separator.
func (a ARN) ResourceType() string {
	if i := strings.IndexAny(a.Resource, "/:"); i >= 0 {
		return a.Resource[:i]
	}
	return ""
}

// ResourceID returns the part of the resource after its type and separator:
// "alice" in "user/alice", "path/alice" in "user/path/alice".
func (a ARN) ResourceID() string {
	if i := strings.IndexAny(a.Resource, "/:"); i >= 0 {
		return a.Resource[i+1:]
	}
	return a.Resource
}

// New builds an ARN in the aws partition.
func New(service, region, account, resource string) ARN {
	return ARN{Partition: "aws", Service: service, Region: region, AccountID: account, Resource: resource}
}

// Make is New(...).String().
func Make(service, region, account, resource string) string {
	return New(service, region, account, resource).String()
}

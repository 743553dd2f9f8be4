package iam

import (
	"crypto/sha256"
	"sort"
	"strings"
	"time"
)

// AWS-managed policies. AWS publishes hundreds, each a long and changing
// list of actions; Vigil ships a few that playbooks and tests attach, so
// that arn:aws:iam::aws:policy/NAME resolves. Their documents are written
// for Vigil from what the AWS documentation says each policy grants,
// narrowed to the services Vigil serves where the real policy enumerates
// actions service by service (ReadOnlyAccess). They are version v1 and
// cannot be changed. Add one by adding an entry to awsManagedPolicies.

type awsManaged struct {
	name, description, document string
}

var awsManagedPolicies = []awsManaged{
	{"AdministratorAccess", "Grants every action on every resource.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	{"PowerUserAccess", "Grants every action except the management of IAM users, groups and roles, Organizations and account settings.",
		`{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},` +
			`{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles",` +
			`"organizations:DescribeOrganization","account:ListRegions","account:GetAccountInformation"],"Resource":"*"}]}`},
	{"ReadOnlyAccess", "Grants the read-only actions (describe, get, list) of the services Vigil serves.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` +
			`"cloudtrail:Describe*","cloudtrail:Get*","cloudtrail:List*","cloudtrail:LookupEvents",` +
			`"events:Describe*","events:List*","events:TestEventPattern",` +
			`"iam:Generate*","iam:Get*","iam:List*","iam:Simulate*",` +
			`"lambda:Get*","lambda:List*",` +
			`"sns:Check*","sns:Get*","sns:List*",` +
			`"sqs:Get*","sqs:List*",` +
			`"states:Describe*","states:Get*","states:List*",` +
			`"sts:GetCallerIdentity"],"Resource":"*"}]}`},
	{"IAMFullAccess", "Grants every IAM action.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`},
	{"IAMReadOnlyAccess", "Grants the IAM actions that read: Get, List, Generate and Simulate.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Generate*","iam:Get*","iam:List*","iam:Simulate*"],"Resource":"*"}]}`},
	{"AmazonSNSFullAccess", "Grants every SNS action.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:*","Resource":"*"}]}`},
	{"AWSStepFunctionsFullAccess", "Grants every Step Functions action, and passing roles to Step Functions.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"states:*","Resource":"*"},` +
			`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"states.amazonaws.com"}}}]}`},
}

// awsManagedSince is the creation date Vigil gives its AWS-managed
// policies: the day AWS introduced managed policies.
var awsManagedSince = time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)

const awsPolicyPrefix = "arn:aws:iam::aws:policy/"

// builtinPolicies indexes the AWS-managed policies by lower-case name.
var builtinPolicies = func() map[string]policyRow {
	m := make(map[string]policyRow, len(awsManagedPolicies))
	for _, p := range awsManagedPolicies {
		m[strings.ToLower(p.name)] = policyRow{id: builtinID(p.name), name: p.name, path: "/", description: p.description,
			created: awsManagedSince, updated: awsManagedSince, defaultVersion: 1, nextVersion: 2, aws: true,
			arn: awsPolicyPrefix + p.name}
	}
	return m
}()

var builtinDocs = func() map[string]string {
	m := make(map[string]string, len(awsManagedPolicies))
	for _, p := range awsManagedPolicies {
		m[p.name] = p.document
	}
	return m
}()

// builtinID derives a stable policy id from the name, so that it is the
// same on every server and across restarts.
func builtinID(name string) string {
	sum := sha256.Sum256([]byte("aws-managed-policy/" + name))
	return "ANPA" + idEncoding.EncodeToString(sum[:])[:17]
}

// builtinPolicy returns the AWS-managed policy at path and name.
func builtinPolicy(path, name string) (policyRow, bool) {
	p, ok := builtinPolicies[strings.ToLower(name)]
	if !ok || p.path != path || p.name != name {
		return policyRow{}, false
	}
	return p, true
}

// builtinList returns the AWS-managed policies under prefix, by name.
func builtinList(prefix string) []policyRow {
	var out []policyRow
	for _, p := range builtinPolicies {
		if strings.HasPrefix(p.path, prefix) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

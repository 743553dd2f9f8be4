package sts

// GetCallerIdentityResult is GetCallerIdentity's output.
type GetCallerIdentityResult struct {
	UserID  string `xml:"UserId" json:"UserId"`
	Account string `xml:"Account" json:"Account"`
	ARN     string `xml:"Arn" json:"Arn"`
}

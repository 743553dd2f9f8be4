// Package awsproto speaks the AWS wire protocols Vigil serves: awsQuery
// (form-encoded requests, XML responses), awsJson 1.0 and 1.1 (JSON bodies
// routed by X-Amz-Target) and restJson. It turns requests into a Call whose
// input is always JSON shaped like the botocore model's input, and writes
// results and AWS-shaped errors back in the caller's protocol.
package awsproto

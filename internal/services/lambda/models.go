package lambda

import (
	"encoding/json"

	"github.com/vigilsec/vigil/internal/awsproto"
)

// InvokeInput is Invoke's input. Over HTTP, Route fills it from the path,
// headers and body; callers inside Vigil send it as JSON, with Payload a
// base64 string (how encoding/json writes a []byte) or the event itself.
type InvokeInput struct {
	FunctionName   string          `json:"FunctionName"`
	InvocationType string          `json:"InvocationType,omitempty"`
	LogType        string          `json:"LogType,omitempty"`
	ClientContext  string          `json:"ClientContext,omitempty"`
	Qualifier      string          `json:"Qualifier,omitempty"`
	Payload        json.RawMessage `json:"Payload,omitempty"`
}

// InvokeResult is Invoke's output. WriteResult sends StatusCode as the
// HTTP status, the strings as headers and Payload as the body; as JSON,
// Payload is base64.
type InvokeResult struct {
	StatusCode      int    `json:"StatusCode"`
	FunctionError   string `json:"FunctionError,omitempty"`
	ExecutedVersion string `json:"ExecutedVersion,omitempty"`
	LogResult       string `json:"LogResult,omitempty"`
	Payload         []byte `json:"Payload"`
}

// GetFunctionInput is GetFunction's input.
type GetFunctionInput struct {
	FunctionName string `json:"FunctionName"`
	Qualifier    string `json:"Qualifier,omitempty"`
}

// GetFunctionOutput is GetFunction's output.
type GetFunctionOutput struct {
	Configuration FunctionConfiguration `json:"Configuration"`
	Tags          map[string]string     `json:"Tags"`
}

// ListFunctionsInput is ListFunctions' input.
type ListFunctionsInput struct {
	Marker          string       `json:"Marker,omitempty"`
	MaxItems        awsproto.Int `json:"MaxItems"`
	FunctionVersion string       `json:"FunctionVersion,omitempty"`
	MasterRegion    string       `json:"MasterRegion,omitempty"`
}

// ListFunctionsOutput is ListFunctions' output.
type ListFunctionsOutput struct {
	Functions  []FunctionConfiguration `json:"Functions"`
	NextMarker string                  `json:"NextMarker,omitempty"`
}

// FunctionConfiguration describes one function, with the members of
// AWS's shape that mean something for a Vigil function.
type FunctionConfiguration struct {
	FunctionName     string `json:"FunctionName"`
	FunctionArn      string `json:"FunctionArn"`
	Runtime          string `json:"Runtime"`
	Handler          string `json:"Handler"`
	Description      string `json:"Description"`
	Timeout          int    `json:"Timeout"`
	CodeSize         int64  `json:"CodeSize"`
	LastModified     string `json:"LastModified"`
	Version          string `json:"Version"`
	State            string `json:"State"`
	LastUpdateStatus string `json:"LastUpdateStatus"`
	PackageType      string `json:"PackageType"`
}

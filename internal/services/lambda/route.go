package lambda

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
)

const functionsPath = "/2015-03-31/functions"

// PathPrefix is where Lambda's REST API lives.
func (s *Service) PathPrefix() string { return "/2015-03-31/" }

// Route maps a REST request to its operation and builds the same JSON input
// a caller inside Vigil would send: path, query and header members by their
// botocore names, and Invoke's raw body as Payload (base64, as a blob is in JSON).
func (s *Service) Route(r *http.Request, body []byte) (string, json.RawMessage, error) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), functionsPath)
	if !ok {
		return "", nil, unsupported(r.Method + " " + r.URL.Path)
	}
	q := r.URL.Query()
	rest = strings.TrimPrefix(rest, "/")
	segs := strings.Split(rest, "/")
	switch {
	case rest == "" && r.Method == http.MethodGet:
		in := ListFunctionsInput{Marker: q.Get("Marker"), FunctionVersion: q.Get("FunctionVersion"), MasterRegion: q.Get("MasterRegion")}
		if v := q.Get("MaxItems"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return "", nil, awsproto.Errorf(http.StatusBadRequest, "InvalidParameterValueException", "MaxItems %q is not a number.", v)
			}
			in.MaxItems = awsproto.Int{Value: n, Set: true}
		}
		return marshalRoute("ListFunctions", listFunctionsJSON(in))
	case len(segs) == 1 && rest != "" && r.Method == http.MethodGet:
		name, err := url.PathUnescape(segs[0])
		if err != nil {
			return "", nil, awsproto.Validation("The function name in the path is not validly escaped: %v", err)
		}
		return marshalRoute("GetFunction", GetFunctionInput{FunctionName: name, Qualifier: q.Get("Qualifier")})
	case len(segs) == 2 && segs[1] == "invocations" && r.Method == http.MethodPost:
		name, err := url.PathUnescape(segs[0])
		if err != nil {
			return "", nil, awsproto.Validation("The function name in the path is not validly escaped: %v", err)
		}
		in := InvokeInput{
			FunctionName:   name,
			InvocationType: r.Header.Get("X-Amz-Invocation-Type"),
			LogType:        r.Header.Get("X-Amz-Log-Type"),
			ClientContext:  r.Header.Get("X-Amz-Client-Context"),
			Qualifier:      q.Get("Qualifier"),
		}
		// The body is the payload whatever it holds; Invoke checks it.
		payload, err := json.Marshal(body)
		if err != nil {
			return "", nil, err
		}
		in.Payload = payload
		return marshalRoute("Invoke", in)
	}
	return "", nil, unsupported(r.Method + " " + r.URL.Path)
}

// listFunctionsJSON leaves MaxItems out when it was not given.
func listFunctionsJSON(in ListFunctionsInput) map[string]any {
	m := map[string]any{}
	if in.Marker != "" {
		m["Marker"] = in.Marker
	}
	if in.FunctionVersion != "" {
		m["FunctionVersion"] = in.FunctionVersion
	}
	if in.MasterRegion != "" {
		m["MasterRegion"] = in.MasterRegion
	}
	if in.MaxItems.Set {
		m["MaxItems"] = in.MaxItems.Value
	}
	return m
}

func marshalRoute(action string, in any) (string, json.RawMessage, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return "", nil, fmt.Errorf("encode %s input: %w", action, err)
	}
	return action, b, nil
}

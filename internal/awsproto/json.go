package awsproto

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// JSONContentType returns the Content-Type of an awsJson protocol.
func JSONContentType(p Protocol) string {
	if p == JSON10 {
		return "application/x-amz-json-1.0"
	}
	return "application/x-amz-json-1.1"
}

// WriteJSONResult writes a JSON protocol response.
func WriteJSONResult(w http.ResponseWriter, p Protocol, requestID string, result any) error {
	body := []byte("{}")
	if result != nil {
		var err error
		if body, err = json.Marshal(result); err != nil {
			return err
		}
	}
	h := w.Header()
	h.Set("Content-Type", JSONContentType(p))
	h.Set("x-amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}

// WriteJSONError writes a JSON protocol error: the code in __type and in
// the x-amzn-ErrorType header, where the SDKs look for it.
func WriteJSONError(w http.ResponseWriter, p Protocol, requestID string, e *Error) error {
	body, err := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Code, e.Message})
	if err != nil {
		return err
	}
	h := w.Header()
	ct := "application/json"
	if p == JSON10 || p == JSON11 {
		ct = JSONContentType(p)
	}
	h.Set("Content-Type", ct)
	h.Set("x-amzn-RequestId", requestID)
	h.Set("x-amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_, err = w.Write(body)
	return err
}

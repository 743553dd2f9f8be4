package awsproto

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"time"
)

// describeDecodeError words a JSON decoding error for the caller: the
// member at fault and what it should have been, in the model's terms
// rather than Go's (encoding/json names Go types and struct fields).
func describeDecodeError(err error) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return "the request is not valid JSON: " + strings.TrimPrefix(se.Error(), "json: ")
		}
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	where := "the request"
	if te.Field != "" {
		where = "member " + te.Field
	}
	return where + " must be " + shapeName(te.Type) + ", not " + jsonValueName(te.Value)
}

var timeType = reflect.TypeFor[time.Time]()

// shapeName names the model shape a Go type stands for.
func shapeName(t reflect.Type) string {
	if t == nil {
		return "a different value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeFor[Int](), reflect.TypeFor[int64]():
		return "an integer"
	case reflect.TypeFor[Bool]():
		return "a boolean"
	case reflect.TypeFor[EpochTime](), reflect.TypeFor[ISOTime](), timeType:
		return "a timestamp"
	case reflect.TypeFor[json.RawMessage]():
		return "a JSON value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 blob"
		}
		return "a list"
	case reflect.Map:
		return "a map"
	case reflect.Struct:
		return "a structure"
	}
	return "a different value"
}

// jsonValueName words encoding/json's description of the value it got
// ("object", "number 1e400", "string").
func jsonValueName(v string) string {
	kind, detail, _ := strings.Cut(v, " ")
	name := map[string]string{"object": "an object", "array": "a list", "string": "a string",
		"number": "a number", "bool": "a boolean"}[kind]
	if name == "" {
		return v
	}
	if detail != "" {
		return name + " (" + detail + ")"
	}
	return name
}

// typeError is the error the flexible scalar types return for a value
// they cannot take. It is a *json.UnmarshalTypeError so that
// encoding/json adds the path of the member to it.
func typeError(value string, t reflect.Type) error {
	return &json.UnmarshalTypeError{Value: value, Type: t}
}

package services

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestRequestTags(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []Tag
	}{
		{`{"Tags":[{"Key":"a","Value":"1"},{"Key":"b","Value":"2"}]}`, []Tag{{"a", "1"}, {"b", "2"}}},
		{`{"tags":[{"key":"a","value":"1"}]}`, []Tag{{"a", "1"}}},
		{`{"Tags":{"a":"1"}}`, []Tag{{"a", "1"}}},
		{`{"Tags":[{"Key":"a"}]}`, []Tag{{"a", ""}}},
		{`{"Tags":[{"Value":"1"}]}`, []Tag{}},
		{`{"Tags":[]}`, []Tag{}},
		{`{"Tags":""}`, nil}, // awsQuery's empty list
		{`{"TagKeys":["a"]}`, nil},
		{`{}`, nil},
		{`not json`, nil},
	} {
		if got := RequestTags(json.RawMessage(tt.in)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("RequestTags(%s) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestTagOnCreate(t *testing.T) {
	c, ok := TagOnCreate("iam:TagRole", "arn:aws:iam::1:role/r", json.RawMessage(`{"Tags":[{"Key":"Owner","Value":"JohnA"}]}`))
	if !ok || c.Action != "iam:TagRole" || c.Resource != "arn:aws:iam::1:role/r" || c.ResourceTags["Owner"] != "JohnA" {
		t.Errorf("TagOnCreate = %+v, %v", c, ok)
	}
	if _, ok := TagOnCreate("iam:TagRole", "r", json.RawMessage(`{"RoleName":"r"}`)); ok {
		t.Error("a create without tags needs a tagging permission")
	}
}

func FuzzRequestTags(f *testing.F) {
	f.Add(`{"Tags":[{"Key":"a","Value":"1"}]}`)
	f.Add(`{"tags":{"a":"b"}}`)
	f.Fuzz(func(t *testing.T, in string) {
		for _, tag := range RequestTags(json.RawMessage(in)) {
			_ = tag.Key
		}
	})
}

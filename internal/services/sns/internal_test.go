package sns

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestStringToSign(t *testing.T) {
	tests := []struct {
		name string
		f    signedFields
		want string
	}{
		{"notification with subject",
			signedFields{Type: "Notification", MessageID: "id", TopicARN: "arn", Subject: "subj", Message: "hello\nworld", Timestamp: "ts"},
			"Message\nhello\nworld\nMessageId\nid\nSubject\nsubj\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n"},
		{"notification without subject",
			signedFields{Type: "Notification", MessageID: "id", TopicARN: "arn", Message: "m", Timestamp: "ts"},
			"Message\nm\nMessageId\nid\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n"},
		{"subscription confirmation",
			signedFields{Type: "SubscriptionConfirmation", MessageID: "id", TopicARN: "arn", Message: "m", Timestamp: "ts", SubscribeURL: "url", Token: "tok", Subject: "ignored"},
			"Message\nm\nMessageId\nid\nSubscribeURL\nurl\nTimestamp\nts\nToken\ntok\nTopicArn\narn\nType\nSubscriptionConfirmation\n"},
		{"unsubscribe confirmation",
			signedFields{Type: "UnsubscribeConfirmation", MessageID: "id", TopicARN: "arn", Message: "m", Timestamp: "ts", SubscribeURL: "url", Token: "tok"},
			"Message\nm\nMessageId\nid\nSubscribeURL\nurl\nTimestamp\nts\nToken\ntok\nTopicArn\narn\nType\nUnsubscribeConfirmation\n"},
	}
	for _, tt := range tests {
		if got := stringToSign(tt.f); got != tt.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestSignVersions(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := signedFields{Type: "Notification", MessageID: "id", TopicARN: "arn", Message: "m", Timestamp: "ts"}
	text := []byte(stringToSign(f))
	for _, v := range []string{"1", "2"} {
		sig64, err := sign(key, v, f)
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := base64.StdEncoding.DecodeString(sig64)
		s1, s256 := sha1.Sum(text), sha256.Sum256(text)
		err1 := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA1, s1[:], sig)
		err256 := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, s256[:], sig)
		if v == "1" && (err1 != nil || err256 == nil) || v == "2" && (err256 != nil || err1 == nil) {
			t.Errorf("version %s: sha1 verify %v, sha256 verify %v", v, err1, err256)
		}
	}
}

func TestRetryDelays(t *testing.T) {
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	tests := []struct {
		name string
		p    retryPolicy
		want []time.Duration
	}{
		{"AWS default", defaultHTTPRetry, []time.Duration{sec(20), sec(20), sec(20)}},
		{"phases", retryPolicy{MinDelayTarget: 2, MaxDelayTarget: 10, NumRetries: 8, NumNoDelayRetries: 2,
			NumMinDelayRetries: 1, NumMaxDelayRetries: 2, BackoffFunction: "linear"},
			[]time.Duration{0, 0, sec(2), sec(2), sec(6), sec(10), sec(10), sec(10)}},
		{"exponential rises late", retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: "exponential"},
			[]time.Duration{sec(1), sec(1 + 19*0.11920292202211755), sec(20)}},
		{"no retries", retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 1, BackoffFunction: "linear"}, nil},
	}
	for _, tt := range tests {
		var got []time.Duration
		for n := 1; ; n++ {
			d, ok := tt.p.delay(n)
			if !ok {
				break
			}
			got = append(got, d)
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: delays %v, want %v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if diff := got[i] - tt.want[i]; diff > time.Millisecond || diff < -time.Millisecond {
				t.Errorf("%s: delays %v, want %v", tt.name, got, tt.want)
				break
			}
		}
	}
	if _, ok := managedRetry.delay(100015); !ok {
		t.Error("the managed policy ends before 100,015 retries")
	}
}

func TestDeliveryPolicies(t *testing.T) {
	topicTests := []struct {
		doc, err string
	}{
		{`{}`, ""},
		{`{"http":{"defaultHealthyRetryPolicy":{"numRetries":5}}}`, ""},
		{`{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":50,"numNoDelayRetries":3,"backoffFunction":"exponential"},"disableSubscriptionOverrides":true,"defaultThrottlePolicy":{"maxReceivesPerSecond":5},"defaultRequestPolicy":{"headerContentType":"application/json"}}}`, ""},
		{`{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":0}}}`, "minDelayTarget"},
		{`{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":30,"maxDelayTarget":20}}}`, "maxDelayTarget"},
		{`{"http":{"defaultHealthyRetryPolicy":{"numRetries":101}}}`, "numRetries"},
		{`{"http":{"defaultHealthyRetryPolicy":{"numRetries":2,"numNoDelayRetries":3}}}`, "must not exceed"},
		{`{"http":{"defaultHealthyRetryPolicy":{"backoffFunction":"cubic"}}}`, "backoffFunction"},
		{`{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":3600,"maxDelayTarget":3600,"numRetries":2}}}`, "3600"},
		{`{"http":{"defaultThrottlePolicy":{"maxReceivesPerSecond":0}}}`, "maxReceivesPerSecond"},
		{`{"http":{"defaultRequestPolicy":{"headerContentType":"not a type"}}}`, "headerContentType"},
		{`{"http":{"surprise":1}}`, "surprise"},
		{`{"http":`, "parse"},
	}
	for _, tt := range topicTests {
		_, err := parseTopicDeliveryPolicy(tt.doc)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("parseTopicDeliveryPolicy(%s) = %v, want error containing %q", tt.doc, err, tt.err)
		}
	}
	if _, err := parseSubDeliveryPolicy(`{"healthyRetryPolicy":{"numRetries":5},"throttlePolicy":{"maxReceivesPerSecond":2}}`); err != nil {
		t.Errorf("subscription policy: %v", err)
	}

	topic := `{"http":{"defaultHealthyRetryPolicy":{"numRetries":7},"defaultRequestPolicy":{"headerContentType":"application/json"}}}`
	sub := `{"healthyRetryPolicy":{"numRetries":9}}`
	if e := effectivePolicy(topic, sub); e.Retry.NumRetries != 9 || e.ContentType != "application/json" {
		t.Errorf("subscription override: %+v", e)
	}
	locked := strings.Replace(topic, `"http":{`, `"http":{"disableSubscriptionOverrides":true,`, 1)
	if e := effectivePolicy(locked, sub); e.Retry.NumRetries != 7 {
		t.Errorf("disableSubscriptionOverrides ignored: %+v", e)
	}
	if e := effectivePolicy("", ""); e.Retry != defaultHTTPRetry || e.ContentType != defaultContentType {
		t.Errorf("defaults: %+v", e)
	}
}

func strp(s string) *string { return &s }

func TestMessageAttributes(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]MessageAttributeValue
		code  string
	}{
		{"string", map[string]MessageAttributeValue{"a": {DataType: strp("String"), StringValue: strp("x")}}, ""},
		{"custom string", map[string]MessageAttributeValue{"a": {DataType: strp("String.json"), StringValue: strp("x")}}, ""},
		{"number", map[string]MessageAttributeValue{"n": {DataType: strp("Number"), StringValue: strp("-1.5e3")}}, ""},
		{"number with too many digits", map[string]MessageAttributeValue{"n": {DataType: strp("Number"), StringValue: strp(strings.Repeat("9", 39))}}, "ParameterValueInvalid"},
		{"number out of range", map[string]MessageAttributeValue{"n": {DataType: strp("Number"), StringValue: strp("1e127")}}, "ParameterValueInvalid"},
		{"hex number", map[string]MessageAttributeValue{"n": {DataType: strp("Number"), StringValue: strp("0x10")}}, "ParameterValueInvalid"},
		{"fraction", map[string]MessageAttributeValue{"n": {DataType: strp("Number"), StringValue: strp("1/2")}}, "ParameterValueInvalid"},
		{"string array", map[string]MessageAttributeValue{"a": {DataType: strp("String.Array"), StringValue: strp(`["a",1,true,null]`)}}, ""},
		{"nested string array", map[string]MessageAttributeValue{"a": {DataType: strp("String.Array"), StringValue: strp(`[["a"]]`)}}, "ParameterValueInvalid"},
		{"binary", map[string]MessageAttributeValue{"b": {DataType: strp("Binary"), BinaryValue: strp("AQID")}}, ""},
		{"binary in a string field", map[string]MessageAttributeValue{"b": {DataType: strp("Binary"), StringValue: strp("AQID")}}, "ParameterValueInvalid"},
		{"bad base64", map[string]MessageAttributeValue{"b": {DataType: strp("Binary"), BinaryValue: strp("!!")}}, "ParameterValueInvalid"},
		{"no value", map[string]MessageAttributeValue{"a": {DataType: strp("String")}}, "ParameterValueInvalid"},
		{"empty value", map[string]MessageAttributeValue{"a": {DataType: strp("String"), StringValue: strp("")}}, "ParameterValueInvalid"},
		{"no type", map[string]MessageAttributeValue{"a": {StringValue: strp("x")}}, "ValidationError"},
		{"bad type", map[string]MessageAttributeValue{"a": {DataType: strp("Str"), StringValue: strp("x")}}, "ParameterValueInvalid"},
		{"empty custom type", map[string]MessageAttributeValue{"a": {DataType: strp("String."), StringValue: strp("x")}}, "ParameterValueInvalid"},
		{"name with space", map[string]MessageAttributeValue{"a b": {DataType: strp("String"), StringValue: strp("x")}}, "ParameterValueInvalid"},
		{"name with double dot", map[string]MessageAttributeValue{"a..b": {DataType: strp("String"), StringValue: strp("x")}}, "ParameterValueInvalid"},
		{"name starting with dot", map[string]MessageAttributeValue{".a": {DataType: strp("String"), StringValue: strp("x")}}, "ParameterValueInvalid"},
		{"reserved prefix", map[string]MessageAttributeValue{"AWS.x": {DataType: strp("String"), StringValue: strp("x")}}, "ParameterValueInvalid"},
		{"unicode name", map[string]MessageAttributeValue{"é": {DataType: strp("String"), StringValue: strp("x")}}, "ParameterValueInvalid"},
	}
	for _, tt := range tests {
		_, _, e := checkMessageAttributes(tt.attrs)
		got := ""
		if e != nil {
			got = e.Code
		}
		if got != tt.code {
			t.Errorf("%s: code %q (%v), want %q", tt.name, got, e, tt.code)
		}
	}
}

func TestSubjectAndNames(t *testing.T) {
	for s, ok := range map[string]bool{"Alert": true, "1 key exposed!": true, "": false, " lead": false,
		"line\nbreak": false, "naïve": false, strings.Repeat("a", 100): true, strings.Repeat("a", 101): false} {
		if got := checkSubject(&s) == nil; got != ok {
			t.Errorf("checkSubject(%q) ok = %v, want %v", s, got, ok)
		}
	}
	for n, ok := range map[string]bool{"a": true, "A-b_9": true, "": false, "a.b": false, "a b": false, strings.Repeat("x", 256): true, strings.Repeat("x", 257): false} {
		if validTopicName(n) != ok {
			t.Errorf("validTopicName(%q) = %v", n, !ok)
		}
	}
}

func TestEndpoints(t *testing.T) {
	tests := []struct {
		protocol, endpoint string
		ok                 bool
	}{
		{"http", "http://example.com/hook", true},
		{"https", "https://example.com:8443/hook?x=1", true},
		{"https", "http://example.com/", false},
		{"http", "example.com", false},
		{"email", "soc@example.com", true},
		{"email-json", "soc@example", false},
		{"lambda", "arn:aws:lambda:us-east-1:123456789012:function:f", true},
		{"lambda", "arn:aws:lambda:us-east-1:123456789012:layer:f", false},
		{"sqs", "arn:aws:sqs:us-east-1:123456789012:q", false},
		{"smoke", "x", false},
	}
	for _, tt := range tests {
		if got := checkEndpoint(tt.protocol, tt.endpoint) == nil; got != tt.ok {
			t.Errorf("checkEndpoint(%s, %s) ok = %v", tt.protocol, tt.endpoint, got)
		}
	}
}

func TestSplitStructure(t *testing.T) {
	m := &storedMessage{Message: `{"default":"d","http":"h","lambda":{"not":"a string"}}`}
	if e := m.splitStructure(); e != nil {
		t.Fatal(e)
	}
	if m.messageFor("http") != "h" || m.messageFor("https") != "d" || m.messageFor("lambda") != "d" {
		t.Errorf("per-protocol messages %+v", m)
	}
	for _, bad := range []string{`[]`, `{"http":"x"}`, `{"default":1}`, `not json`} {
		if (&storedMessage{Message: bad}).splitStructure() == nil {
			t.Errorf("splitStructure(%s) accepted", bad)
		}
	}
}

func TestTopicAttributeChecks(t *testing.T) {
	tests := []struct {
		name, value string
		ok          bool
	}{
		{"DisplayName", "Security", true},
		{"DisplayName", strings.Repeat("d", 101), false},
		{"Policy", `{"Statement":[]}`, true},
		{"Policy", `[]`, false},
		{"SignatureVersion", "2", true},
		{"SignatureVersion", "0", false},
		{"TracingConfig", "PassThrough", true},
		{"TracingConfig", "Active", false},
		{"KmsMasterKeyId", "alias/aws/sns", false},
		{"FifoTopic", "false", true},
		{"HTTPSuccessFeedbackRoleArn", "arn:aws:iam::1:role/r", false},
		{"TopicArn", "x", false},
	}
	for _, tt := range tests {
		if got := checkTopicAttr(tt.name, tt.value, "") == nil; got != tt.ok {
			t.Errorf("checkTopicAttr(%s, %.20q) ok = %v", tt.name, tt.value, got)
		}
	}
}

func FuzzDeliveryPolicy(f *testing.F) {
	f.Add(`{"http":{"defaultHealthyRetryPolicy":{"numRetries":5,"minDelayTarget":1}}}`)
	f.Add(`{"healthyRetryPolicy":{"numRetries":100,"minDelayTarget":1,"maxDelayTarget":3600,"backoffFunction":"geometric"}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		if p, err := parseTopicDeliveryPolicy(doc); err == nil && p.HTTP != nil && p.HTTP.DefaultHealthyRetryPolicy != nil {
			checkSchedule(t, p.HTTP.DefaultHealthyRetryPolicy)
		}
		if p, err := parseSubDeliveryPolicy(doc); err == nil && p.HealthyRetryPolicy != nil {
			checkSchedule(t, p.HealthyRetryPolicy)
		}
		effectivePolicy(doc, doc)
	})
}

// checkSchedule asserts what validation promises about a retry schedule.
func checkSchedule(t *testing.T, r *retryPolicy) {
	var total time.Duration
	for n := 1; n <= r.NumRetries; n++ {
		d, ok := r.delay(n)
		if !ok || d < 0 || d > time.Duration(r.MaxDelayTarget)*time.Second {
			t.Fatalf("retry %d of %+v: delay %v ok %v", n, r, d, ok)
		}
		total += d
	}
	if total > time.Hour {
		t.Fatalf("policy %+v retries for %v", r, total)
	}
}

func FuzzMessageAttribute(f *testing.F) {
	f.Add("n", "Number", "1.25", "")
	f.Add("a", "String.Array", `["x",1]`, "")
	f.Add("b", "Binary", "", "AQID")
	f.Fuzz(func(t *testing.T, name, typ, str, bin string) {
		v := MessageAttributeValue{DataType: &typ}
		if str != "" {
			v.StringValue = &str
		}
		if bin != "" {
			v.BinaryValue = &bin
		}
		attrs, size, e := checkMessageAttributes(map[string]MessageAttributeValue{name: v})
		if e == nil && (len(attrs) != 1 || size < len(name)) {
			t.Fatalf("accepted %q %q but returned %v, %d", name, typ, attrs, size)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	f := signedFields{Type: "Notification", MessageID: newID(), TopicARN: "arn:aws:sns:us-east-1:1:t",
		Message: strings.Repeat("m", 4096), Timestamp: timestamp(time.Now())}
	for b.Loop() {
		if _, err := sign(key, "2", f); err != nil {
			b.Fatal(err)
		}
	}
}

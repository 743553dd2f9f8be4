package playbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/internal/services"
	"github.com/vigilsec/vigil/internal/services/lambda"
)

// The exposed-access-key response (seeds 000 and 004): when AWS Health or
// Trusted Advisor reports a leaked key, delete it, summarise what its user
// did in the last 24 hours, and tell the security topic.
const (
	exposedKeyTopic   = "SecurityNotificationTopic"
	exposedKeyMachine = "ExposedKeyResponse"
	exposedKeyRule    = "ExposedAccessKeyRule"
	summarizeFunction = "vigil-SummarizeUserActivity"
	formatFunction    = "vigil-FormatExposedKeyNotification"
)

func init() {
	add(Playbook{
		Name:     "exposed-access-key",
		Summary:  "delete an exposed IAM access key, summarise its user's last 24h from CloudTrail, notify SecurityNotificationTopic",
		Register: registerExposedKey,
		Install:  installExposedKey,
	})
}

// exposedKeyPattern matches both detectors' events; they carry the key id
// in different places, which the state machine's first state sorts out.
const exposedKeyPattern = `{"$or": [
  {"source": ["aws.health"], "detail-type": ["AWS Health Event"],
   "detail": {"service": ["RISK"], "eventTypeCategory": ["issue"], "eventTypeCode": ["AWS_RISK_CREDENTIALS_EXPOSED"]}},
  {"source": ["aws.trustedadvisor"], "detail-type": ["Trusted Advisor Check Item Refresh Notification"],
   "detail": {"check-name": ["Exposed Access Keys"], "status": ["ERROR", "WARN"]}}
]}`

// exposedKeyDefinition is the state machine; %[1]s is the function ARN
// prefix and %[2]s the topic ARN.
const exposedKeyDefinition = `{
  "Comment": "Respond to an exposed IAM access key: delete it, summarise its user's recent API activity, notify security.",
  "StartAt": "IdentifyKey",
  "States": {
    "IdentifyKey": {
      "Type": "Choice",
      "Choices": [
        {"Variable": "$.source", "StringEquals": "aws.health", "Next": "FromHealthEvent"},
        {"Variable": "$.source", "StringEquals": "aws.trustedadvisor", "Next": "FromTrustedAdvisorEvent"}
      ],
      "Default": "UnsupportedEvent"
    },
    "FromHealthEvent": {
      "Type": "Pass",
      "Parameters": {
        "AccessKeyId.$": "$.detail.affectedEntities[0].entityValue",
        "EventTypeCode.$": "$.detail.eventTypeCode",
        "Source.$": "$.source",
        "EventTime.$": "$.time",
        "Account.$": "$.account"
      },
      "Next": "FindKeyOwner"
    },
    "FromTrustedAdvisorEvent": {
      "Type": "Pass",
      "Parameters": {
        "AccessKeyId.$": "$.detail['check-item-detail']['Access Key ID']",
        "EventTypeCode.$": "$.detail['check-name']",
        "Source.$": "$.source",
        "EventTime.$": "$.time",
        "Account.$": "$.account"
      },
      "Next": "FindKeyOwner"
    },
    "FindKeyOwner": {
      "Type": "Task",
      "Resource": "arn:aws:states:::aws-sdk:iam:getAccessKeyLastUsed",
      "Parameters": {"AccessKeyId.$": "$.AccessKeyId"},
      "ResultSelector": {"UserName.$": "$.UserName"},
      "ResultPath": "$.Owner",
      "Retry": [{"ErrorEquals": ["Iam.ServiceFailureException"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.Failure", "Next": "FormatNotification"}],
      "Next": "DeleteAccessKeyPair"
    },
    "DeleteAccessKeyPair": {
      "Type": "Task",
      "Resource": "arn:aws:states:::aws-sdk:iam:deleteAccessKey",
      "Parameters": {"UserName.$": "$.Owner.UserName", "AccessKeyId.$": "$.AccessKeyId"},
      "ResultPath": null,
      "Retry": [{"ErrorEquals": ["Iam.ServiceFailureException"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.Failure", "Next": "FormatNotification"}],
      "Next": "SummarizeUserActivity"
    },
    "SummarizeUserActivity": {
      "Type": "Task",
      "Resource": "%[1]s` + summarizeFunction + `",
      "Parameters": {"UserName.$": "$.Owner.UserName", "Hours": 24},
      "ResultPath": "$.Activity",
      "Next": "FormatNotification"
    },
    "FormatNotification": {
      "Type": "Task",
      "Resource": "%[1]s` + formatFunction + `",
      "ResultPath": "$.Notification",
      "Next": "NotifySecurity"
    },
    "NotifySecurity": {
      "Type": "Task",
      "Resource": "arn:aws:states:::sns:publish",
      "Parameters": {
        "TopicArn": "%[2]s",
        "Subject.$": "$.Notification.Subject",
        "Message.$": "$.Notification.Message"
      },
      "ResultSelector": {"MessageId.$": "$.MessageId"},
      "ResultPath": "$.Published",
      "End": true
    },
    "UnsupportedEvent": {
      "Type": "Fail",
      "Error": "UnsupportedEvent",
      "Cause": "The event is neither an AWS Health nor a Trusted Advisor exposed-key event."
    }
  }
}`

func installExposedKey(ctx context.Context, env *services.Env) error {
	p := env.Root()
	p.InvokedBy = "vigil.playbooks"
	inv := env.Invoker
	out, err := inv.Invoke(ctx, p, "sns", "CreateTopic", map[string]any{"Name": exposedKeyTopic})
	if err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	var topic struct{ TopicArn string }
	if err := json.Unmarshal(out, &topic); err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	fnPrefix := "arn:aws:lambda:" + env.Region + ":" + env.AccountID + ":function:"
	machineArn := "arn:aws:states:" + env.Region + ":" + env.AccountID + ":stateMachine:" + exposedKeyMachine
	role, err := installResponseRole(ctx, env, p, exposedKeyRole, "Lets the exposed-access-key playbook's rule and state machine act.",
		exposedKeyPolicy(env.AccountID, topic.TopicArn, fnPrefix, machineArn))
	if err != nil {
		return err
	}
	def := fmt.Sprintf(exposedKeyDefinition, fnPrefix, topic.TopicArn)
	_, err = inv.Invoke(ctx, p, "states", "CreateStateMachine", map[string]any{
		"name": exposedKeyMachine, "definition": def, "roleArn": role,
	})
	var ae *awsproto.Error
	if errors.As(err, &ae) && ae.Code == "StateMachineAlreadyExists" {
		// Installed before with another definition: the user may have
		// edited it, so leave theirs in place.
		env.Log.Warn("playbook state machine exists with another definition; leaving it", "name", exposedKeyMachine)
	} else if err != nil {
		return fmt.Errorf("create state machine: %w", err)
	}
	if _, err := inv.Invoke(ctx, p, "events", "PutRule", map[string]any{
		"Name": exposedKeyRule, "EventPattern": exposedKeyPattern, "State": "ENABLED",
		"Description": "Exposed IAM access key reported by AWS Health or Trusted Advisor",
	}); err != nil {
		return fmt.Errorf("put rule: %w", err)
	}
	if _, err := inv.Invoke(ctx, p, "events", "PutTargets", map[string]any{
		"Rule":    exposedKeyRule,
		"Targets": []map[string]any{{"Id": exposedKeyMachine, "Arn": machineArn, "RoleArn": role}},
	}); err != nil {
		return fmt.Errorf("put targets: %w", err)
	}
	return nil
}

func registerExposedKey(fns *lambda.Service) error {
	return errors.Join(
		fns.RegisterBuiltin(summarizeFunction, summarizeUserActivity),
		fns.RegisterBuiltin(formatFunction, formatExposedKeyNotification),
	)
}

// oneLine keeps a value from breaking the layout of a plain-text message.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// exposedKeyRole is the role the response's rule target and state machine
// act with.
const exposedKeyRole = "vigil-playbook-exposed-access-key"

// exposedKeyPolicy allows exactly what the response does: find a key's
// owner and delete the key, read the audit trail, publish to the security
// topic, run the playbook's two functions, and (for the rule's target)
// start the response.
func exposedKeyPolicy(account, topicArn, fnPrefix, machineArn string) string {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{
			{"Sid": "DeleteExposedKey", "Effect": "Allow",
				"Action":   []string{"iam:GetAccessKeyLastUsed", "iam:DeleteAccessKey"},
				"Resource": "arn:aws:iam::" + account + ":user/*"},
			{"Sid": "SummarizeActivity", "Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"},
			{"Sid": "NotifySecurity", "Effect": "Allow", "Action": "sns:Publish", "Resource": topicArn},
			{"Sid": "RunResponseFunctions", "Effect": "Allow", "Action": "lambda:InvokeFunction",
				"Resource": []string{fnPrefix + summarizeFunction, fnPrefix + formatFunction}},
			{"Sid": "StartResponse", "Effect": "Allow", "Action": "states:StartExecution", "Resource": machineArn},
		},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

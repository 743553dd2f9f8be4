"""Drives one or more operations of every Vigil service with boto3.

Usage: boto3_smoke.py ENDPOINT CREDENTIALS_FILE
Prints "ok <n>" with the number of checks passed; exits non-zero on the first failure.
"""
import json
import sys
import time

import boto3
import botocore.exceptions

endpoint, creds = sys.argv[1], sys.argv[2]
session = boto3.session.Session(profile_name="vigil")
checks = 0


def client(name):
    return session.client(name, endpoint_url=endpoint, region_name="us-east-1")


def check(cond, what):
    global checks
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    checks += 1


def error_code(fn, **kw):
    try:
        fn(**kw)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


iam, sts, sns = client("iam"), client("sts"), client("sns")
events, sfn, trail, lam = client("events"), client("stepfunctions"), client("cloudtrail"), client("lambda")

check(sts.get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root", "sts root identity")
iam.create_user(UserName="boto-user", Tags=[{"Key": "team", "Value": "sec"}])
check(iam.get_user(UserName="boto-user")["User"]["Arn"].endswith(":user/boto-user"), "iam get_user")
check(iam.list_user_tags(UserName="boto-user")["Tags"] == [{"Key": "team", "Value": "sec"}], "iam tags")
key = iam.create_access_key(UserName="boto-user")["AccessKey"]
check(len(key["SecretAccessKey"]) == 40, "iam create_access_key")
check(error_code(iam.get_user, UserName="nobody") == "NoSuchEntity", "iam NoSuchEntity")

topic = sns.create_topic(Name="boto-topic", Attributes={"SignatureVersion": "2"})["TopicArn"]
check(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SignatureVersion"] == "2", "sns attributes")
mid = sns.publish(TopicArn=topic, Subject="hi", Message="hello",
                  MessageAttributes={"sev": {"DataType": "String", "StringValue": "high"}})["MessageId"]
check(len(mid) > 0, "sns publish")
check(error_code(sns.get_topic_attributes, TopicArn=topic + "-missing") == "NotFound", "sns NotFound")

definition = {"StartAt": "Who", "States": {
    "Who": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:getUser",
            "Parameters": {"UserName": "boto-user"}, "ResultSelector": {"Arn.$": "$.User.Arn"}, "End": True}}}
# The workflow's tasks act with its role: one Step Functions may assume,
# allowed to read users.
role = iam.create_role(RoleName="boto", AssumeRolePolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"},
                                            "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
iam.put_role_policy(RoleName="boto", PolicyName="read-users", PolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
machine = sfn.create_state_machine(name="boto-machine", definition=json.dumps(definition),
                                   roleArn=role)["stateMachineArn"]
execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
for _ in range(100):
    desc = sfn.describe_execution(executionArn=execution)
    if desc["status"] != "RUNNING":
        break
    time.sleep(0.05)
check(desc["status"] == "SUCCEEDED", "sfn execution " + desc["status"])
check(json.loads(desc["output"])["Arn"].endswith(":user/boto-user"), "sfn output")
check(error_code(sfn.create_state_machine, name="bad", definition="{}", roleArn="arn:aws:iam::000000000000:role/x")
      == "InvalidDefinition", "sfn InvalidDefinition")

events.put_rule(Name="boto-rule", EventPattern=json.dumps({"source": ["boto.app"]}))
events.put_targets(Rule="boto-rule", Targets=[{"Id": "m", "Arn": machine}])
check(events.list_targets_by_rule(Rule="boto-rule")["Targets"][0]["Arn"] == machine, "events targets")
res = events.test_event_pattern(EventPattern=json.dumps({"source": ["boto.app"]}), Event=json.dumps({
    "id": "1", "source": "boto.app", "detail-type": "x", "account": "000000000000", "region": "us-east-1",
    "time": "2026-01-01T00:00:00Z", "resources": [], "detail": {}}))
check(res["Result"] is True, "events test_event_pattern")
out = events.put_events(Entries=[{"Source": "boto.app", "DetailType": "x", "Detail": "{}"}])
check(out["FailedEntryCount"] == 0, "events put_events")

found = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])["Events"]
check(any(e["Username"] == "root" for e in found), "cloudtrail lookup_events")
two = [{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}, {"AttributeKey": "Username", "AttributeValue": "root"}]
check(error_code(trail.lookup_events, LookupAttributes=two) == "InvalidLookupAttributesException", "cloudtrail two attributes")

check(any(f["FunctionName"] == "vigil-SummarizeUserActivity" for f in lam.list_functions()["Functions"]), "lambda list_functions")
check(error_code(lam.get_function, FunctionName="missing") == "ResourceNotFoundException", "lambda not found")

print("ok", checks)

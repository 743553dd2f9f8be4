#!/usr/bin/env node
// sim.js decides IAM requests with @cloud-copilot/iam-simulate for the policy
// package's differential test (policy/difftest_test.go).
//
// Standard input: a JSON array of cases, each
//   {"id": 1, "principal": "arn:aws:iam::111122223333:user/alice",
//    "action": "sns:Publish", "resource": "arn:aws:sns:...",
//    "resourceAccount": "111122223333",
//    "identity": [policy, ...], "resourcePolicy": policy or null,
//    "boundary": [policy, ...] or null, "session": policy or null,
//    "context": {"aws:SourceIp": "203.0.113.9", "aws:TagKeys": ["a", "b"]}}
// Standard output: a JSON array of results in the same order, each
//   {"id": 1, "decision": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied",
//    "ignored": [context keys the simulator dropped], "error": "..."}
'use strict';

const { runSimulation } = require('@cloud-copilot/iam-simulate');

async function decide(c) {
  const sim = {
    request: {
      principal: c.principal,
      action: c.action,
      resource: { resource: c.resource, accountId: c.resourceAccount },
      contextVariables: c.context || {},
    },
    identityPolicies: (c.identity || []).map((policy, i) => ({ name: `identity${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  if (c.resourcePolicy) sim.resourcePolicy = c.resourcePolicy;
  if (c.boundary) {
    sim.permissionBoundaryPolicies = c.boundary.map((policy, i) => ({ name: `boundary${i}`, policy }));
  }
  if (c.session) sim.sessionPolicy = c.session;

  const res = await runSimulation(sim, { simulationMode: 'Strict' });
  if (res.resultType === 'error') {
    return { id: c.id, error: JSON.stringify(res.errors) };
  }
  if (res.resultType !== 'single') {
    return { id: c.id, error: `unexpected result type ${res.resultType}` };
  }
  return {
    id: c.id,
    decision: res.overallResult,
    ignored: res.result.ignoredContextKeys || [],
  };
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const out = [];
  for (const c of cases) {
    try {
      out.push(await decide(c));
    } catch (err) {
      out.push({ id: c.id, error: String((err && err.stack) || err) });
    }
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + '\n');
  process.exit(1);
});

// auto-rollback refuses what it cannot do safely or cannot work out, with a clear error and without a
// single mutating call reaching the simulator (through the committed bundle).
import { afterAll, beforeAll, describe, it } from "vitest";
import { type Simulator, startSimulator } from "../../sim/index";
import { arnOf, expectRefused, lastSeq, rollback, world } from "../ecs-deploy/stack";

// web runs web:1 (its only completed rollout); web:2 is registered but never ran.
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ scenario: world({ revisions: ["2"] }) });
});
afterAll(async () => {
  await sim.stop();
});

/** A deploy record as ecs-deploy writes it: web:2 deployed over web:1. */
function record(over: Record<string, unknown>): string {
  return JSON.stringify({
    version: 1,
    cluster: "prod",
    taskDefinitionArn: arnOf("web:2"),
    status: "succeeded",
    services: [{ name: "web", previousTaskDefinitionArn: arnOf("web:1"), serviceDeploymentArn: null }],
    images: {},
    ...over,
  });
}

const cases: { name: string; inputs: Record<string, string>; error: RegExp }[] = [
  {
    name: "a service that does not exist",
    inputs: { services: "web, api", "task-definition": "web:1" },
    error: /In ECS cluster "prod", service "api" was not found/,
  },
  {
    name: "a cluster that does not exist",
    inputs: { cluster: "staging", "task-definition": "web:1" },
    error: /ECS cluster "staging" was not found/,
  },
  {
    name: "previous-task-definition-arn that is not ecs-deploy's output",
    inputs: { "previous-task-definition-arn": '{"web": 7}' },
    error: /Input `previous-task-definition-arn`: the entry for web is not valid/,
  },
  {
    name: "a target that was never registered",
    inputs: { "task-definition": "web:9" },
    error: /The rollback target web:9 could not be read/,
  },
  {
    name: "a target that is the revision being rolled back",
    inputs: { "task-definition": "web:2", "task-definition-arn": arnOf("web:2") },
    error: /The rollback target of web, web:2, is the revision being rolled back/,
  },
  {
    name: "nothing to return to (the service never completed another revision)",
    inputs: {},
    error:
      /No rollback target for web: it has no SUCCESSFUL service deployment of a revision other than web:1/,
  },
  {
    name: "a deploy record of another cluster than `cluster`",
    inputs: { cluster: "staging", "deploy-record": record({}) },
    error: /Input `cluster`: it says "staging", but `deploy-record` says "prod"/,
  },
  {
    name: "a bad revision that contradicts the deploy record",
    inputs: { "task-definition-arn": arnOf("web:1"), "deploy-record": record({}) },
    error: /Input `task-definition-arn`: it says web:1, but `deploy-record` says web:2/,
  },
  {
    name: "a deploy record that is not ecs-deploy's",
    inputs: { "deploy-record": JSON.stringify({ cluster: "prod", services: ["web"] }) },
    error: /Input `deploy-record`: the JSON does not have the expected shape: version is undefined, not 1/,
  },
  {
    name: "neither a cluster nor a deploy record",
    inputs: { cluster: "", "task-definition": "web:1" },
    error: /Input `cluster`: it is required \(unless `deploy-record` is given, which names it\)/,
  },
  {
    name: "an incident issue without a token",
    inputs: { "task-definition": "web:1", "incident-issue": "true" },
    error: /Input `incident-issue`: opening an issue needs a token/,
  },
];

describe("auto-rollback refuses before changing anything", () => {
  it.each(cases)("fails clearly on $name, with no mutating call", async ({ inputs, error }) => {
    const before = lastSeq(sim);
    const run = await rollback(sim, inputs);
    expectRefused(sim, run, before, error);
  });
});

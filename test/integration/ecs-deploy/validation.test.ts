// Bad inputs fail ecs-deploy with a clear error and change nothing: no mutating call reaches the
// simulator (through the committed bundle).
import { afterAll, beforeAll, describe, it } from "vitest";
import { type Simulator, startSimulator } from "../../sim/index";
import { arnOf, deploy, expectRefused, image, lastSeq, webTaskDefinition, workspace, world } from "./stack";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ scenario: world({ revisions: ["2"], deregistered: ["web:2"] }) });
});
afterAll(async () => {
  await sim.stop();
});

const { containerDefinitions: _unused, ...withoutContainers } = webTaskDefinition("2");

interface Case {
  name: string;
  inputs: Record<string, string | undefined>;
  files?: Record<string, string | object>;
  /** What the error must say. */
  error: RegExp;
}

const cases: Case[] = [
  {
    name: "an unknown container name in containers",
    inputs: { containers: `web=${image("2")}` },
    error: /`containers` names container "web" \(image\), but the task definition has "app"/,
  },
  {
    name: "an unknown container name in environment-variables",
    inputs: { "environment-variables": "worker.LOG_LEVEL=debug" },
    error: /`environment-variables` names container "worker"/,
  },
  {
    name: "environment-variables without a container prefix",
    inputs: { "environment-variables": "LOG_LEVEL=debug" },
    error: /Input `environment-variables`: line 1 has an invalid key "LOG_LEVEL"/,
  },
  {
    name: "a task definition file that is not JSON",
    inputs: { "task-definition": "web.json" },
    files: { "web.json": '{"family": "web", "containerDefinitions": [' },
    error: /Task definition file .*web\.json: it is not valid JSON or YAML at line 1/,
  },
  {
    name: "a task definition with a misspelt field",
    inputs: { "task-definition": "web.json" },
    files: { "web.json": { ...webTaskDefinition("2"), containerDefinition: [] } },
    error: /unknown field "containerDefinition"/,
  },
  {
    name: "a task definition without containers",
    inputs: { "task-definition": "web.json" },
    files: { "web.json": withoutContainers },
    error: /"containerDefinitions" must be a non-empty list/,
  },
  {
    name: "a task definition file that does not exist",
    inputs: { "task-definition": "ecs/missing.json" },
    error: /Task definition file .*ecs\/missing\.json does not exist/,
  },
  {
    name: "a missing cluster input",
    inputs: { cluster: undefined, containers: `app=${image("2")}` },
    error: /Input `cluster`: it is required but was not given/,
  },
  {
    name: "a cluster that does not exist",
    inputs: { cluster: "staging", containers: `app=${image("2")}` },
    error: /ECS cluster "staging" was not found/,
  },
  {
    name: "a service that does not exist",
    inputs: { services: "web, api", containers: `app=${image("2")}` },
    error: /In ECS cluster "prod", service "api" was not found/,
  },
  {
    name: "a deregistered (INACTIVE) task definition",
    inputs: { "task-definition": arnOf("web:2") },
    error: /Task definition web:2 is INACTIVE: ECS cannot deploy it/,
  },
  {
    name: "environment without github-token",
    inputs: { environment: "production", containers: `app=${image("2")}` },
    error: /Input `environment`: it records a GitHub deployment, which needs a token/,
  },
  {
    name: "an image reference with spaces",
    inputs: { containers: "app=web latest" },
    error: /Input `containers`: line 1 \(app\): "web latest" is not an image reference/,
  },
];

describe("ecs-deploy refuses bad inputs before changing anything", () => {
  it.each(cases)("fails clearly on $name, with no mutating call", async ({ inputs, files, error }) => {
    const before = lastSeq(sim);
    const run = await deploy(sim, inputs, files ? { workspace: workspace(files) } : {});
    expectRefused(sim, run, before, error);
  });
});

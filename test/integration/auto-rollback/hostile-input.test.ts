// auto-rollback against careless input, through the committed bundle: a reason the size of a log
// file, shell syntax where an identifier goes, and a token that cannot be one are refused before a
// single call (and never echoed).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leaksOf } from "../../rig/secret-scan";
import { type Simulator, startSimulator } from "../../sim/index";
import { expectRefused, lastSeq, rollback, world } from "../ecs-deploy/stack";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ scenario: world({ revisions: ["2"] }) });
});
afterAll(async () => {
  await sim.stop();
});

describe("auto-rollback refuses hostile input before any call", () => {
  it.each([
    [
      "a 100 kB reason",
      { reason: "x".repeat(100_000) },
      /Input `reason`: it is 100,000 characters long; at most 1,000 are accepted/,
    ],
    [
      "a 300-character incident title",
      { "incident-title": "t".repeat(300) },
      /Input `incident-title`: it is 300 characters long; at most 256/,
    ],
    [
      "shell syntax in a snapshot id",
      { "snapshot-id": "shop-$(id)" },
      /Input `snapshot-id`: "shop-\$\(id\)" is not valid/,
    ],
    [
      "shell syntax in the environment",
      { environment: "prod;id", "github-token": "ghs_x123" },
      /Input `environment`: "prod;id" is not valid/,
    ],
  ])("%s", async (_name, inputs, error) => {
    const before = lastSeq(sim);
    const run = await rollback(sim, { "task-definition": "web:1", ...inputs });
    expectRefused(sim, run, before, error);
  });

  it("refuses a token with spaces without quoting it back", async () => {
    const token = "ghs_not a token but a sentence 12345";
    const before = lastSeq(sim);
    const run = await rollback(sim, {
      "task-definition": "web:1",
      environment: "production",
      "github-token": token,
    });
    expectRefused(sim, run, before, /Input `github-token`: The value is not valid/);
    expect(leaksOf([{ name: "token", value: token }], "token", run)).toEqual([]);
  });
});

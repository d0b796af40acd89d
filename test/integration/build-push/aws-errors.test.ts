// AWS failures the user can act on end build-push with a user error naming the input and the fix,
// not a bug report, and tag nothing (integration: the bundle against the simulated ECR, images in
// memory, so no Docker is needed for promote mode).
import { afterEach, expect, it } from "vitest";
import { runAction } from "../../rig/harness";
import { type Simulator, simulatorEnv, startSimulator } from "../../sim/index";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

it("promote: ECR throttling beyond the retries names aws-max-attempts and tags nothing", async () => {
  sim = await startSimulator({ scenario: { ecr: { repositories: [{ name: "shop/web" }] } } });
  const digest = sim.ecr.seedImage("shop/web", { tags: ["abc123"] });
  await fetch(`${sim.endpoint}/_sim/faults`, {
    method: "POST",
    body: JSON.stringify({ service: "ecr", operation: "BatchGetImage", kind: "throttle" }),
  });
  const run = await runAction("build-push", {
    inputs: {
      repository: "shop/web",
      mode: "promote",
      source: `shop/web@${digest}`,
      tags: "prod",
      "aws-max-attempts": "2",
    },
    env: { ...simulatorEnv(sim), GITHUB_SHA: "a".repeat(40), GITHUB_REF: "refs/heads/main" },
  });
  expect(run.exitCode, run.stdout).toBe(1);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]?.message).toMatch(
    /^AWS kept throttling build-push's calls after 2 attempts: ThrottlingException/,
  );
  expect(run.errors[0]?.message).toMatch(/\nFix: Raise `aws-max-attempts`/);
  expect(run.stdout).not.toContain("This is a bug in shipline");
  expect(sim.calls.filter((c) => c.operation === "PutImage")).toEqual([]);
});

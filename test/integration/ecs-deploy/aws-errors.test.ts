// AWS failures the user can act on (throttling beyond the retries, a denied or failing service) end
// ecs-deploy and auto-rollback with a user error naming the input and the fix, never a bug report;
// and a re-run once AWS answers again finishes the job without registering a second revision.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Override, RawReply, SimError, type Simulator, startSimulator } from "../../sim/index";
import { arnOf, deploy, image, lastSeq, mutations, rollback, webService, world } from "./stack";

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ scenario: world({ revisions: ["2"] }) });
});
afterEach(async () => {
  await sim.stop();
});

/** ECS for a role that may not register task definitions (no ecs:RegisterTaskDefinition). */
const noRegister: Override = {
  service: "ecs",
  operation: "RegisterTaskDefinition",
  handle: () => {
    throw new SimError(
      "AccessDeniedException",
      "User: arn:aws:sts::123456789012:assumed-role/deploy/gha is not authorized to perform: ecs:RegisterTaskDefinition on resource: *",
    );
  },
};

/** ECS that keeps throttling UpdateService of "worker" only, as a busy account can. */
const throttledWorker: Override = {
  service: "ecs",
  operation: "UpdateService",
  handle: ({ input, next }) => {
    if (input.service === "worker") throw new SimError("ThrottlingException", "Rate exceeded");
    return next();
  },
};

async function fault(rule: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${sim.endpoint}/_sim/faults`, { method: "POST", body: JSON.stringify(rule) });
  expect(response.ok).toBe(true);
}

async function clearFaults(): Promise<void> {
  await fetch(`${sim.endpoint}/_sim/faults`, { method: "DELETE" });
}

describe("ecs-deploy and auto-rollback report AWS failures as the user's to act on", () => {
  it.each([
    ["ecs-deploy", () => deploy(sim, { containers: `app=${image("2")}`, "aws-max-attempts": "2" })],
    ["auto-rollback", () => rollback(sim, { "aws-max-attempts": "2" })],
  ])(
    "%s: throttling that outlasts the retries names aws-max-attempts and changes nothing",
    async (_name, start) => {
      await fault({ service: "ecs", operation: "DescribeServices", kind: "throttle" });
      const before = lastSeq(sim);
      const run = await start();
      expect(run.exitCode).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]?.message).toMatch(/AWS kept throttling .* after 2 attempts: ThrottlingException/);
      expect(run.errors[0]?.message).toMatch(/\nFix: Raise `aws-max-attempts`/);
      expect(run.stdout).not.toContain("This is a bug in shipline");
      expect(mutations(sim, before)).toEqual([]);
    },
  );

  it("ecs-deploy: losing AWS while following says ECS carries on, and a re-run follows that rollout", async () => {
    let faulted: Promise<void> | undefined;
    const before = lastSeq(sim);
    const failed = await deploy(
      sim,
      { containers: `app=${image("3")}`, "aws-max-attempts": "1" },
      {
        onLine: (line) => {
          if (!faulted && line.includes("Follow the rollout")) {
            faulted = fault({ service: "ecs", operation: "DescribeServices", kind: "throttle" });
          }
        },
      },
    );
    await faulted;
    expect(failed.exitCode).toBe(1);
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]?.message).toMatch(
      /^ECS has the update of web to web:3 and carries on with it, but this step could not follow the rollout: AWS kept throttling/,
    );
    expect(failed.errors[0]?.message).toMatch(/Re-running the step follows the rollout in progress/);
    expect(mutations(sim, before).map((c) => c.operation)).toEqual([
      "RegisterTaskDefinition",
      "UpdateService",
    ]);

    await clearFaults();
    const rerun = await deploy(sim, { containers: `app=${image("3")}` });
    expect(rerun.exitCode, rerun.stdout).toBe(0);
    // Followed to the end, or already ended by the time of the re-run: either way no second update.
    expect(rerun.outputs.status).toMatch(/^(succeeded|unchanged)$/);
    expect(rerun.outputs["task-definition-arn"]).toBe(failed.outputs["task-definition-arn"]);
    expect(mutations(sim, before).map((c) => c.operation)).toEqual([
      "RegisterTaskDefinition",
      "UpdateService",
    ]);
  });

  it("auto-rollback: losing AWS while following says the rollback is not verified, and a re-run finishes it", async () => {
    const deployed = await deploy(sim, { containers: `app=${image("3")}` });
    expect(deployed.outputs.status).toBe("succeeded");
    const targets = {
      "previous-task-definition-arn": deployed.outputs["previous-task-definition-arn"],
      "task-definition-arn": deployed.outputs["task-definition-arn"],
      verdict: "fail",
    };
    const before = lastSeq(sim);
    let faulted: Promise<void> | undefined;
    const failed = await rollback(
      sim,
      { ...targets, "aws-max-attempts": "1" },
      {
        onLine: (line) => {
          if (!faulted && /UpdateService to web:\d+ sent/.test(line)) {
            faulted = fault({ service: "ecs", operation: "DescribeServices", kind: "throttle" });
          }
        },
      },
    );
    await faulted;
    expect(failed.exitCode).toBe(1);
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]?.message).toMatch(
      /^The rollback was not verified: web: AWS kept throttling auto-rollback's calls: ThrottlingException/,
    );
    expect(failed.errors[0]?.message).toMatch(
      /Raise `aws-max-attempts`.*A re-run follows a rollback ECS already has in flight/s,
    );
    expect(failed.stdout).not.toContain("This is a bug in shipline");
    expect(failed.outputs["rolled-back"]).toBe("false");
    expect(JSON.parse(failed.outputs.report ?? "{}").services[0].reason).toMatch(/AWS kept throttling/);

    await clearFaults();
    const rerun = await rollback(sim, targets);
    expect(rerun.exitCode, rerun.stdout).toBe(0);
    expect(rerun.outputs["rolled-back"]).toBe("true");
    expect(mutations(sim, before).map((c) => c.operation)).toEqual(["UpdateService"]);
  });

  it("ecs-deploy: an ECS outage during UpdateService is AWS's, and a re-run reuses the registered revision", async () => {
    await fault({ service: "ecs", operation: "UpdateService", kind: "server-error" });
    const before = lastSeq(sim);
    const failed = await deploy(sim, { containers: `app=${image("3")}`, "aws-max-attempts": "1" });
    expect(failed.exitCode).toBe(1);
    expect(failed.errors[0]?.message).toMatch(/AWS failed to answer ecs-deploy: ServerException/);
    expect(failed.errors[0]?.message).toMatch(/\nFix: This is on AWS's side: re-run the step/);
    expect(failed.stdout).not.toContain("This is a bug in shipline");
    expect(mutations(sim, before).map((c) => c.operation)).toEqual(["RegisterTaskDefinition"]);

    await clearFaults();
    const rerun = await deploy(sim, { containers: `app=${image("3")}` });
    expect(rerun.exitCode).toBe(0);
    expect(rerun.outputs["task-definition-arn"]).toBe(failed.outputs["task-definition-arn"]);
    expect(mutations(sim, before).map((c) => c.operation)).toEqual([
      "RegisterTaskDefinition",
      "UpdateService",
    ]);
  });

  it("ecs-deploy: a call the role may not make names the IAM action, with a fix, and changes nothing", async () => {
    await sim.stop();
    sim = await startSimulator({
      scenario: world({ revisions: ["2"] }),
      overrides: [noRegister],
    });
    const before = lastSeq(sim);
    const run = await deploy(sim, { containers: `app=${image("3")}` });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toMatch(
      /^AWS denied a call ecs-deploy needs: AccessDeniedException: User: \S+ is not authorized to perform: ecs:RegisterTaskDefinition/,
    );
    expect(run.errors[0]?.message).toMatch(/\nFix: Allow the IAM action named above/);
    expect(run.stdout).not.toContain("This is a bug in shipline");
    expect(mutations(sim, before)).toEqual([]);
  });

  it("ecs-deploy: one service's throttled update is reported beside the service that was updated", async () => {
    await sim.stop();
    sim = await startSimulator({
      scenario: world({ revisions: ["2"], extraServices: ["worker"] }),
      overrides: [throttledWorker],
    });
    const run = await deploy(sim, {
      services: "web\nworker",
      containers: `app=${image("2")}`,
      wait: "false",
      "aws-max-attempts": "1",
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    const error = run.errors[0]?.message ?? "";
    expect(error).toMatch(/^The deployment of web:2 failed: worker: AWS kept throttling ecs-deploy's calls/);
    expect(error).toContain("Meanwhile web runs web:2 (rolling out)");
    expect(error).toMatch(/Fix: Raise `aws-max-attempts`/);
    expect(run.stdout).not.toContain("This is a bug in shipline");
    const report = JSON.parse(run.outputs.report ?? "{}");
    expect(report.services.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ["web", "started"],
      ["worker", "failed"],
    ]);
  });
});

describe("ecs-deploy does not repeat a mutation whose answer was lost", () => {
  it("reuses the revision a RegisterTaskDefinition registered before its answer was dropped", async () => {
    await fault({ service: "ecs", operation: "RegisterTaskDefinition", kind: "drop-response", count: 1 });
    const before = lastSeq(sim);
    const run = await deploy(sim, { containers: `app=${image("3")}` });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs["task-definition-arn"]).toMatch(/:task-definition\/web:3$/);
    expect(run.stdout).toMatch(/answer to RegisterTaskDefinition was lost.*web:3/);
    expect(mutations(sim, before).map((c) => c.operation)).toEqual([
      "RegisterTaskDefinition",
      "UpdateService",
    ]);
    expect(webService(sim).taskDefinition).toBe(arnOf("web:3"));
  });

  it("does not send UpdateService again when DescribeServices shows the lost one took effect", async () => {
    await fault({ service: "ecs", operation: "UpdateService", kind: "drop-response", count: 1 });
    const before = lastSeq(sim);
    const run = await deploy(sim, { containers: `app=${image("3")}` });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.status).toBe("succeeded");
    expect(run.stdout).toMatch(/answer to UpdateService was lost.*took effect/);
    expect(mutations(sim, before).map((c) => c.operation)).toEqual([
      "RegisterTaskDefinition",
      "UpdateService",
    ]);
  });

  it("sends UpdateService again when the lost one never reached ECS", async () => {
    await fault({ service: "ecs", operation: "UpdateService", kind: "drop", count: 1 });
    const before = lastSeq(sim);
    const run = await deploy(sim, { containers: `app=${image("3")}` });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.status).toBe("succeeded");
    const updates = sim.calls
      .filter((c) => c.operation === "UpdateService" && c.seq > before)
      .map((c) => c.fault ?? "answered");
    expect(updates).toEqual(["drop", "answered"]);
  });
});

/** An AWS-compatible endpoint without the service deployments API: 500 with an HTML page. */
const noServiceDeployments: Override[] = [
  "ListServiceDeployments",
  "DescribeServiceDeployments",
  "DescribeServiceRevisions",
].map((operation) => ({
  service: "ecs",
  operation,
  handle: () => new RawReply(500, "<html><body><h1>500 Internal Server Error</h1></body></html>"),
}));

describe("the optional service deployments API failing in any way costs one warning, never the step", () => {
  beforeEach(async () => {
    await sim.stop();
    sim = await startSimulator({ scenario: world({ revisions: ["2"] }), overrides: noServiceDeployments });
  });

  it("ecs-deploy follows through DescribeServices with one warning", async () => {
    const run = await deploy(sim, { containers: `app=${image("3")}` });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.status).toBe("succeeded");
    expect(
      run.annotations.filter((a) => /service deployments API cannot be used/.test(a.message)),
    ).toHaveLength(1);
    expect(run.stdout).not.toContain("This is a bug in shipline");
  });

  it("auto-rollback with an explicit target degrades the same way", async () => {
    const deployed = await deploy(sim, { containers: `app=${image("3")}` });
    expect(deployed.outputs.status).toBe("succeeded");
    const before = lastSeq(sim);
    const run = await rollback(sim, { "task-definition": "web:2", verdict: "fail" });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs["rolled-back"]).toBe("true");
    expect(mutations(sim, before).map((c) => c.operation)).toEqual(["UpdateService"]);
    expect(run.stdout).not.toContain("This is a bug in shipline");
  });
});

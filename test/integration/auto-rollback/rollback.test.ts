// auto-rollback through the committed bundles (ecs-deploy first, then auto-rollback with its outputs)
// against the AWS simulator on a scaled clock, and the GitHub fake for statuses and incident issues.
import { afterEach, describe, expect, it } from "vitest";
import { deployPayload } from "../../../packages/core/src/github/deployment-record";
import { type FakeGitHub, startFakeGitHub } from "../../rig/fake-github";
import { everythingPrinted } from "../../rig/harness";
import { type Simulator, startSimulator } from "../../sim/index";
import {
  deniedServiceDeployments,
  REFUSAL,
  refusingUpdates,
  startPollClocked,
} from "../ecs-deploy/ecs-variants";
import { arnOf, deploy, image, lastSeq, mutations, rollback, webService, world } from "../ecs-deploy/stack";

const TOKEN = "ghs_fakeTokenForRollbackTests987654321";

let sim: Simulator | undefined;
let github: FakeGitHub | undefined;
afterEach(async () => {
  await sim?.stop();
  await github?.close();
  sim = undefined;
  github = undefined;
});

/** What health-gate writes to its `report` output when the error rate is too high. */
const HEALTH_REPORT = {
  verdict: "fail",
  reason: "error rate (web-alb) 8.0 % > 5 % over 60 s",
  startedAt: "2026-03-02T09:10:00.000Z",
  finishedAt: "2026-03-02T09:12:30.000Z",
  checks: [
    {
      name: "health https://shop.example/health",
      kind: "probe",
      status: "pass",
      summary: "200 in 3/3 probes",
      measurements: [],
    },
    {
      name: "error rate (web-alb)",
      kind: "metric",
      status: "fail",
      summary: "8.0 % > 5 % (4,812 requests)",
      measurements: [],
    },
  ],
  failedChecks: ["error rate (web-alb)"],
  inconclusiveChecks: [],
};

function running(s: Simulator) {
  const service = webService(s);
  return {
    taskDefinition: service.taskDefinition,
    deployments: service.deployments?.length,
    rolloutState: service.deployments?.[0]?.rolloutState,
  };
}

describe("auto-rollback of a deploy that passed ECS but is bad", () => {
  it("puts the previous revision back with UpdateService and verifies every target is healthy", async () => {
    sim = await startSimulator({ scenario: world() });
    const deployed = await deploy(sim, { containers: `app=${image("2")}` });
    expect(deployed.outputs.status).toBe("succeeded");
    const before = lastSeq(sim);
    const started = sim.now();

    const run = await rollback(sim, {
      "previous-task-definition-arn": deployed.outputs["previous-task-definition-arn"],
      "task-definition-arn": deployed.outputs["task-definition-arn"],
      "service-deployment-arn": deployed.outputs["service-deployment-arn"],
      verdict: "fail",
      "health-report": JSON.stringify(HEALTH_REPORT),
    });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      "rolled-back": "true",
      "task-definition-arn": arnOf("web:1"),
      "rolled-back-from": arnOf("web:2"),
      action: "update",
    });
    expect(running(sim)).toEqual({
      taskDefinition: arnOf("web:1"),
      deployments: 1,
      rolloutState: "COMPLETED",
    });
    const changes = mutations(sim, before);
    expect(changes.map((c) => [c.operation, c.input])).toEqual([
      ["UpdateService", { cluster: "prod", service: "web", taskDefinition: arnOf("web:1") }],
    ]);
    // Verified through the load balancer: every web:1 task a healthy target.
    expect(sim.calls.some((c) => c.seq > before && c.operation === "DescribeTargetHealth")).toBe(true);
    expect(run.stdout).toMatch(
      /web: verified: 3\/3 tasks of web:1 RUNNING, 3\/3 load balancer targets healthy/,
    );
    const report = JSON.parse(run.outputs.report ?? "{}");
    expect(report.timeline.map((e: { what: string }) => e.what)).toEqual([
      "bad deploy of web:2 started",
      "health verdict fail: error rate (web-alb) 8.0 % > 5 % over 60 s",
      "rollback started (UpdateService) to web:1",
      "web:1 restored (SUCCESSFUL)",
      expect.stringMatching(/^verified: 3\/3 tasks of web:1 RUNNING/),
    ]);
    expect(run.summary).toContain("Rolled back and verified: web web:2 → web:1");
    expect(run.summary).toContain("```mermaid\ntimeline");
    expect(run.summary).toContain("| error rate (web-alb) | 8.0 % > 5 % (4,812 requests) |");
    expect(Number(run.outputs["duration-seconds"])).toBeGreaterThan(0);
    // In simulated time, from the start of the step to the service settled on web:1.
    const finished = sim.ecs.serviceDeployment(run.outputs["service-deployment-arn"] ?? "")?.finishedAt ?? 0;
    expect(finished).toBeGreaterThan(started);
  });

  it("is a no-op success when the service already runs the target (a re-run)", async () => {
    sim = await startSimulator({ scenario: world() });
    const deployed = await deploy(sim, { containers: `app=${image("2")}` });
    const inputs = {
      "previous-task-definition-arn": deployed.outputs["previous-task-definition-arn"],
      "task-definition-arn": deployed.outputs["task-definition-arn"],
    };
    const first = await rollback(sim, inputs);
    expect(first.outputs["rolled-back"]).toBe("true");
    const before = lastSeq(sim);
    const again = await rollback(sim, inputs);
    expect(again.errors).toEqual([]);
    expect(again.outputs).toMatchObject({ "rolled-back": "true", action: "none" });
    expect(mutations(sim, before)).toEqual([]);
    expect(again.stdout).toContain("the service already runs web:1, rollout COMPLETED");
  });

  it("discovers the target from the service's history and does not roll forward on a re-run", async () => {
    sim = await startSimulator({ scenario: world() });
    await deploy(sim, { containers: `app=${image("2")}` });
    const first = await rollback(sim, {});
    expect(first.errors).toEqual([]);
    expect(first.outputs).toMatchObject({
      "rolled-back": "true",
      "task-definition-arn": arnOf("web:1"),
      action: "update",
    });
    expect(JSON.parse(first.outputs.report ?? "{}").services[0].targetSource).toBe("discovered");
    const before = lastSeq(sim);
    const again = await rollback(sim, {});
    expect(again.outputs).toMatchObject({
      "rolled-back": "true",
      "task-definition-arn": arnOf("web:1"),
      action: "none",
    });
    expect(mutations(sim, before)).toEqual([]);
    expect(running(sim).taskDefinition).toBe(arnOf("web:1"));
  });
});

describe("auto-rollback from ecs-deploy's deploy record", () => {
  it("rolls back every service of the record, taking cluster, services and targets from it alone", async () => {
    sim = await startSimulator({ scenario: world({ extraServices: ["worker"] }) });
    const deployed = await deploy(sim, { services: "web\nworker", containers: `app=${image("2")}` });
    expect(deployed.outputs.status).toBe("succeeded");
    const record = JSON.parse(deployed.outputs["deploy-record"] ?? "{}");
    expect(record).toMatchObject({
      version: 1,
      cluster: "prod",
      taskDefinitionArn: arnOf("web:2"),
      status: "succeeded",
      services: [
        { name: "web", previousTaskDefinitionArn: arnOf("web:1") },
        { name: "worker", previousTaskDefinitionArn: arnOf("web:1") },
      ],
    });
    expect(record.services.map((s: { serviceDeploymentArn: string }) => s.serviceDeploymentArn)).toEqual(
      Object.values(JSON.parse(deployed.outputs["service-deployment-arn"] ?? "{}")),
    );
    const before = lastSeq(sim);
    const run = await rollback(sim, {
      cluster: undefined,
      services: undefined,
      "deploy-record": deployed.outputs["deploy-record"],
      verdict: "fail",
    });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs["rolled-back-from"] ?? "{}")).toEqual({
      web: arnOf("web:2"),
      worker: arnOf("web:2"),
    });
    const report = JSON.parse(run.outputs.report ?? "{}");
    expect(
      report.services.map((s: { name: string; targetSource: string }) => [s.name, s.targetSource]),
    ).toEqual([
      ["web", "recorded"],
      ["worker", "recorded"],
    ]);
    // The services are updated at once, so their calls may arrive in either order.
    const updates = mutations(sim, before).map((c) => [c.operation, c.input.service, c.input.taskDefinition]);
    expect(updates.sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([
      ["UpdateService", "web", arnOf("web:1")],
      ["UpdateService", "worker", arnOf("web:1")],
    ]);
    for (const name of ["web", "worker"]) expect(webService(sim, name).taskDefinition).toBe(arnOf("web:1"));
  });

  it("rolls back only the service `services` picks from the record", async () => {
    sim = await startSimulator({ scenario: world({ extraServices: ["worker"] }) });
    const deployed = await deploy(sim, { services: "web\nworker", containers: `app=${image("2")}` });
    const run = await rollback(sim, {
      services: "worker",
      "deploy-record": deployed.outputs["deploy-record"],
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({ "rolled-back": "true", "task-definition-arn": arnOf("web:1") });
    expect(webService(sim, "worker").taskDefinition).toBe(arnOf("web:1"));
    expect(webService(sim).taskDefinition).toBe(arnOf("web:2"));
  });
});

/**
 * The tests of rollouts in flight move the simulated clock only with the steps' reads of the service
 * (ten simulated seconds each), so what is still in flight when the next step looks does not depend
 * on how long the machine takes to start it.
 */
function pollClocked(options: Parameters<typeof world>[0]): Promise<Simulator> {
  return startPollClocked(world({ ...options, manualClock: true }), 10_000);
}

describe("auto-rollback of a deployment still in flight", () => {
  it("stops the bad service deployment with ROLLBACK and verifies the previous revision", async () => {
    // Pulls of six simulated minutes keep web:2 rolling forward.
    sim = await pollClocked({ timings: { pullMs: 6 * 60_000 } });
    const deployed = await deploy(sim, { containers: `app=${image("2")}`, wait: "false" });
    expect(deployed.outputs.status).toBe("started");
    const before = lastSeq(sim);
    const run = await rollback(sim, {
      "previous-task-definition-arn": deployed.outputs["previous-task-definition-arn"],
      "service-deployment-arn": deployed.outputs["service-deployment-arn"],
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({ "rolled-back": "true", action: "stop" });
    const changes = mutations(sim, before);
    expect(changes.map((c) => c.operation)).toEqual(["StopServiceDeployment"]);
    expect(changes[0]?.input).toEqual({
      serviceDeploymentArn: deployed.outputs["service-deployment-arn"],
      stopType: "ROLLBACK",
    });
    const record = sim.ecs.serviceDeployment(deployed.outputs["service-deployment-arn"] ?? "");
    expect(record?.status).toBe("ROLLBACK_SUCCESSFUL");
    expect(running(sim)).toEqual({
      taskDefinition: arnOf("web:1"),
      deployments: 1,
      rolloutState: "COMPLETED",
    });
  });

  it("follows ECS's own circuit-breaker rollback instead of starting another", async () => {
    sim = await pollClocked({ images: { [image("2")]: { kind: "crash" } } });
    const deployed = await deploy(sim, { containers: `app=${image("2")}` });
    expect(deployed.outputs.status).toBe("failed");
    // ecs-deploy failed at the first poll that showed the rollback; slow ECS down so that it is
    // certainly still rolling back when auto-rollback looks.
    sim.ecs.setTimings({ schedulerDelayMs: 60_000 });
    const arn = deployed.outputs["service-deployment-arn"] ?? "";
    expect(sim.ecs.serviceDeployment(arn)?.status).toBe("ROLLBACK_IN_PROGRESS");
    const before = lastSeq(sim);
    const run = await rollback(sim, {
      "previous-task-definition-arn": deployed.outputs["previous-task-definition-arn"],
      "task-definition-arn": deployed.outputs["task-definition-arn"],
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({
      "rolled-back": "true",
      action: "follow-ecs",
      "service-deployment-arn": deployed.outputs["service-deployment-arn"],
    });
    expect(run.stdout).toContain(
      "ECS is already rolling back to web:1 (ROLLBACK_IN_PROGRESS); following it.",
    );
    expect(mutations(sim, before)).toEqual([]);
    expect(sim.ecs.serviceDeployment(arn)?.status).toBe("ROLLBACK_SUCCESSFUL");
    expect(running(sim).taskDefinition).toBe(arnOf("web:1"));
  });

  it("follows a rollout of the target already in flight instead of updating the service again", async () => {
    // Pulls of three simulated minutes keep each rollout in flight.
    sim = await pollClocked({ revisions: ["2"], timings: { pullMs: 3 * 60_000 } });
    await deploy(sim, { "task-definition": arnOf("web:2"), wait: "false" });
    // An earlier rollback's UpdateService back to web:1 (a run that was cancelled, say).
    const back = await deploy(sim, { "task-definition": arnOf("web:1"), wait: "false" });
    const before = lastSeq(sim);
    const run = await rollback(sim, { "task-definition": "web:1" });
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({
      "rolled-back": "true",
      action: "follow-ecs",
      "service-deployment-arn": back.outputs["service-deployment-arn"],
    });
    expect(run.stdout).toMatch(/a rollout of web:1 is already IN_PROGRESS/);
    expect(mutations(sim, before)).toEqual([]);
    expect(running(sim)).toEqual({
      taskDefinition: arnOf("web:1"),
      deployments: 1,
      rolloutState: "COMPLETED",
    });
  });
});

describe("auto-rollback of several services", () => {
  it("rolls back and verifies the others when ECS refuses one, and reports every one", async () => {
    sim = await startSimulator({
      overrides: refusingUpdates(["worker"], "web:2"),
      scenario: world({ revisions: ["2"], extraServices: ["worker"] }),
    });
    // Both run web:1; the revision to return to is web:2 (say web:1 turned out bad).
    const run = await rollback(sim, { services: "web\nworker", "task-definition": "web:2" });
    expect(run.exitCode).toBe(1);
    expect(run.outputs["rolled-back"]).toBe("false");
    const report = JSON.parse(run.outputs.report ?? "{}");
    expect(report.services.map((s: { name: string; rolledBack: boolean }) => [s.name, s.rolledBack])).toEqual(
      [
        ["web", true],
        ["worker", false],
      ],
    );
    expect(webService(sim).taskDefinition).toBe(arnOf("web:2"));
    expect(run.stdout).toMatch(/web: verified: 3\/3 tasks of web:2 RUNNING/);
    expect(run.errors[0]?.message).toContain(`worker: ECS refused to roll back service worker: ${REFUSAL}`);
    expect(run.errors[0]?.message).not.toContain("This is a bug");
    expect(run.summary).toContain("Rollback not verified");
  });
});

describe("auto-rollback refuses what is unsafe, before changing anything", () => {
  it("refuses after destructive migrations unless forced", async () => {
    sim = await startSimulator({ scenario: world() });
    const deployed = await deploy(sim, { containers: `app=${image("2")}` });
    const before = lastSeq(sim);
    const inputs = {
      "previous-task-definition-arn": deployed.outputs["previous-task-definition-arn"],
      "destructive-migrations": "true",
      migrations: JSON.stringify([
        { file: "db/migrations/0042_add_role.sql", destructive: false },
        { file: "db/migrations/0043_drop_legacy_name.sql", destructive: true },
      ]),
      "snapshot-id": "shipline-shop-0043-abc123",
    };
    const refused = await rollback(sim, inputs);
    expect(refused.exitCode).toBe(1);
    expect(refused.outputs).toEqual({});
    const message = refused.errors[0]?.message ?? "";
    expect(message).toContain(
      "Refusing to roll back: the migrations applied with this release were destructive (`db/migrations/0043_drop_legacy_name.sql`)",
    );
    expect(message).toContain("shipline-shop-0043-abc123");
    expect(message).toContain("set `force: true`");
    expect(message).toContain("If ECS has already rolled the service back on its own");
    // Refused before any AWS call at all.
    expect(sim.calls.filter((c) => c.seq > before)).toEqual([]);

    const forced = await rollback(sim, { ...inputs, force: "true" });
    expect(forced.errors).toEqual([]);
    expect(forced.outputs["rolled-back"]).toBe("true");
    expect(
      forced.annotations.some((a) => a.level === "warning" && /destructive .*force is true/.test(a.message)),
    ).toBe(true);
    expect(running(sim).taskDefinition).toBe(arnOf("web:1"));
  });

  it("refuses a deregistered (INACTIVE) target", async () => {
    sim = await startSimulator({ scenario: world({ revisions: ["2"], deregistered: ["web:2"] }) });
    const deployed = await deploy(sim, { containers: `app=${image("3")}` });
    expect(deployed.outputs["task-definition-arn"]).toBe(arnOf("web:3"));
    const before = lastSeq(sim);
    const run = await rollback(sim, { "task-definition": "web:2" });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toContain(
      "The rollback target web:2 is INACTIVE: a deregistered task definition cannot be deployed again.",
    );
    expect(mutations(sim, before)).toEqual([]);
  });
});

describe("auto-rollback reports on GitHub", () => {
  it("marks the bad deployment failed, records the restored one, and upserts one incident issue across runs", async () => {
    sim = await startSimulator({ scenario: world() });
    github = await startFakeGitHub();
    // web:1 was deployed from an earlier commit, and recorded; web:2 is this run's (GITHUB_SHA).
    const GOOD_SHA = "a".repeat(40);
    github.state.deployments.push({
      id: github.state.nextId(),
      ref: GOOD_SHA,
      environment: "production",
      description: "web:1",
      payload: deployPayload({
        cluster: "prod",
        services: ["web"],
        taskDefinitionArn: arnOf("web:1"),
        previousTaskDefinitionArn: {},
        images: { app: image("1") },
      }),
      statuses: [{ id: github.state.nextId(), state: "success", description: "[shipline rolled-out] web:1" }],
    });
    const env = { GITHUB_API_URL: github.url };
    const deployed = await deploy(
      sim,
      { containers: `app=${image("2")}`, "github-token": TOKEN, environment: "production" },
      { env },
    );
    expect(github.state.deployments).toHaveLength(2);
    const inputs = {
      "previous-task-definition-arn": deployed.outputs["previous-task-definition-arn"],
      "task-definition-arn": deployed.outputs["task-definition-arn"],
      verdict: "fail",
      "health-report": JSON.stringify(HEALTH_REPORT),
      "github-token": TOKEN,
      environment: "production",
      "incident-issue": "true",
      "incident-labels": "incident, production",
    };
    const run = await rollback(sim, inputs, { env });
    expect(run.errors).toEqual([]);
    const [, bad, restored] = github.state.deployments;
    expect(bad?.statuses.map((s) => s.state)).toEqual(["in_progress", "success", "failure"]);
    expect(bad?.statuses.at(-1)?.description).toBe(
      "[shipline rolled-back] Rolled back to web:1 by auto-rollback: error rate (web-alb) 8.0 % > 5 % over 60 s",
    );
    // The restored revision is recorded with the commit it was deployed from, not this run's.
    expect(restored).toMatchObject({
      environment: "production",
      ref: GOOD_SHA,
      payload: { shipline: "auto-rollback", version: 1, taskDefinitionArn: arnOf("web:1") },
    });
    expect(restored?.statuses.map((s) => s.state)).toEqual(["success"]);

    expect(github.state.issues).toHaveLength(1);
    const issue = github.state.issues[0];
    expect(issue?.title).toBe("Rollback: web in production from web:2 to web:1");
    expect(issue?.labels.map((l) => l.name)).toEqual(["incident", "production"]);
    expect(issue?.body).toContain("<!-- shipline:incident:prod:web:web:2 -->");
    expect(issue?.body).toContain("| error rate (web-alb) | 8.0 % > 5 % (4,812 requests) |");
    expect(issue?.body).toContain("bad deploy of web:2 started");
    expect(run.outputs["incident-issue-url"]).toBe("https://github.com/acme/shop/issues/1");

    const again = await rollback(sim, inputs, { env });
    expect(again.errors).toEqual([]);
    expect(github.state.issues).toHaveLength(1);
    expect(github.state.deployments).toHaveLength(3);
    expect(everythingPrinted(run)).not.toContain(TOKEN);
    expect(everythingPrinted(again)).not.toContain(TOKEN);
  });
});

describe("auto-rollback recording a target GitHub never saw deployed", () => {
  it("marks the bad deployment failed and records no restored deployment under this run's commit", async () => {
    sim = await startSimulator({ scenario: world() });
    github = await startFakeGitHub();
    const env = { GITHUB_API_URL: github.url };
    const deployed = await deploy(
      sim,
      { containers: `app=${image("2")}`, "github-token": TOKEN, environment: "production" },
      { env },
    );
    const run = await rollback(
      sim,
      {
        "previous-task-definition-arn": deployed.outputs["previous-task-definition-arn"],
        "task-definition-arn": deployed.outputs["task-definition-arn"],
        verdict: "fail",
        "github-token": TOKEN,
        environment: "production",
      },
      { env },
    );
    expect(run.errors).toEqual([]);
    expect(running(sim).taskDefinition).toBe(arnOf("web:1"));
    // Only the bad deployment: its commit is not web:1's, so it is not written down as web:1's.
    expect(github.state.deployments).toHaveLength(1);
    expect(github.state.deployments[0]?.statuses.at(-1)?.state).toBe("failure");
    expect(run.stdout).toContain(
      "no deployment of web:1 is recorded in production, so its commit is unknown",
    );
  });
});

describe("auto-rollback of a revision a newer deploy already replaced", () => {
  it("changes nothing when the service runs neither the bad revision nor the target, and says why", async () => {
    sim = await startSimulator({ scenario: world() });
    github = await startFakeGitHub();
    const env = { GITHUB_API_URL: github.url };
    // N (web:2) is deployed; the scheduled watch builds its record. Before its rollback job gets the
    // deploy concurrency group, N+1 (web:3) is deployed and healthy.
    const bad = await deploy(sim, { containers: `app=${image("2")}` });
    const record = bad.outputs["deploy-record"];
    expect(JSON.parse(record ?? "{}").taskDefinitionArn).toBe(arnOf("web:2"));
    const newer = await deploy(sim, { containers: `app=${image("3")}` });
    expect(newer.outputs).toMatchObject({ status: "succeeded", "task-definition-arn": arnOf("web:3") });
    const before = lastSeq(sim);

    const run = await rollback(
      sim,
      {
        cluster: undefined,
        services: undefined,
        "deploy-record": record,
        verdict: "fail",
        "health-report": JSON.stringify(HEALTH_REPORT),
        "github-token": TOKEN,
        environment: "production",
        "incident-issue": "true",
      },
      { env },
    );
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(mutations(sim, before)).toEqual([]);
    expect(running(sim)).toEqual({
      taskDefinition: arnOf("web:3"),
      deployments: 1,
      rolloutState: "COMPLETED",
    });
    expect(run.outputs).toMatchObject({
      "rolled-back": "false",
      "rolled-back-from": arnOf("web:2"),
      "task-definition-arn": "",
      action: "superseded",
    });
    const said =
      "web: web:2 was already superseded by web:3, which the service runs now; nothing was rolled back or changed";
    expect(run.stdout).toContain(said);
    expect(run.annotations.some((a) => a.level === "warning" && a.message.includes(said))).toBe(true);
    expect(run.summary).toContain("Nothing rolled back");
    // Nothing was restored, so nothing is recorded: no deployment, no status, no incident.
    expect(github.state.deployments).toEqual([]);
    expect(github.state.issues).toEqual([]);
    expect(JSON.parse(run.outputs.report ?? "{}").services[0]).toMatchObject({
      action: "superseded",
      rolledBack: false,
    });
  });
});

describe("auto-rollback without the service deployments API", () => {
  it("rolls back with UpdateService and follows rolloutState", async () => {
    sim = await startSimulator({
      overrides: deniedServiceDeployments,
      scenario: world(),
    });
    const deployed = await deploy(sim, { containers: `app=${image("2")}` });
    expect(deployed.outputs.status).toBe("succeeded");
    const run = await rollback(sim, {
      "previous-task-definition-arn": deployed.outputs["previous-task-definition-arn"],
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({ "rolled-back": "true", action: "update" });
    expect(running(sim).taskDefinition).toBe(arnOf("web:1"));
  });
});

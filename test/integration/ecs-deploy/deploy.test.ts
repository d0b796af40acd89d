// ecs-deploy through the committed bundle against the AWS simulator (scaled clock: 1 real ms = 120
// simulated ms, so a 100 ms poll interval is 12 simulated seconds; the tests of what a poll sees move
// the clock with the polls instead): healthy and crash-looping rollouts, re-runs, throttling, several
// services, blue/green, the fallback without the service deployments API, and revision hygiene.
import { afterEach, describe, expect, it } from "vitest";
import { everythingPrinted } from "../../rig/harness";
import { type Simulator, startSimulator } from "../../sim/index";
import { builtInServices } from "../../sim/services/index";
import {
  deniedServiceDeployments,
  REFUSAL,
  refusingUpdates,
  STALE_READS,
  staleCurrentDeployment,
  startPollClocked,
} from "./ecs-variants";
import {
  arnOf,
  deploy,
  digestOf,
  ecsOf,
  image,
  lastSeq,
  MUTATING,
  mutations,
  webService,
  webTaskDefinition,
  workspace,
  world,
} from "./stack";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

/**
 * The tests about when a poll sees something run on a manual clock that moves one poll interval (10
 * simulated seconds) with each of the step's reads of the service (clockedByPolls), so polls fall
 * exactly one interval apart in simulated time whatever the machine's load; the real interval only
 * sets how fast the test runs.
 */
const POLL_STEP_MS = 10_000;

function pollClocked(options: Parameters<typeof world>[0]): Promise<Simulator> {
  return startPollClocked(world({ ...options, manualClock: true }), POLL_STEP_MS);
}

function calls(s: Simulator, operation: string) {
  return s.calls.filter((c) => c.operation === operation && c.status < 400);
}

describe("ecs-deploy: rolling deployments", () => {
  it("succeeds on a healthy image and notices stability within one poll interval of ECS completing it", async () => {
    sim = await pollClocked({});
    const run = await deploy(sim, { containers: `app=${image("2")}` });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      "task-definition-arn": arnOf("web:2"),
      "previous-task-definition-arn": arnOf("web:1"),
      status: "succeeded",
    });
    // Only what was asked: the task definition (no desired count, no force, no configuration).
    const updates = calls(sim, "UpdateService");
    expect(updates).toHaveLength(1);
    expect(updates[0]?.input).toEqual({ cluster: "prod", service: "web", taskDefinition: arnOf("web:2") });

    const arn = run.outputs["service-deployment-arn"] ?? "";
    const record = ecsOf(sim).serviceDeployments.byArn.get(arn);
    expect(record?.status).toBe("SUCCESSFUL");
    const completedAt = record?.finishedAt ?? 0;
    const polls = calls(sim, "DescribeServiceDeployments").filter(
      (c) => c.input.serviceDeploymentArns?.toString() === arn,
    );
    const sawIt = polls.find((c) => c.at >= completedAt);
    expect(sawIt).toBeDefined();
    // Only one poll happens after completion: the next one, which saw it (in simulated time).
    expect(polls.filter((c) => c.at >= completedAt)).toHaveLength(1);
    const lag = (sawIt?.at ?? 0) - completedAt;
    expect(lag).toBeLessThanOrEqual(POLL_STEP_MS);

    // The digest that ran, from the service revision.
    const images = JSON.parse(run.outputs.images ?? "{}") as Record<string, string>;
    expect(images.app).toMatch(
      /^123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/web@sha256:[0-9a-f]{64}$/,
    );
    const report = JSON.parse(run.outputs.report ?? "{}");
    expect(report.rollbackTargets.web).toMatchObject({
      taskDefinitionArn: arnOf("web:1"),
      source: "completed-primary",
      images: [{ container: "app", image: image("1"), digest: digestOf("1") }],
    });
    expect(run.stdout).toMatch(
      /web: 3\/3 running, 0 pending · failed tasks 0\/3 · stage CLEAN_UP · SUCCESSFUL/,
    );
    expect(run.summary).toContain("ECS deploy succeeded: web:2 to web");
  });

  it("fails at the first poll that shows the circuit breaker's rollback, with stopped reason, exit code and log tail", async () => {
    sim = await pollClocked({
      images: {
        [image("2")]: {
          kind: "crash",
          exitCode: 3,
          logs: ["listening on :8080"],
          exitLogs: ["Error: connect ECONNREFUSED 10.0.4.12:5432", "    at TCPConnectWrap.afterConnect"],
        },
      },
    });
    const run = await deploy(sim, { containers: `app=${image("2")}` });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe("failed");
    const arn = run.outputs["service-deployment-arn"] ?? "";
    const record = ecsOf(sim).serviceDeployments.byArn.get(arn);
    const rollbackAt = record?.rollback?.startedAt ?? 0;
    expect(rollbackAt).toBeGreaterThan(0);
    const polls = calls(sim, "DescribeServiceDeployments");
    // The follow stopped at the first poll after ECS began rolling back.
    expect(polls.filter((c) => c.at >= rollbackAt)).toHaveLength(1);
    expect((polls.at(-1)?.at ?? 0) - rollbackAt).toBeLessThanOrEqual(POLL_STEP_MS);
    // ECS was still rolling back when the step failed: it did not wait for the rollback to finish.
    expect(record?.finishedAt === undefined || (record.finishedAt ?? 0) > (polls.at(-1)?.at ?? 0)).toBe(true);

    const error = run.errors[0]?.message ?? "";
    expect(error).toContain("ECS is rolling the deployment of web:2 back (ROLLBACK_IN_PROGRESS)");
    expect(error).toContain("circuit breaker");
    expect(run.stdout).toMatch(
      /stopCode EssentialContainerExited, stoppedReason: Essential container in task exited/,
    );
    expect(run.stdout).toMatch(/container app: exit code 3/);
    expect(run.stdout).toContain("│ Error: connect ECONNREFUSED 10.0.4.12:5432");
    expect(run.stdout).toMatch(/deployment failed: tasks failed to start\./);
    expect(run.summary).toContain("Why web failed");
    expect(run.summary).toContain("Error: connect ECONNREFUSED 10.0.4.12:5432");
    expect(run.summary).toContain("| app | 3 |");
    // The rollback target is the revision that last completed, not "revision minus one".
    expect(run.outputs["previous-task-definition-arn"]).toBe(arnOf("web:1"));
  });

  it("re-run with unchanged inputs registers nothing, updates nothing and gives the same outputs", async () => {
    sim = await startSimulator({ scenario: world() });
    const dir = workspace({ "ecs/web.json": webTaskDefinition("2") });
    const first = await deploy(sim, { "task-definition": "ecs/web.json" }, { workspace: dir });
    expect(first.exitCode).toBe(0);
    const before = lastSeq(sim);
    const second = await deploy(sim, { "task-definition": "ecs/web.json" }, { workspace: dir });
    expect(second.errors).toEqual([]);
    expect(second.exitCode).toBe(0);
    expect(mutations(sim, before)).toEqual([]);
    expect(second.outputs.status).toBe("unchanged");
    for (const name of [
      "task-definition-arn",
      "previous-task-definition-arn",
      "service-deployment-arn",
      "images",
    ]) {
      expect(second.outputs[name], name).toBe(first.outputs[name]);
    }
    expect(second.stdout).toContain("already registered, identical");
  });

  it("registers nothing on a re-run from a file that leaves out what AWS fills in and orders keys its own way", async () => {
    sim = await startSimulator({ scenario: world() });
    // No essential, protocol, host port or health-check timings (AWS fills them in), keys in no
    // particular order, and YAML numbers and booleans where the API takes strings.
    const yaml = [
      "containerDefinitions:",
      "  - portMappings: [{containerPort: 8080}]",
      "    healthCheck: {command: [CMD-SHELL, curl -f http://localhost:8080/health]}",
      "    logConfiguration:",
      "      options: {awslogs-stream-prefix: web, awslogs-group: /ecs/web, awslogs-create-group: true}",
      "      logDriver: awslogs",
      `    image: ${image("2")}`,
      "    environment: [{value: 8080, name: PORT}]",
      "    name: app",
      "memory: 512",
      "cpu: 256",
      "requiresCompatibilities: [FARGATE]",
      "networkMode: awsvpc",
      "family: web",
    ].join("\n");
    const dir = workspace({ "web.yaml": yaml });
    const first = await deploy(sim, { "task-definition": "web.yaml", wait: "false" }, { workspace: dir });
    expect(first.errors).toEqual([]);
    expect(calls(sim, "RegisterTaskDefinition")).toHaveLength(1);
    const registered = calls(sim, "RegisterTaskDefinition")[0]?.input as {
      containerDefinitions: { environment: unknown[]; logConfiguration: { options: unknown } }[];
    };
    expect(registered.containerDefinitions[0]?.environment).toEqual([{ name: "PORT", value: "8080" }]);
    expect(registered.containerDefinitions[0]?.logConfiguration.options).toMatchObject({
      "awslogs-create-group": "true",
    });
    const before = lastSeq(sim);
    const again = await deploy(sim, { "task-definition": "web.yaml", wait: "false" }, { workspace: dir });
    expect(again.errors).toEqual([]);
    expect(sim.calls.filter((c) => c.seq > before && MUTATING.has(c.operation))).toEqual([]);
    expect(again.outputs["task-definition-arn"]).toBe(arnOf("web:2"));
    expect(again.stdout).toContain("already registered, identical");
  });

  it("follows the service deployment its update started while ECS still reports the previous one as current", async () => {
    sim = await startSimulator({
      services: [...builtInServices, staleCurrentDeployment],
      scenario: world(),
    });
    const previous = webService(sim).serviceDeployments.at(-1)?.arn;
    const run = await deploy(sim, { containers: `app=${image("2")}` });
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe("succeeded");
    const arn = run.outputs["service-deployment-arn"] ?? "";
    expect(arn).not.toBe(previous);
    const record = ecsOf(sim).serviceDeployments.byArn.get(arn);
    expect(record?.status).toBe("SUCCESSFUL");
    expect(record?.targetRevision.config.taskDefinitionArn).toBe(arnOf("web:2"));
    // Success was not taken from the replaced deployment's old SUCCESSFUL: the step read the rollout
    // until after ECS finished the new one, and never followed the old one.
    const reads = calls(sim, "DescribeServiceDeployments");
    expect(reads.at(-1)?.at ?? 0).toBeGreaterThanOrEqual(record?.finishedAt ?? Number.POSITIVE_INFINITY);
    expect(reads.filter((c) => c.input.serviceDeploymentArns?.toString() === previous)).toEqual([]);
    expect(calls(sim, "DescribeServices").length).toBeGreaterThan(STALE_READS);
  });

  it("completes under throttling of 20 % of calls with one registration and one update", async () => {
    sim = await startSimulator({
      scenario: world({ faults: [{ kind: "throttle", rate: 0.2 }] }),
    });
    const run = await deploy(sim, { containers: `app=${image("2")}`, "aws-max-attempts": "10" });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(sim.calls.filter((c) => c.fault === "throttle").length).toBeGreaterThan(3);
    expect(calls(sim, "RegisterTaskDefinition")).toHaveLength(1);
    expect(calls(sim, "UpdateService")).toHaveLength(1);
    expect(ecsOf(sim).core.taskDefinitions.get("web")).toHaveLength(2);
  });

  it("deploys one registered revision to several services in parallel", async () => {
    // Every UpdateService takes 400 real ms (48 simulated seconds) to answer.
    const slowUpdates = {
      service: "ecs",
      operation: "UpdateService",
      kind: "latency" as const,
      latencyMs: 400,
    };
    sim = await startSimulator({
      scenario: world({ extraServices: ["worker", "scheduler"], faults: [slowUpdates] }),
    });
    const run = await deploy(sim, { services: "web\nworker\nscheduler", containers: `app=${image("2")}` });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(calls(sim, "RegisterTaskDefinition")).toHaveLength(1);
    const updates = calls(sim, "UpdateService");
    expect(updates.map((u) => u.input.service).sort()).toEqual(["scheduler", "web", "worker"]);
    // Parallel: the three updates were answered together, not one slow answer after another (which
    // would spread them over at least 96 simulated seconds).
    const answered = updates.map((u) => u.at);
    expect(Math.max(...answered) - Math.min(...answered)).toBeLessThan(12_000);
    for (const name of ["web", "worker", "scheduler"]) {
      expect(webService(sim, name).config.taskDefinitionArn).toBe(arnOf("web:2"));
    }
    expect(JSON.parse(run.outputs["previous-task-definition-arn"] ?? "{}")).toEqual({
      web: arnOf("web:1"),
      worker: arnOf("web:1"),
      scheduler: arnOf("web:1"),
    });
    expect(Object.keys(JSON.parse(run.outputs["service-deployment-arn"] ?? "{}"))).toEqual([
      "web",
      "worker",
      "scheduler",
    ]);
    expect(run.stdout).toMatch(/worker: 3\/3 running/);
  });

  it("keeps following the others when one service's rollout fails, and says which ones now run the new revision", async () => {
    // web is behind the load balancer, whose health checks the image fails; worker has none.
    sim = await startSimulator({
      scenario: world({ extraServices: ["worker"], images: { [image("2")]: { kind: "unhealthy" } } }),
    });
    const run = await deploy(sim, { services: "web\nworker", containers: `app=${image("2")}` });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe("failed");
    const report = JSON.parse(run.outputs.report ?? "{}");
    expect(report.services.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ["web", "failed"],
      ["worker", "succeeded"],
    ]);
    expect(webService(sim, "worker").config.taskDefinitionArn).toBe(arnOf("web:2"));
    expect(webService(sim, "worker").deployments).toHaveLength(1);
    const error = run.errors[0]?.message ?? "";
    expect(error).toContain("web: ECS is rolling the deployment of web:2 back");
    expect(error).toContain(
      "Meanwhile worker runs web:2 (rolled out): the services no longer run one revision.",
    );
    expect(error).toContain(
      "roll worker back as well (auto-rollback with this step's previous-task-definition-arn and services: worker)",
    );
    expect(run.summary).toContain("Meanwhile worker runs web:2 (rolled out)");
  });

  it("reports the services it did update when ECS refuses another's update", async () => {
    sim = await startSimulator({
      services: [...builtInServices, refusingUpdates(["worker"])],
      scenario: world({ extraServices: ["worker"] }),
    });
    const run = await deploy(sim, {
      services: "web\nworker",
      containers: `app=${image("2")}`,
      wait: "false",
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe("failed");
    const report = JSON.parse(run.outputs.report ?? "{}");
    expect(report.services.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ["web", "started"],
      ["worker", "failed"],
    ]);
    expect(JSON.parse(run.outputs["service-deployment-arn"] ?? "{}").web).toMatch(
      /service-deployment\/prod\/web\//,
    );
    const error = run.errors[0]?.message ?? "";
    expect(error).toContain(`worker: ECS refused to update service worker: ${REFUSAL}`);
    expect(error).toContain("Meanwhile web runs web:2 (rolling out)");
    expect(error).toMatch(/Fix: Read ECS's message: .* roll web back as well/s);
    expect(webService(sim).config.taskDefinitionArn).toBe(arnOf("web:2"));
  });

  it("deploys a registered task definition by ARN without registering, and sets desired-count only when given", async () => {
    sim = await startSimulator({ scenario: world({ revisions: ["2"] }) });
    const run = await deploy(sim, { "task-definition": arnOf("web:2"), "desired-count": "4" });
    expect(run.exitCode).toBe(0);
    expect(calls(sim, "RegisterTaskDefinition")).toHaveLength(0);
    expect(calls(sim, "UpdateService")[0]?.input).toEqual({
      cluster: "prod",
      service: "web",
      taskDefinition: arnOf("web:2"),
      desiredCount: 4,
    });
    expect(webService(sim).desiredCount).toBe(4);
  });

  it("upserts environment variables per container from a YAML file without printing their values", async () => {
    sim = await startSimulator({ scenario: world() });
    const yaml = [
      "family: web",
      "networkMode: awsvpc",
      "requiresCompatibilities: [FARGATE]",
      "cpu: 256",
      "memory: 512",
      "containerDefinitions:",
      "  - name: app",
      `    image: ${image("1")}`,
      "    portMappings: [{containerPort: 8080}]",
      "    environment: [{name: LOG_LEVEL, value: info}]",
    ].join("\n");
    const run = await deploy(
      sim,
      {
        "task-definition": "web.yaml",
        containers: `app=${image("3")}`,
        "environment-variables": "app.LOG_LEVEL=debug\napp.FEATURE_FLAGS=checkout-v2-secret-rollout",
      },
      { workspace: workspace({ "web.yaml": yaml }) },
    );
    expect(run.errors).toEqual([]);
    const registered = calls(sim, "RegisterTaskDefinition")[0]?.input as {
      cpu: string;
      containerDefinitions: { environment: unknown[]; image: string }[];
    };
    expect(registered.cpu).toBe("256");
    expect(registered.containerDefinitions[0]?.image).toBe(image("3"));
    expect(registered.containerDefinitions[0]?.environment).toEqual([
      { name: "LOG_LEVEL", value: "debug" },
      { name: "FEATURE_FLAGS", value: "checkout-v2-secret-rollout" },
    ]);
    // Nowhere: log (debug lines included), summary, outputs.
    expect(everythingPrinted(run)).not.toContain("checkout-v2-secret-rollout");
    expect(run.debug.join("\n")).not.toContain("checkout-v2-secret-rollout");
  });

  it("returns right after UpdateService with wait: false", async () => {
    sim = await startSimulator({ scenario: world() });
    const run = await deploy(sim, { containers: `app=${image("2")}`, wait: "false" });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe("started");
    expect(calls(sim, "DescribeServiceDeployments")).toHaveLength(0);
    expect(run.outputs["service-deployment-arn"]).toMatch(/service-deployment\/prod\/web\//);
  });
});

describe("ecs-deploy: native strategies and the fallback", () => {
  it("waits for a BLUE_GREEN deployment's SUCCESSFUL status, not for the running count", async () => {
    // Each lifecycle stage lasts ten simulated seconds; polls five seconds apart see every one twice.
    sim = await startPollClocked(
      world({ strategy: "BLUE_GREEN", desiredCount: 2, manualClock: true }),
      5_000,
    );
    const run = await deploy(sim, { containers: `app=${image("2")}` });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    const arn = run.outputs["service-deployment-arn"] ?? "";
    const record = ecsOf(sim).serviceDeployments.byArn.get(arn);
    expect(record?.status).toBe("SUCCESSFUL");
    // Green ran 2/2 long before the deployment was done (traffic shift, one-minute bake time).
    const lines = run.stdout.split("\n");
    const firstFull = lines.findIndex((l) => /web: 2\/2 running/.test(l));
    const done = lines.findIndex((l) => /SUCCESSFUL$/.test(l));
    expect(firstFull).toBeGreaterThan(-1);
    expect(done).toBeGreaterThan(firstFull);
    // When a stage is missed, say when the step read the service and its deployment.
    const reads = sim.calls
      .filter((c) => /^DescribeService(s|Deployments)$/.test(c.operation))
      .map((c) => `${c.operation} at ${c.at - (sim?.calls[0]?.at ?? 0)} ms`)
      .join(", ");
    for (const stage of [
      "SCALE_UP",
      "TEST_TRAFFIC_SHIFT",
      "PRODUCTION_TRAFFIC_SHIFT",
      "BAKE_TIME",
      "CLEAN_UP",
    ])
      expect(run.stdout, reads).toContain(`stage ${stage} `);
    const polls = calls(sim, "DescribeServiceDeployments");
    expect(polls.at(-1)?.at ?? 0).toBeGreaterThanOrEqual(record?.finishedAt ?? Number.POSITIVE_INFINITY);
  });

  it("follows deployments[] and rolloutState when the service deployments API is denied", async () => {
    sim = await startSimulator({
      services: [...builtInServices, deniedServiceDeployments],
      scenario: world(),
    });
    const run = await deploy(sim, { containers: `app=${image("2")}` });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe("succeeded");
    expect(run.stdout).toContain("The ECS service deployments API cannot be used (AccessDeniedException");
    expect(run.stdout).toMatch(/web: 3\/3 running, 0 pending · failed tasks 0\/3 · COMPLETED/);
    expect(webService(sim).deployments[0]?.rolloutState).toBe("COMPLETED");
    // The denied calls are not retried poll after poll.
    expect(sim.calls.filter((c) => c.error === "AccessDeniedException").length).toBeLessThanOrEqual(2);
  });

  it("fails on a crash loop through rolloutState when the service deployments API is denied", async () => {
    sim = await startSimulator({
      services: [...builtInServices, deniedServiceDeployments],
      scenario: world({ images: { [image("2")]: { kind: "crash", exitCode: 1 } } }),
    });
    const run = await deploy(sim, { containers: `app=${image("2")}` });
    expect(run.exitCode).toBe(1);
    // Seen while the failed deployment drained, or, when it was gone by the next poll, from the events.
    expect(run.errors[0]?.message).toMatch(/tasks failed to start\./);
    expect(run.errors[0]?.message).toMatch(
      /ECS rolled back|rolling back deployment ecs-svc\/\d+ to task definition web:1/,
    );
    expect(run.stdout).toMatch(/container app: exit code 1/);
  });
});

describe("ecs-deploy: the rollback target", () => {
  it("records none, and says why, when the revision the service runs was deregistered", async () => {
    sim = await startSimulator({ scenario: world() });
    // web:1 keeps running, but nobody could deploy it again.
    ecsOf(sim).operations.DeregisterTaskDefinition?.({ taskDefinition: "web:1" });
    const run = await deploy(sim, { containers: `app=${image("2")}`, plan: "true" });
    expect(run.errors).toEqual([]);
    expect(run.outputs["previous-task-definition-arn"]).toBe("");
    expect(
      run.annotations.some(
        (a) =>
          a.level === "warning" &&
          a.message.includes("web: web:1, the revision it would roll back to, is INACTIVE (deregistered)"),
      ),
    ).toBe(true);
    expect(run.summary).toContain("no rollback target (web:1 is INACTIVE (deregistered)");
    expect(JSON.parse(run.outputs.report ?? "{}").rollbackTargets).toEqual({ web: null });
  });
});

describe("ecs-deploy: revision hygiene", () => {
  it("keep-revisions deregisters old revisions but never the one deployed or the rollback target", async () => {
    // web:1 runs; web:2..web:5 were registered since and never completed on the service.
    sim = await startSimulator({ scenario: world({ revisions: ["2", "3", "4", "5"] }) });
    const run = await deploy(sim, { containers: `app=${image("6")}`, "keep-revisions": "2" });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    const status = (revision: number) =>
      ecsOf(sim as Simulator).core.taskDefinitions.get("web")?.[revision - 1]?.status;
    expect(status(6)).toBe("ACTIVE"); // deployed
    expect(status(5)).toBe("ACTIVE"); // the second newest
    expect(status(1)).toBe("ACTIVE"); // the rollback target, however old
    expect([2, 3, 4].map(status)).toEqual(["INACTIVE", "INACTIVE", "INACTIVE"]);
    expect(JSON.parse(run.outputs.report ?? "{}").deregistered).toEqual([
      arnOf("web:4"),
      arnOf("web:3"),
      arnOf("web:2"),
    ]);
  });
});

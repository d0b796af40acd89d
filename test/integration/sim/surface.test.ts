// The simulator's inspect-and-control surface, the only way tests see and steer it: the call log,
// state snapshots, time, timing knobs, faults and overrides.
import {
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  ListServiceDeploymentsCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { afterEach, describe, expect, it } from "vitest";
import {
  builtInServices,
  RawReply,
  type Shape,
  SimError,
  type Simulator,
  startSimulator,
} from "../../sim/index";
import { currentServiceDeployment, deployWeb, describeWeb, registerWeb, simulatorClients } from "./clients";
import { REGISTRY, webScenario } from "./web-scenario";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const MINUTE = 60_000;

describe("the call log", () => {
  it("marks, filters and counts calls, and lists the IAM actions they needed", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    await describeWeb(sim);
    const mark = sim.lastSeq();
    expect(mark).toBe(1);
    await deployWeb(sim, `${REGISTRY}/web:2`);
    await describeWeb(sim);
    expect(sim.callsSince(mark).map((c) => c.operation)).toEqual([
      "RegisterTaskDefinition",
      "UpdateService",
      "DescribeServices",
    ]);
    expect(sim.callCounts()).toEqual({ DescribeServices: 2, RegisterTaskDefinition: 1, UpdateService: 1 });
    expect(sim.callCounts({ since: mark })).toEqual({
      DescribeServices: 1,
      RegisterTaskDefinition: 1,
      UpdateService: 1,
    });
    expect(sim.callsTo("UpdateService", "ecs")[0]?.input).toMatchObject({
      taskDefinition: expect.any(String),
    });
    expect(sim.iamActions({ since: mark })).toEqual([
      "ecs:DescribeServices",
      "ecs:RegisterTaskDefinition",
      "ecs:UpdateService",
    ]);
    sim.clearCalls();
    expect(sim.calls).toEqual([]);
    // Sequence numbers keep counting, so a mark taken before a clear stays meaningful.
    await describeWeb(sim);
    expect(sim.calls[0]?.seq).toBe(5);
  });
});

describe("state snapshots", () => {
  it("are plain read-only copies in the API's shapes, with times in simulated epoch ms", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const before = sim.ecs.service("web");
    expect(before).toMatchObject({ serviceName: "web", desiredCount: 3, runningCount: 3, status: "ACTIVE" });
    expect(typeof before.createdAt).toBe("number");
    expect(Object.isFrozen(before)).toBe(true);
    expect(Object.isFrozen(before.deployments)).toBe(true);
    expect(() => {
      (before as { desiredCount: number }).desiredCount = 7;
    }).toThrow(TypeError);

    const { ecs } = simulatorClients(sim);
    await ecs.send(new UpdateServiceCommand({ service: "web", desiredCount: 5 }));
    // The earlier snapshot does not change; a new one shows the change.
    expect(before.desiredCount).toBe(3);
    expect(sim.ecs.service("web").desiredCount).toBe(5);

    const deployment = currentServiceDeployment(sim);
    expect(deployment).toMatchObject({ status: "SUCCESSFUL", serviceArn: before.serviceArn });
    const revision = sim.ecs.serviceRevision(deployment?.targetServiceRevision?.arn ?? "");
    expect(revision?.taskDefinition).toBe(before.taskDefinition);
    expect(revision?.containerImages?.[0]?.imageDigest).toBe(`sha256:${"1".repeat(64)}`);
    expect(sim.ecs.serviceDeployments({ service: "web" })).toHaveLength(1);
    expect(sim.ecs.taskDefinitions("web").map((td) => [td.revision, td.status])).toEqual([[1, "ACTIVE"]]);
    const tasks = sim.ecs.tasks({ service: "web" });
    expect(tasks).toHaveLength(3);
    expect(sim.ecs.task(tasks[0]?.taskArn ?? "")?.lastStatus).toBe("RUNNING");
    expect(sim.ecs.task("arn:aws:ecs:eu-west-1:123456789012:task/default/nope")).toBeUndefined();
    expect(sim.ecs.clusters().map((c) => c.clusterName)).toEqual(["default"]);
    expect(() => sim?.ecs.service("api")).toThrow(/no service api in cluster default/);
  });

  it("bring the simulation up to simulated now before they are read", async () => {
    sim = await startSimulator({
      scenario: { ...webScenario(), clock: { mode: "scaled", factor: 600 } },
      ticking: false,
    });
    await deployWeb(sim, `${REGISTRY}/web:2`);
    const start = sim.now();
    // No background ticks and no API call in between: reading the state alone runs what became due.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sim.ecs.service("web").events?.[0]?.createdAt).toBeGreaterThan(start);
    expect(sim.now()).toBeGreaterThan(start);
  });
});

describe("controls", () => {
  it("deregisters a revision as another actor would, outside the call log", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    sim.ecs.deregisterTaskDefinition("web:1");
    expect(sim.calls).toEqual([]);
    expect(sim.ecs.taskDefinition("web:1")?.status).toBe("INACTIVE");
    const { ecs } = simulatorClients(sim);
    await expect(
      ecs.send(
        new UpdateServiceCommand({ service: "web", taskDefinition: "web:1", forceNewDeployment: true }),
      ),
    ).rejects.toMatchObject({ name: "ClientException" });
    // What the API would do to it is unchanged: describing it still works, deregistering again too.
    await expect(
      ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "web:1" })),
    ).resolves.toBeTruthy();
  });

  it("slows the service scheduler down from now on", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    expect(sim.ecs.timings.schedulerDelayMs).toBe(2_000);
    sim.ecs.setTimings({ schedulerDelayMs: 5 * MINUTE });
    expect(sim.ecs.timings.schedulerDelayMs).toBe(5 * MINUTE);
    const { ecs } = simulatorClients(sim);
    await ecs.send(new UpdateServiceCommand({ service: "web", desiredCount: 4 }));
    sim.advance(5 * MINUTE - 1);
    expect(sim.ecs.tasks({ service: "web" })).toHaveLength(3);
    sim.advance(1);
    expect(sim.ecs.tasks({ service: "web" })).toHaveLength(4);
    expect(() => sim?.ecs.setTimings({ schedulerDelayMS: 1 } as never)).toThrow(/no timing schedulerDelayMS/);
    expect(() => sim?.ecs.setTimings({ pullMs: -1 })).toThrow(/must be >= 0/);
  });

  it("answers on a simulator without a built-in service with an error naming it", async () => {
    sim = await startSimulator({ services: builtInServices.slice(0, 1) });
    expect(sim.serviceNames()).toEqual(["logs"]);
    expect(() => sim?.ecs).toThrow(/does not run the built-in ecs service/);
  });
});

describe("time", () => {
  it("switches between the scaled and the manual clock", async () => {
    sim = await startSimulator({ clock: { mode: "scaled", factor: 1_000 } });
    await new Promise((resolve) => setTimeout(resolve, 30));
    sim.setClock({ mode: "manual" });
    const frozen = sim.now();
    expect(sim.clock).toMatchObject({ mode: "manual", factor: 1_000, now: frozen });
    await new Promise((resolve) => setTimeout(resolve, 30));
    sim.tick();
    expect(sim.now()).toBe(frozen);
    sim.advance(MINUTE);
    expect(sim.now()).toBe(frozen + MINUTE);
    sim.setClock({ start: "2027-01-01T00:00:00Z" });
    expect(sim.clock.iso).toBe("2027-01-01T00:00:00.000Z");
  });

  it("moves a stepped clock by one step per API call, whatever the real time between calls", async () => {
    sim = await startSimulator({
      scenario: { ...webScenario(), clock: { mode: "stepped", stepMs: 15_000, start: 0 } },
    });
    expect(sim.clock).toMatchObject({ mode: "stepped", stepMs: 15_000, now: 0 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sim.now()).toBe(0);
    await deployWeb(sim, `${REGISTRY}/web:2`);
    expect(sim.calls.map((c) => [c.operation, c.at])).toEqual([
      ["RegisterTaskDefinition", 15_000],
      ["UpdateService", 30_000],
    ]);
    // Reading state and the control API are not calls: they do not move time.
    sim.ecs.service("web");
    await fetch(`${sim.endpoint}/_sim/clock`);
    expect(sim.now()).toBe(30_000);
    // A client that keeps polling sees the rollout through, one step per poll.
    let polls = 0;
    while ((await describeWeb(sim)).deployments?.length !== 1 && polls < 200) polls++;
    expect(polls).toBeGreaterThan(3);
    expect(sim.now()).toBe(30_000 + (polls + 1) * 15_000);
    expect((await describeWeb(sim)).taskDefinition).toMatch(/web:2$/);
  });

  it("runs a scripted event at its simulated time, and lists what is pending", async () => {
    sim = await startSimulator({ scenario: webScenario(), ticking: false });
    const s = sim;
    s.after(3 * MINUTE, "web:1 goes bad", () =>
      s.ecs.setImageBehaviour(`${REGISTRY}/web:1`, { kind: "unhealthy" }),
    );
    expect(s.pendingEvents().some((e) => e.label === "web:1 goes bad")).toBe(true);
    const start = s.now();
    const replaced = () =>
      s.ecs.tasks({ service: "web" }).some((t) => t.stopCode === "ServiceSchedulerInitiated");
    expect(s.runUntil(replaced, 30 * MINUTE)).toBe(true);
    expect(s.now() - start).toBeGreaterThan(3 * MINUTE);
  });
});

describe("faults", () => {
  it("copies and checks rules, and clears them", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const rule = { service: "ecs", operation: "DescribeServices", kind: "throttle" as const, count: 1 };
    sim.injectFault(rule);
    await describeWeb(sim, 3);
    expect(sim.calls.map((c) => c.fault ?? "ok")).toEqual(["throttle", "ok"]);
    expect(rule.count).toBe(1);
    expect(sim.faults).toEqual([{ ...rule, count: 0 }]);
    expect(() => sim?.injectFault({ kind: "throtle" } as never)).toThrow(/needs a kind/);
    expect(() => sim?.injectFault({ kind: "throttle", rate: 20 })).toThrow(/rate must be between 0 and 1/);
    sim.clearFaults();
    expect(sim.faults).toEqual([]);
  });
});

describe("overrides", () => {
  it("wrap one operation: change what the service answers, refuse some calls, then go away", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const remove = sim.override({
      service: "ecs",
      operation: "DescribeServices",
      handle: async ({ input, next, sim: s }) => {
        if ((input.services as string[]).includes("secret"))
          throw new SimError("AccessDeniedException", "no");
        const out = (await next()) as { services: Shape[] };
        // The override reads state through the same surface a test has.
        for (const service of out.services)
          service.desiredCount = (s.ecs.service("web").desiredCount ?? 0) + 100;
        return out;
      },
    });
    const { ecs } = simulatorClients(sim, 1);
    expect((await describeWeb(sim)).desiredCount).toBe(103);
    await expect(ecs.send(new DescribeServicesCommand({ services: ["secret"] }))).rejects.toMatchObject({
      name: "AccessDeniedException",
    });
    expect(sim.calls.at(-1)).toMatchObject({
      operation: "DescribeServices",
      status: 400,
      error: "AccessDeniedException",
    });
    // The truth is untouched.
    expect(sim.ecs.service("web").desiredCount).toBe(3);
    remove();
    expect((await describeWeb(sim)).desiredCount).toBe(3);
  });

  it("answer with a body that is not AWS's, as a proxy in front of an AWS-compatible endpoint would", async () => {
    sim = await startSimulator({
      scenario: webScenario(),
      overrides: [
        {
          service: "ecs",
          operation: "ListServiceDeployments",
          handle: () => new RawReply(500, "<html><body>502 Bad Gateway</body></html>"),
        },
      ],
    });
    const { ecs } = simulatorClients(sim, 1);
    await expect(ecs.send(new ListServiceDeploymentsCommand({ service: "web" }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 500 },
    });
    expect(sim.calls.at(-1)).toMatchObject({ operation: "ListServiceDeployments", status: 500 });
    // Other operations are not touched.
    await expect(registerWeb(sim, `${REGISTRY}/web:2`)).resolves.toMatch(/web:2$/);
  });

  it("see the call after the faults: an injected fault answers before any override runs", async () => {
    let overridden = 0;
    sim = await startSimulator({
      scenario: { ...webScenario(), faults: [{ service: "ecs", kind: "server-error", count: 1 }] },
      overrides: [
        {
          service: "ecs",
          operation: "DescribeServices",
          handle: ({ next }) => {
            overridden++;
            return next();
          },
        },
      ],
    });
    await describeWeb(sim, 2);
    expect(sim.calls.map((c) => c.fault ?? c.status)).toEqual(["server-error", 200]);
    expect(overridden).toBe(1);
  });
});

describe("control API", () => {
  it("counts calls and changes ECS timings over HTTP", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    await describeWeb(sim);
    await describeWeb(sim);
    const counts = await fetch(`${sim.endpoint}/_sim/calls/counts`).then((r) => r.json());
    expect(counts).toEqual({ DescribeServices: 2 });
    const timings = (await fetch(`${sim.endpoint}/_sim/ecs/timings`, {
      method: "POST",
      body: JSON.stringify({ schedulerDelayMs: 30_000 }),
    }).then((r) => r.json())) as { schedulerDelayMs: number };
    expect(timings.schedulerDelayMs).toBe(30_000);
    expect(sim.ecs.timings.schedulerDelayMs).toBe(30_000);
    const refused = await fetch(`${sim.endpoint}/_sim/ecs/timings`, {
      method: "POST",
      body: JSON.stringify({ nope: 1 }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: "ECS has no timing nope" });
  });
});

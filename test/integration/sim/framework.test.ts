// The simulator framework, driven only through the real SDK clients and the control API.
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterEach, describe, expect, it } from "vitest";
import { awsClientConfig } from "../../../packages/core/src/aws/clients";
import {
  builtInServices,
  type Shape,
  SimError,
  type SimRuntime,
  type SimService,
  type Simulator,
  simulatorEnv,
  startSimulator,
} from "../../sim/index";
import { STANDALONE_TIMEOUT_MS, startStandalone } from "./standalone";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function clientConfig(s: Simulator, maxAttempts = 3) {
  const env = simulatorEnv(s);
  return {
    ...awsClientConfig({ region: s.region, endpoint: s.endpoint, maxAttempts }),
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
    },
  };
}

/** A query-protocol service standing in for ELBv2, to test the XML wire format on its own. */
function fakeElb(runtime: SimRuntime): SimService {
  return {
    definition: {
      name: "fake-elb",
      signingName: "elasticloadbalancing",
      iamPrefix: "elasticloadbalancing",
      protocol: "query",
      queryVersion: "2015-12-01",
      xmlNamespace: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
    },
    reset() {},
    operations: {
      DescribeTargetHealth: (input: Shape) => {
        if (input.TargetGroupArn === "missing")
          throw new SimError("TargetGroupNotFound", "One or more target groups not found");
        const targets = (input.Targets as { Id: string; Port?: string }[] | undefined) ?? [
          { Id: "10.0.0.1", Port: "80" },
        ];
        return {
          TargetHealthDescriptions: targets.map((t, i) => ({
            Target: { Id: t.Id, Port: Number(t.Port ?? 80) },
            TargetHealth:
              i === 0 ? { State: "healthy" } : { State: "unhealthy", Reason: "Target.ResponseCodeMismatch" },
          })),
          seenAt: new Date(runtime.now()),
        };
      },
    },
  };
}

/** A JSON 1.0 service standing in for CloudWatch metrics. */
function fakeCloudWatch(runtime: SimRuntime): SimService {
  return {
    definition: {
      name: "fake-cloudwatch",
      signingName: "monitoring",
      iamPrefix: "cloudwatch",
      protocol: "json1.0",
      targetPrefix: "GraniteServiceVersion20100801",
    },
    reset() {},
    operations: {
      GetMetricData: (input: Shape) => ({
        MetricDataResults: ((input.MetricDataQueries as { Id: string }[]) ?? []).map((q) => ({
          Id: q.Id,
          Label: q.Id,
          Timestamps: [new Date(runtime.now())],
          Values: [42],
          StatusCode: "Complete",
        })),
        Messages: [],
      }),
    },
  };
}

describe("wire protocols through the real SDK clients", () => {
  it("serves CloudWatch Logs (JSON 1.1) with AWS token paging", async () => {
    sim = await startSimulator({ clock: { mode: "manual" } });
    const logs = sim.logs;
    logs.append("/ecs/web", "web/app/task1", ["booting", "listening on :8080"]);
    sim.advance(1_000);
    logs.append("/ecs/web", "web/app/task1", ["Error: cannot connect to db", "exit 1"]);
    const client = new CloudWatchLogsClient(clientConfig(sim));

    const tail = await client.send(
      new GetLogEventsCommand({ logGroupName: "/ecs/web", logStreamName: "web/app/task1", limit: 2 }),
    );
    expect(tail.events?.map((e) => e.message)).toEqual(["Error: cannot connect to db", "exit 1"]);

    const head = await client.send(
      new GetLogEventsCommand({
        logGroupName: "/ecs/web",
        logStreamName: "web/app/task1",
        startFromHead: true,
        limit: 3,
      }),
    );
    expect(head.events).toHaveLength(3);
    const rest = await client.send(
      new GetLogEventsCommand({
        logGroupName: "/ecs/web",
        logStreamName: "web/app/task1",
        nextToken: head.nextForwardToken,
      }),
    );
    expect(rest.events?.map((e) => e.message)).toEqual(["exit 1"]);
    const end = await client.send(
      new GetLogEventsCommand({
        logGroupName: "/ecs/web",
        logStreamName: "web/app/task1",
        nextToken: rest.nextForwardToken,
      }),
    );
    expect(end.events).toEqual([]);
    expect(end.nextForwardToken).toBe(rest.nextForwardToken);

    const filtered = await client.send(
      new FilterLogEventsCommand({ logGroupName: "/ecs/web", filterPattern: "Error" }),
    );
    expect(filtered.events?.map((e) => [e.logStreamName, e.message])).toEqual([
      ["web/app/task1", "Error: cannot connect to db"],
    ]);

    await expect(
      client.send(new GetLogEventsCommand({ logGroupName: "/ecs/none", logStreamName: "x" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("serves the query protocol (form-encoded request, XML response, XML errors)", async () => {
    sim = await startSimulator({ services: [...builtInServices, fakeElb] });
    const elb = new ElasticLoadBalancingV2Client(clientConfig(sim));
    const out = await elb.send(
      new DescribeTargetHealthCommand({
        TargetGroupArn: "arn:tg",
        Targets: [
          { Id: "10.0.0.1", Port: 8080 },
          { Id: "10.0.0.2", Port: 8080 },
        ],
      }),
    );
    expect(out.TargetHealthDescriptions).toEqual([
      { Target: { Id: "10.0.0.1", Port: 8080 }, TargetHealth: { State: "healthy" } },
      {
        Target: { Id: "10.0.0.2", Port: 8080 },
        TargetHealth: { State: "unhealthy", Reason: "Target.ResponseCodeMismatch" },
      },
    ]);
    await expect(
      elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: "missing" })),
    ).rejects.toMatchObject({
      name: "TargetGroupNotFoundException",
    });
    expect(sim.calls.at(-1)).toMatchObject({
      iamAction: "elasticloadbalancing:DescribeTargetHealth",
      error: "TargetGroupNotFound",
    });
  });

  it("serves JSON 1.0 (CloudWatch) with epoch-second timestamps", async () => {
    sim = await startSimulator({
      services: [...builtInServices, fakeCloudWatch],
      clock: { mode: "manual", start: Date.UTC(2026, 5, 1) },
    });
    const cw = new CloudWatchClient(clientConfig(sim));
    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(Date.UTC(2026, 4, 31)),
        EndTime: new Date(Date.UTC(2026, 5, 1)),
        MetricDataQueries: [{ Id: "errors", Expression: "SUM(x)" }],
      }),
    );
    expect(out.MetricDataResults?.[0]).toMatchObject({ Id: "errors", Values: [42], StatusCode: "Complete" });
    expect(out.MetricDataResults?.[0]?.Timestamps?.[0]?.toISOString()).toBe("2026-06-01T00:00:00.000Z");
    expect(sim.calls.at(-1)?.input.StartTime).toBe(Date.UTC(2026, 4, 31) / 1000);
  });
});

describe("faults", () => {
  it("throttling at a rate is absorbed by the SDK's retries, and logged", async () => {
    sim = await startSimulator({
      scenario: { seed: 7, faults: [{ service: "logs", kind: "throttle", count: 2 }] },
    });
    sim.logs.append("/g", "s", ["a"]);
    const client = new CloudWatchLogsClient(clientConfig(sim, 5));
    const out = await client.send(new GetLogEventsCommand({ logGroupName: "/g", logStreamName: "s" }));
    expect(out.events).toHaveLength(1);
    expect(sim.calls.map((c) => c.fault ?? "ok")).toEqual(["throttle", "throttle", "ok"]);
  });

  it("a server error beyond the attempts reaches the caller as ServiceUnavailable", async () => {
    sim = await startSimulator({ scenario: { faults: [{ service: "logs", kind: "server-error" }] } });
    const client = new CloudWatchLogsClient(clientConfig(sim, 2));
    await expect(
      client.send(new GetLogEventsCommand({ logGroupName: "/g", logStreamName: "s" })),
    ).rejects.toMatchObject({
      name: "ServiceUnavailableException",
    });
    expect(sim.calls).toHaveLength(2);
  });

  it("a denied call fails at once with IAM's error naming the action, on JSON and query protocols", async () => {
    sim = await startSimulator({
      scenario: {
        faults: [
          { service: "cloudwatch", operation: "GetMetricData", kind: "access-denied" },
          { service: "elbv2", kind: "access-denied" },
        ],
      },
    });
    const cloudwatch = new CloudWatchClient(clientConfig(sim, 5));
    await expect(
      cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(0),
          EndTime: new Date(60_000),
          MetricDataQueries: [{ Id: "errors", Expression: "SUM(x)" }],
        }),
      ),
    ).rejects.toMatchObject({
      name: "AccessDeniedException",
      message: expect.stringContaining("not authorized to perform: cloudwatch:GetMetricData"),
    });
    const elb = new ElasticLoadBalancingV2Client(clientConfig(sim, 5));
    await expect(
      elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: "arn:x" })),
    ).rejects.toMatchObject({
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    // Not retried: one call each, both logged with the fault.
    expect(sim.calls.map((c) => `${c.iamAction} ${c.fault ?? "ok"}`)).toEqual([
      "cloudwatch:GetMetricData access-denied",
      "elasticloadbalancing:DescribeTargetHealth access-denied",
    ]);
  });

  it("a dropped connection is retried by the SDK", async () => {
    sim = await startSimulator({ scenario: { faults: [{ kind: "drop", count: 1 }] } });
    sim.logs.append("/g", "s", ["a"]);
    const client = new CloudWatchLogsClient(clientConfig(sim));
    const out = await client.send(new GetLogEventsCommand({ logGroupName: "/g", logStreamName: "s" }));
    expect(out.events).toHaveLength(1);
    expect(sim.calls.map((c) => c.fault ?? "ok")).toEqual(["drop", "ok"]);
  });

  it("adds latency in real time", async () => {
    sim = await startSimulator({ scenario: { faults: [{ kind: "latency", latencyMs: 300 }] } });
    sim.logs.append("/g", "s", ["a"]);
    const client = new CloudWatchLogsClient(clientConfig(sim));
    const started = Date.now();
    await client.send(new GetLogEventsCommand({ logGroupName: "/g", logStreamName: "s" }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("answers an operation it does not implement with an explicit error", async () => {
    sim = await startSimulator();
    const client = new CloudWatchLogsClient(clientConfig(sim, 1));
    await expect(client.send(new FilterLogEventsCommand({ logGroupName: "/none" }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    const raw = await fetch(sim.endpoint, {
      method: "POST",
      headers: {
        "x-amz-target": "Logs_20140328.DeleteEverything",
        "content-type": "application/x-amz-json-1.1",
      },
      body: "{}",
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ __type: "UnknownOperationException" });
  });
});

describe("time", () => {
  it("jumps from event to event until a condition holds", async () => {
    sim = await startSimulator({ clock: { mode: "manual", start: 0 }, ticking: false });
    let done = false;
    sim.after(5 * 60_000, "rollout completes", () => {
      done = true;
    });
    expect(sim.runUntil(() => done, 10 * 60_000)).toBe(true);
    expect(sim.now()).toBe(5 * 60_000);
  });
});

describe("control API", () => {
  it("loads a scenario, advances the clock, reads the call log and injects faults over HTTP", async () => {
    sim = await startSimulator();
    const post = (path: string, body: unknown) =>
      fetch(`${sim?.endpoint}/_sim/${path}`, { method: "POST", body: JSON.stringify(body) }).then((r) =>
        r.json(),
      );
    await post("scenario", {
      clock: { mode: "manual", start: "2026-03-01T00:00:00Z" },
      logs: {
        groups: [{ name: "/migrate", streams: [{ name: "migrate/app/t1", lines: ["applied 3 files"] }] }],
      },
    });
    const clock = (await post("clock", { advanceMs: 90_000 })) as { now: number };
    expect(clock.now).toBe(Date.parse("2026-03-01T00:01:30Z"));
    await post("faults", { service: "logs", operation: "GetLogEvents", kind: "throttle", count: 1 });

    const client = new CloudWatchLogsClient(clientConfig(sim));
    const out = await client.send(
      new GetLogEventsCommand({ logGroupName: "/migrate", logStreamName: "migrate/app/t1" }),
    );
    expect(out.events?.[0]?.message).toBe("applied 3 files");

    const calls = (await fetch(`${sim.endpoint}/_sim/calls?operation=GetLogEvents`).then((r) =>
      r.json(),
    )) as { fault?: string }[];
    expect(calls.map((c) => c.fault ?? "ok")).toEqual(["throttle", "ok"]);
    const state = (await fetch(`${sim.endpoint}/_sim/state`).then((r) => r.json())) as { logs: unknown };
    expect(state.logs).toEqual([{ name: "/migrate", streams: [{ name: "migrate/app/t1", events: 1 }] }]);
  });

  it(
    "runs standalone with `npm run sim`, printing its endpoint",
    async () => {
      const standalone = await startStandalone(["--port", "0", "--manual"]);
      const { endpoint } = standalone;
      try {
        const health = (await fetch(`${endpoint}/_sim/health`).then((r) => r.json())) as {
          ok: boolean;
          services: string[];
          checksModels: boolean;
        };
        expect(health.ok).toBe(true);
        expect(health.services).toContain("logs");
        // Started by a test, it checks its answers against the SDK's model; stop() collects the drifts.
        expect(health.checksModels).toBe(true);
        expect(await fetch(`${endpoint}/_sim/model-drifts`).then((r) => r.json())).toEqual([]);
      } finally {
        await standalone.stop();
      }
    },
    STANDALONE_TIMEOUT_MS,
  );
});

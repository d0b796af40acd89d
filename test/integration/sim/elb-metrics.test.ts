// ELBv2 target health and CloudWatch ALB metrics following the ECS simulator's revisions.
import {
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import { RegisterTaskDefinitionCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import {
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  TargetGroupNotFoundException,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterEach, describe, expect, it } from "vitest";
import { type Scenario, type Simulator, startSimulator } from "../../sim/index";
import { ipOf, simulatorClients } from "./clients";
import { REGISTRY, TG, webScenario, webTaskDefinition } from "./web-scenario";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const START = Date.parse("2026-03-02T09:00:00Z");
const MINUTE = 60_000;

function metricsScenario(): Scenario {
  return {
    ...webScenario(),
    cloudwatch: {
      loadBalancers: { "web-alb": { requestsPerSecond: 20 } },
      revisions: {
        "web:1": { errorRate: 0.001, p95Ms: 150 },
        "web:2": { errorRate: 0.08, p95Ms: 2400 },
      },
    },
  };
}

async function deployWeb2(s: Simulator): Promise<void> {
  const { ecs } = simulatorClients(s);
  await ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition(`${REGISTRY}/web:2`) as never));
  await ecs.send(new UpdateServiceCommand({ cluster: "default", service: "web", taskDefinition: "web:2" }));
}

async function lbDimension(s: Simulator): Promise<string> {
  const { elb } = simulatorClients(s);
  const out = await elb.send(new DescribeLoadBalancersCommand({ Names: ["web-alb"] }));
  return out.LoadBalancers?.[0]?.LoadBalancerArn?.split(":loadbalancer/")[1] ?? "";
}

const albQuery = (
  id: string,
  metric: string,
  stat: string,
  dimensions: { Name: string; Value: string }[],
): MetricDataQuery => ({
  Id: id,
  MetricStat: {
    Metric: { Namespace: "AWS/ApplicationELB", MetricName: metric, Dimensions: dimensions },
    Period: 60,
    Stat: stat,
  },
});

describe("ELBv2 target health", () => {
  it("follows the tasks of each revision: initial, healthy, draining, then gone", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const { elb } = simulatorClients(sim);
    const states = async () =>
      (
        (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: TG }))).TargetHealthDescriptions ??
        []
      )
        .map((d) => d.TargetHealth?.State ?? "")
        .sort();
    expect(await states()).toEqual(["healthy", "healthy", "healthy"]);
    await deployWeb2(sim);
    const s = sim;
    const deployments = () => s.ecs.service("web").deployments ?? [];
    // The tasks of the PRIMARY deployment (the one rolling out), and the state of their targets.
    const newTasks = () =>
      s.ecs.tasks({ service: "web" }).filter((t) => t.startedBy === deployments()[0]?.id);
    const targetsOf = (tasks: ReturnType<typeof newTasks>) => {
      const arns = tasks.map((t) => t.taskArn);
      return s.elbv2.targets(TG).filter((t) => arns.includes(t.taskArn));
    };

    expect(sim.runUntil(() => targetsOf(newTasks()).length > 0, 10 * MINUTE)).toBe(true);
    const registering = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: TG }));
    const initial =
      registering.TargetHealthDescriptions?.filter((d) => d.TargetHealth?.State === "initial") ?? [];
    expect(initial).toHaveLength(3);
    expect(initial[0]?.TargetHealth).toEqual({
      State: "initial",
      Reason: "Elb.RegistrationInProgress",
      Description: "Target registration is in progress",
    });
    expect(initial.map((d) => d.Target?.Port)).toEqual([8080, 8080, 8080]);
    expect(initial.map((d) => d.Target?.Id)).toEqual(newTasks().map(ipOf));

    const allHealthy = () => {
      const tasks = newTasks();
      const targets = targetsOf(tasks);
      return targets.length === tasks.length && targets.every((t) => t.state === "healthy");
    };
    expect(sim.runUntil(allHealthy, 10 * MINUTE)).toBe(true);
    const oldDraining = () => {
      const fresh = newTasks().map((t) => t.taskArn);
      return s.elbv2.targets(TG).some((t) => t.state === "draining" && !fresh.includes(t.taskArn));
    };
    expect(sim.runUntil(oldDraining, MINUTE)).toBe(true);
    sim.advance(1_000);
    expect(await states()).toEqual(["draining", "draining", "draining", "healthy", "healthy", "healthy"]);
    expect(sim.runUntil(() => deployments().length === 1, 10 * MINUTE)).toBe(true);
    const after = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: TG }));
    expect(after.TargetHealthDescriptions?.map((d) => d.Target?.Id).sort()).toEqual(
      newTasks().map(ipOf).sort(),
    );

    const asked = await elb.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: TG, Targets: [{ Id: "10.9.9.9", Port: 8080 }] }),
    );
    expect(asked.TargetHealthDescriptions?.[0]?.TargetHealth).toEqual({
      State: "unused",
      Reason: "Target.NotRegistered",
      Description: "Target is not registered to the target group",
    });
    await expect(
      elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: `${TG.slice(0, -4)}beef` })),
    ).rejects.toBeInstanceOf(TargetGroupNotFoundException);
  });

  it("describes target groups and load balancers from the scenario", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const { elb } = simulatorClients(sim);
    const groups = await elb.send(new DescribeTargetGroupsCommand({ Names: ["web"] }));
    expect(groups.TargetGroups?.[0]).toMatchObject({
      TargetGroupArn: TG,
      TargetGroupName: "web",
      Port: 8080,
      HealthCheckPath: "/health",
      HealthCheckIntervalSeconds: 10,
      HealthyThresholdCount: 2,
      TargetType: "ip",
    });
    const lbs = await elb.send(new DescribeLoadBalancersCommand({}));
    expect(lbs.LoadBalancers?.[0]?.LoadBalancerArn).toBe(groups.TargetGroups?.[0]?.LoadBalancerArns?.[0]);
    expect(lbs.LoadBalancers?.[0]).toMatchObject({
      LoadBalancerName: "web-alb",
      Type: "application",
      State: { Code: "active" },
    });
  });
});

describe("CloudWatch ALB metrics", () => {
  it("weights each period's requests, 5xx and p95 by the revisions serving in it", async () => {
    sim = await startSimulator({ scenario: metricsScenario() });
    const { cloudwatch } = simulatorClients(sim);
    const lb = await lbDimension(sim);
    sim.advance(10 * MINUTE);
    await deployWeb2(sim);
    const s = sim;
    expect(sim.runUntil(() => s.ecs.service("web").deployments?.length === 1, 30 * MINUTE)).toBe(true);
    sim.advance(25 * MINUTE);

    const dims = [{ Name: "LoadBalancer", Value: lb }];
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(START),
        EndTime: new Date(START + 40 * MINUTE),
        MetricDataQueries: [
          albQuery("requests", "RequestCount", "Sum", dims),
          albQuery("errors", "HTTPCode_Target_5XX_Count", "Sum", dims),
          albQuery("p95", "TargetResponseTime", "p95", dims),
          { Id: "rate", Expression: "100 * errors / requests", Label: "5xx %" },
        ],
      }),
    );
    const [requests, errors, p95, rate] = out.MetricDataResults ?? [];
    const at = (result: typeof requests, minute: number) => {
      const index = result?.Timestamps?.findIndex((t) => t.getTime() === START + minute * MINUTE) ?? -1;
      return index >= 0 ? result?.Values?.[index] : undefined;
    };
    // Newest first, on minute boundaries, nothing after now.
    const stamps = requests?.Timestamps?.map((t) => t.getTime()) ?? [];
    expect(stamps[0]).toBeLessThan(sim.now());
    expect(stamps).toEqual([...stamps].sort((a, b) => b - a));
    expect(stamps.every((t) => t % MINUTE === 0)).toBe(true);
    expect(requests?.Label).toBe("RequestCount");
    expect(rate?.Label).toBe("5xx %");

    // Before the deployment only web:1 serves; after it only web:2.
    expect(at(requests, 2)).toBe(1200);
    expect(at(errors, 2)).toBe(1);
    expect(at(p95, 2)).toBeCloseTo(0.15, 6);
    expect(at(requests, 34)).toBe(1200);
    expect(at(errors, 34)).toBe(96);
    expect(at(p95, 34)).toBeCloseTo(2.4, 6);
    expect(at(rate, 34)).toBeCloseTo(8, 6);
    // While both serve, the mix lies between them.
    const mixed = p95?.Timestamps?.map((t, i) => [t.getTime(), p95.Values?.[i] ?? 0] as const).filter(
      ([, v]) => v > 0.16 && v < 2.39,
    );
    expect(mixed?.length).toBeGreaterThan(0);

    const byGroup = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(START),
        EndTime: new Date(START + 40 * MINUTE),
        MetricDataQueries: [
          albQuery("tg", "RequestCount", "Sum", [
            { Name: "TargetGroup", Value: TG.split(":").at(-1) ?? "" },
            { Name: "LoadBalancer", Value: lb },
          ]),
          albQuery("healthy", "HealthyHostCount", "Minimum", [
            { Name: "TargetGroup", Value: TG.split(":").at(-1) ?? "" },
            { Name: "LoadBalancer", Value: lb },
          ]),
          albQuery("typo", "RequestCount", "Sum", [{ Name: "LoadBalancer", Value: "app/nope/0" }]),
        ],
      }),
    );
    const [tg, healthy, typo] = byGroup.MetricDataResults ?? [];
    expect(at(tg, 2)).toBe(1200);
    expect(at(healthy, 2)).toBe(3);
    expect(typo?.Values).toEqual([]);
    expect(typo?.StatusCode).toBe("Complete");
  });

  it("takes a profile change from the control API from that moment on", async () => {
    sim = await startSimulator({ scenario: metricsScenario() });
    const { cloudwatch } = simulatorClients(sim);
    const lb = await lbDimension(sim);
    sim.advance(5 * MINUTE);
    await fetch(`${sim.endpoint}/_sim/cloudwatch/profile`, {
      method: "POST",
      body: JSON.stringify({ revision: "web:1", errorRate: 0.5 }),
    });
    sim.advance(5 * MINUTE);
    const out = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/ApplicationELB",
        MetricName: "HTTPCode_Target_5XX_Count",
        Dimensions: [{ Name: "LoadBalancer", Value: lb }],
        StartTime: new Date(START),
        EndTime: new Date(START + 10 * MINUTE),
        Period: 60,
        Statistics: ["Sum"],
      }),
    );
    const sums = out.Datapoints?.map((d) => [(d.Timestamp?.getTime() ?? 0) - START, d.Sum]);
    expect(sums).toEqual([
      [0, 1],
      [MINUTE, 1],
      [2 * MINUTE, 1],
      [3 * MINUTE, 1],
      [4 * MINUTE, 1],
      [5 * MINUTE, 600],
      [6 * MINUTE, 600],
      [7 * MINUTE, 600],
      [8 * MINUTE, 600],
      [9 * MINUTE, 600],
    ]);
  });

  it("rejects query ids AWS rejects", async () => {
    sim = await startSimulator({ scenario: metricsScenario() });
    const { cloudwatch } = simulatorClients(sim);
    await expect(
      cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(START),
          EndTime: new Date(START + MINUTE),
          MetricDataQueries: [albQuery("Bad-Id", "RequestCount", "Sum", [])],
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValueException" });
  });
});

// CloudWatch ALB metrics and ELBv2 target health, against SDK-level mocks.
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  TargetGroupNotFoundException,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { describeNamedAlarms } from "../../../../packages/core/src/health/alarms";
import {
  albMetricsSource,
  applicationLoadBalancerDimension,
  loadBalancerDimension,
  MetricDataRefused,
  readAlbFigures,
  targetGroupDimension,
} from "../../../../packages/core/src/health/cloudwatch";
import {
  classifyRound,
  describeRound,
  elbTargetHealthReader,
  type TargetHealthRound,
} from "../../../../packages/core/src/health/target-health";
import { UserError } from "../../../../packages/core/src/runtime/errors";

const TG_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef";
const LB_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188";
const region = {
  region: "eu-west-1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
};

describe("dimensions", () => {
  it("takes a load balancer ARN or its dimension value", () => {
    expect(loadBalancerDimension(LB_ARN)).toBe("app/shop/50dc6c495c0c9188");
    expect(loadBalancerDimension("app/shop/50dc6c495c0c9188")).toBe("app/shop/50dc6c495c0c9188");
    expect(() => loadBalancerDimension("shop")).toThrow(/neither an Application Load Balancer ARN/);
    expect(() => loadBalancerDimension(LB_ARN.replace("/app/", "/net/"))).toThrow();
  });

  it("has an ALB dimension only for an Application Load Balancer, without throwing for the others", () => {
    expect(applicationLoadBalancerDimension(LB_ARN)).toBe("app/shop/50dc6c495c0c9188");
    expect(applicationLoadBalancerDimension(LB_ARN.replace("/app/", "/net/"))).toBeUndefined();
    expect(applicationLoadBalancerDimension(LB_ARN.replace("/app/", "/gwy/"))).toBeUndefined();
  });

  it("derives the TargetGroup dimension from the ARN", () => {
    expect(targetGroupDimension(TG_ARN)).toBe("targetgroup/web/0123456789abcdef");
  });
});

describe("albMetricsSource", () => {
  const cloudwatch = mockClient(CloudWatchClient);
  beforeEach(() => cloudwatch.reset());
  const config = {
    loadBalancer: "app/shop/50dc6c495c0c9188",
    targetGroup: "targetgroup/web/0123456789abcdef",
    errorRateThreshold: 0.05,
    latencyP95ThresholdSeconds: 2,
  };
  const start = Date.UTC(2026, 0, 1, 10, 0, 30);

  it("asks for the ALB metrics of the soak window in whole minutes, scoped to the target group", async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: "requests", Values: [600, 620], StatusCode: "Complete" },
        { Id: "errors", Values: [30, 92], StatusCode: "Complete" },
        { Id: "p95", Values: [0.21, 0.35], StatusCode: "Complete" },
      ],
    });
    const source = albMetricsSource(config, { cloudwatch: new CloudWatchClient(region) });
    const [errorRate, latency] = await source.read({ startMs: start, endMs: start + 75_000 });
    expect(errorRate).toMatchObject({ check: "error rate (ALB)", value: 0.1, requests: 1220 });
    expect(errorRate?.detail).toBe("122 of 1220 requests answered 5xx by targets");
    expect(latency).toMatchObject({ check: "p95 latency (ALB)", value: 0.35, requests: 1220 });

    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(input?.StartTime).toEqual(new Date(Date.UTC(2026, 0, 1, 10, 0, 0)));
    expect(input?.EndTime).toEqual(new Date(Date.UTC(2026, 0, 1, 10, 2, 0)));
    expect(
      input?.MetricDataQueries?.map((q) => [q.Id, q.MetricStat?.Metric?.MetricName, q.MetricStat?.Stat]),
    ).toEqual([
      ["requests", "RequestCount", "Sum"],
      ["errors", "HTTPCode_Target_5XX_Count", "Sum"],
      ["p95", "TargetResponseTime", "p95"],
    ]);
    expect(input?.MetricDataQueries?.[0]?.MetricStat?.Metric).toEqual({
      Namespace: "AWS/ApplicationELB",
      MetricName: "RequestCount",
      Dimensions: [
        { Name: "LoadBalancer", Value: "app/shop/50dc6c495c0c9188" },
        { Name: "TargetGroup", Value: "targetgroup/web/0123456789abcdef" },
      ],
    });
  });

  it("follows NextToken and treats a missing 5XX series as zero errors", async () => {
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: "requests", Values: [100] }], NextToken: "page-2" })
      .resolvesOnce({
        MetricDataResults: [
          { Id: "requests", Values: [50] },
          { Id: "p95", Values: [0.1] },
        ],
      });
    const source = albMetricsSource(config, { cloudwatch: new CloudWatchClient(region) });
    const [errorRate, latency] = await source.read({ startMs: start, endMs: start + 60_000 });
    expect(errorRate).toMatchObject({ value: 0, requests: 150 });
    expect(latency?.value).toBe(0.1);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[1]?.args[0].input.NextToken).toBe("page-2");
  });

  it("has no value without traffic", async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "requests", Values: [] }] });
    const source = albMetricsSource(config, { cloudwatch: new CloudWatchClient(region) });
    const [errorRate, latency] = await source.read({ startMs: start, endMs: start + 60_000 });
    expect(errorRate).toMatchObject({ value: null, requests: 0 });
    expect(latency).toMatchObject({ value: null, requests: 0 });
  });

  it("turns a failed call or a Forbidden result into a reading error, not a verdict on the service", async () => {
    cloudwatch.on(GetMetricDataCommand).rejects(new Error("connect ETIMEDOUT"));
    const source = albMetricsSource(config, { cloudwatch: new CloudWatchClient(region) });
    const readings = await source.read({ startMs: start, endMs: start + 60_000 });
    expect(readings.map((r) => r.error)).toEqual([
      "GetMetricData failed: connect ETIMEDOUT",
      "GetMetricData failed: connect ETIMEDOUT",
    ]);

    cloudwatch.reset();
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: "requests", StatusCode: "Forbidden", Messages: [{ Code: "Forbidden", Value: "no access" }] },
      ],
    });
    const [refused] = await source.read({ startMs: start, endMs: start + 60_000 });
    expect(refused?.error).toBe("GetMetricData answered Forbidden for requests: no access");
  });

  it.each(["AccessDeniedException", "ExpiredTokenException", "UnrecognizedClientException"])(
    "lets %s through: it will not heal while the gate waits",
    async (name) => {
      const denied = Object.assign(new Error("not authorized to perform: cloudwatch:GetMetricData"), {
        name,
      });
      cloudwatch.on(GetMetricDataCommand).rejects(denied);
      const source = albMetricsSource(config, { cloudwatch: new CloudWatchClient(region) });
      await expect(source.read({ startMs: start, endMs: start + 60_000 })).rejects.toMatchObject({ name });
    },
  );
});

describe("readAlbFigures (shared by the health gate and the step judge)", () => {
  const cloudwatch = mockClient(CloudWatchClient);
  beforeEach(() => cloudwatch.reset());
  const scope = {
    loadBalancer: "app/shop/50dc6c495c0c9188",
    targetGroup: "targetgroup/web/0123456789abcdef",
  };
  const window = { startMs: Date.UTC(2026, 0, 1, 10, 0, 0), endMs: Date.UTC(2026, 0, 1, 10, 3, 0) };

  it("sums every page by the Id asked for, and ignores a result for a query it never sent", async () => {
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: "requests", Values: [100], StatusCode: "PartialData" },
          { Id: "p95", Values: [0.4], StatusCode: "PartialData" },
          // Not asked for, so neither its figure nor its refusal is this read's.
          { Id: "someone-elses", Values: [1e6], StatusCode: "Forbidden" },
        ],
        NextToken: "page-2",
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: "requests", Values: [50], StatusCode: "Complete" },
          { Id: "errors", Values: [3], StatusCode: "Complete" },
          { Id: "p95", Values: [0.9], StatusCode: "Complete" },
        ],
      });
    const figures = await readAlbFigures(new CloudWatchClient(region), scope, window);
    expect(figures).toEqual({ requests: 150, errors: 3, p95Seconds: 0.9, p95Periods: 2, partial: true });
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[1]?.args[0].input.NextToken).toBe("page-2");
  });

  it("throws MetricDataRefused for a Forbidden query instead of counting nothing as zero", async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: "requests", StatusCode: "Forbidden", Messages: [{ Code: "Forbidden", Value: "denied" }] },
      ],
    });
    await expect(readAlbFigures(new CloudWatchClient(region), scope, window)).rejects.toBeInstanceOf(
      MetricDataRefused,
    );
  });
});

describe("describeNamedAlarms", () => {
  const cloudwatch = mockClient(CloudWatchClient);
  beforeEach(() => cloudwatch.reset());

  it("reads metric and composite alarms over every page, keeping only the names asked for", async () => {
    const alarm = (name: string, state: string) => ({ AlarmName: name, StateValue: state as "OK" });
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({
        MetricAlarms: [alarm("web-5xx", "ALARM"), alarm("not-asked", "ALARM")],
        NextToken: "t",
      })
      .resolvesOnce({ CompositeAlarms: [alarm("web-slo", "OK")] });
    const found = await describeNamedAlarms(
      new CloudWatchClient(region),
      ["web-5xx", "web-slo", "web-gone"],
      ["MetricAlarm", "CompositeAlarm"],
    );
    expect([...found.keys()].sort()).toEqual(["web-5xx", "web-slo"]);
    expect(found.get("web-5xx")?.state).toBe("ALARM");
    const calls = cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(calls[0]?.AlarmTypes).toEqual(["MetricAlarm", "CompositeAlarm"]);
    expect(calls[1]?.NextToken).toBe("t");
  });
});

describe("elbTargetHealthReader", () => {
  const elbv2 = mockClient(ElasticLoadBalancingV2Client);
  beforeEach(() => elbv2.reset());
  const clock = { now: () => 1_000 };

  it("reads every target's state and reason", async () => {
    elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: TG_ARN }).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: "10.0.1.7", Port: 8080 }, TargetHealth: { State: "healthy" } },
        {
          Target: { Id: "10.0.2.9", Port: 8080 },
          TargetHealth: {
            State: "draining",
            Reason: "Target.DeregistrationInProgress",
            Description: "Target deregistration is in progress",
          },
        },
      ],
    });
    const round = await elbTargetHealthReader(new ElasticLoadBalancingV2Client(region), clock)(TG_ARN);
    expect(round).toEqual({
      targetGroupArn: TG_ARN,
      at: 1_000,
      targets: [
        { target: "10.0.1.7:8080", state: "healthy" },
        {
          target: "10.0.2.9:8080",
          state: "draining",
          reason: "Target.DeregistrationInProgress",
          description: "Target deregistration is in progress",
        },
      ],
    });
    expect(classifyRound(round)).toBe("settling");
    expect(describeRound(round)).toBe("1 healthy, 1 draining");
  });

  it("refuses a target group that does not exist, as the user's to fix", async () => {
    elbv2
      .on(DescribeTargetHealthCommand)
      .rejects(
        new TargetGroupNotFoundException({ message: "One or more target groups not found", $metadata: {} }),
      );
    const read = elbTargetHealthReader(new ElasticLoadBalancingV2Client(region), clock);
    await expect(read(TG_ARN)).rejects.toThrow(UserError);
    await expect(read(TG_ARN)).rejects.toThrow(/Target group .* was not found/);
  });

  it("names the input the target groups came from only when the caller gave one", async () => {
    elbv2
      .on(DescribeTargetHealthCommand)
      .rejects(
        new TargetGroupNotFoundException({ message: "One or more target groups not found", $metadata: {} }),
      );
    const client = new ElasticLoadBalancingV2Client(region);
    const fromInput = await elbTargetHealthReader(client, clock, "target-group-arns")(TG_ARN).catch((e) => e);
    expect((fromInput as UserError).input).toBe("target-group-arns");
    // Read off a service or a deployment group: no input of the step holds the ARN.
    const fromService = await elbTargetHealthReader(client, clock)(TG_ARN).catch((e) => e);
    expect(fromService).toBeInstanceOf(UserError);
    expect((fromService as UserError).input).toBeUndefined();
  });

  it("reports other failures as an unknown round", async () => {
    elbv2.on(DescribeTargetHealthCommand).rejects(new Error("Rate exceeded"));
    const round = await elbTargetHealthReader(new ElasticLoadBalancingV2Client(region), clock)(TG_ARN);
    expect(round).toMatchObject({ targets: [], error: "Rate exceeded" });
    expect(classifyRound(round)).toBe("unknown");
  });
});

describe("classifyRound", () => {
  const round = (...states: string[]): TargetHealthRound => ({
    targetGroupArn: TG_ARN,
    at: 0,
    targets: states.map((state, i) => ({ target: `10.0.0.${i}:80`, state })),
  });

  it.each([
    [["healthy", "healthy"], "healthy"],
    [["healthy", "initial"], "settling"],
    [["healthy", "unhealthy.draining"], "settling"],
    [["healthy", "unhealthy"], "unhealthy"],
    [["initial", "unused"], "unhealthy"],
    [["unavailable"], "unhealthy"],
    [[], "unhealthy"],
  ])("%j is %s", (states, health) => {
    expect(classifyRound(round(...states))).toBe(health);
  });
});

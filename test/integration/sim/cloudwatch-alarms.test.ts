// CloudWatch metric alarms in the simulator through the real SDK client (every answer checked against
// the SDK's model): created, listed by name and prefix with paging, evaluated from the simulated ALB
// metrics over their periods, set by hand until the next evaluation, and deleted.
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../sim/index";
import { simulatorClients } from "./clients";
import { webScenario } from "./web-scenario";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const START = Date.parse("2026-03-02T09:00:00Z");
const MINUTE = 60_000;

async function start(): Promise<Simulator> {
  sim = await startSimulator({
    scenario: {
      ...webScenario(),
      clock: { mode: "manual", start: START },
      cloudwatch: {
        loadBalancers: { "web-alb": { requestsPerSecond: 20 } },
        revisions: { "web:1": { errorRate: 0.001, p95Ms: 150 } },
      },
    },
  });
  return sim;
}

async function alarm(s: Simulator, input: Partial<PutMetricAlarmCommandInput> = {}): Promise<void> {
  const { elb, cloudwatch } = simulatorClients(s);
  const out = await elb.send(new DescribeLoadBalancersCommand({ Names: ["web-alb"] }));
  const dimension = out.LoadBalancers?.[0]?.LoadBalancerArn?.split(":loadbalancer/")[1] ?? "";
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: "web-5xx",
      Namespace: "AWS/ApplicationELB",
      MetricName: "HTTPCode_Target_5XX_Count",
      Dimensions: [{ Name: "LoadBalancer", Value: dimension }],
      Statistic: "Sum",
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 60,
      ComparisonOperator: "GreaterThanThreshold",
      TreatMissingData: "notBreaching",
      ...input,
    }),
  );
}

async function describe1(s: Simulator, input: DescribeAlarmsCommandInput = { AlarmNames: ["web-5xx"] }) {
  const out = await simulatorClients(s).cloudwatch.send(new DescribeAlarmsCommand(input));
  return out.MetricAlarms?.[0];
}

describe("simulated CloudWatch alarms", () => {
  it("evaluates a new alarm OK from healthy metrics, and INSUFFICIENT_DATA without any", async () => {
    const s = await start();
    await alarm(s);
    await alarm(s, {
      AlarmName: "elsewhere",
      Dimensions: [{ Name: "LoadBalancer", Value: "app/other/1" }],
      TreatMissingData: "missing",
    });
    expect((await describe1(s, { AlarmNames: ["elsewhere"] }))?.StateValue).toBe("INSUFFICIENT_DATA");
    s.advance(4 * MINUTE);
    const evaluated = await describe1(s);
    expect(evaluated?.StateValue).toBe("OK");
    expect(evaluated?.StateReason).toMatch(/^Threshold Crossed: 0 out of the last 3 datapoints/);
    expect(evaluated?.DatapointsToAlarm).toBe(2);
    expect(evaluated?.StateUpdatedTimestamp).toBeInstanceOf(Date);
  });

  it("goes to ALARM when DatapointsToAlarm of the last periods breach, and back to OK after", async () => {
    const s = await start();
    await alarm(s);
    s.advance(4 * MINUTE);
    expect((await describe1(s))?.StateValue).toBe("OK");
    // 20 requests a second, a tenth of them 5xx: 120 a minute, above the threshold of 60.
    s.cloudwatch.setProfile({ revision: "web:1" }, { errorRate: 0.1 });
    s.advance(1 * MINUTE);
    expect((await describe1(s))?.StateValue).toBe("OK");
    s.advance(1 * MINUTE);
    const alarming = await describe1(s);
    expect(alarming?.StateValue).toBe("ALARM");
    expect(alarming?.StateReason).toMatch(/^Threshold Crossed: 2 out of the last 3 datapoints \[/);
    s.cloudwatch.setProfile({ revision: "web:1" }, { errorRate: 0.001 });
    s.advance(3 * MINUTE);
    expect((await describe1(s))?.StateValue).toBe("OK");
    expect(s.cloudwatch.alarms().map((a) => [a.name, a.state])).toEqual([["web-5xx", "OK"]]);
  });

  it("keeps a state set by SetAlarmState until the next period's evaluation", async () => {
    const s = await start();
    await alarm(s);
    s.advance(4 * MINUTE + 1_000);
    const { cloudwatch } = simulatorClients(s);
    await cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: "web-5xx",
        StateValue: "ALARM",
        StateReason: "testing the pager",
      }),
    );
    const set = await describe1(s);
    expect([set?.StateValue, set?.StateReason]).toEqual(["ALARM", "testing the pager"]);
    s.advance(MINUTE);
    expect((await describe1(s))?.StateValue).toBe("OK");
    await expect(
      cloudwatch.send(new SetAlarmStateCommand({ AlarmName: "nope", StateValue: "OK", StateReason: "x" })),
    ).rejects.toMatchObject({ name: "ResourceNotFound" });
  });

  it("lists by name, by prefix and by state, a page of MaxRecords at a time", async () => {
    const s = await start();
    for (const name of ["web-5xx", "web-latency", "web-hosts", "worker-5xx"])
      await alarm(s, { AlarmName: name });
    const { cloudwatch } = simulatorClients(s);
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: "web-",
          MaxRecords: 2,
          ...(token ? { NextToken: token } : {}),
        }),
      );
      names.push(...(out.MetricAlarms ?? []).map((a) => a.AlarmName ?? ""));
      token = out.NextToken;
      pages++;
    } while (token);
    expect([names, pages]).toEqual([["web-5xx", "web-hosts", "web-latency"], 2]);
    const byName = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: ["worker-5xx", "missing"] }),
    );
    expect(byName.MetricAlarms?.map((a) => a.AlarmName)).toEqual(["worker-5xx"]);
    const ok = await cloudwatch.send(new DescribeAlarmsCommand({ StateValue: "OK" }));
    expect(ok.MetricAlarms?.length).toBe(4);
    const alarming = await cloudwatch.send(new DescribeAlarmsCommand({ StateValue: "ALARM" }));
    expect(alarming.MetricAlarms).toEqual([]);
    await expect(cloudwatch.send(new DescribeAlarmsCommand({ NextToken: "garbage" }))).rejects.toMatchObject({
      name: "InvalidNextToken",
    });
  });

  it("replaces an alarm of the same name and deletes alarms by name", async () => {
    const s = await start();
    await alarm(s);
    await alarm(s, { Threshold: 5, EvaluationPeriods: 1, DatapointsToAlarm: 1 });
    expect((await describe1(s))?.Threshold).toBe(5);
    const { cloudwatch } = simulatorClients(s);
    await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ["web-5xx"] }));
    expect(await describe1(s)).toBeUndefined();
    await expect(cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ["web-5xx"] }))).rejects.toMatchObject(
      {
        name: "ResourceNotFound",
      },
    );
  });

  it("refuses an alarm with both or neither of Statistic and ExtendedStatistic", async () => {
    const s = await start();
    await expect(alarm(s, { Statistic: undefined })).rejects.toMatchObject({
      name: "InvalidParameterCombinationException",
    });
    await expect(alarm(s, { ExtendedStatistic: "p95" })).rejects.toMatchObject({
      name: "InvalidParameterCombinationException",
    });
    await alarm(s, {
      AlarmName: "web-p95",
      Statistic: undefined,
      ExtendedStatistic: "p95",
      MetricName: "TargetResponseTime",
      Threshold: 2,
    });
    expect((await describe1(s, { AlarmNames: ["web-p95"] }))?.ExtendedStatistic).toBe("p95");
  });
});

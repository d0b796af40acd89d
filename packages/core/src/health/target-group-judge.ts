// One target group judged for a while with the health gate's evidence, as the traffic steps shipline
// drives and the CodeDeploy replacement task set both need it: the group's target health and, behind
// an Application Load Balancer, its 5xx share and p95 response time from AWS/ApplicationELB. No
// probes of its own: a step's share of traffic is what it is judged on.
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { Clock } from "../runtime/clock";
import type { Logger } from "../runtime/logger";
import { albMetricsSource, targetGroupDimension } from "./cloudwatch";
import { runHealthGate } from "./gate";
import type { HttpClient } from "./http";
import { elbTargetHealthReader } from "./target-health";
import type { HealthReport } from "./verdict";

export interface TargetGroupJudgeSettings {
  targetGroupArn: string;
  /** The ALB's LoadBalancer dimension ("app/<name>/<id>"), or undefined: target health only. */
  loadBalancer: string | undefined;
  /** How long the group is judged. */
  judgeMs: number;
  /** How often its evidence is read. */
  intervalMs: number;
  errorRateThreshold: number;
  latencyP95ThresholdSeconds: number;
  /** Requests the window needs before its error rate and p95 count. */
  minRequests: number;
}

export interface TargetGroupJudgeDeps {
  http: HttpClient;
  elb: ElasticLoadBalancingV2Client;
  cloudwatch: CloudWatchClient;
  /** AWS's clock: the metric windows are AWS's minutes. */
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal;
}

export function judgeTargetGroup(
  settings: TargetGroupJudgeSettings,
  deps: TargetGroupJudgeDeps,
): Promise<HealthReport> {
  const { targetGroupArn, loadBalancer, errorRateThreshold, latencyP95ThresholdSeconds } = settings;
  return runHealthGate(
    {
      settings: {
        warmUpMs: 0,
        probeIntervalMs: settings.intervalMs,
        probeTimeoutMs: Math.min(2_000, settings.intervalMs),
        successThreshold: 1,
        failureThreshold: 3,
        soakMs: settings.judgeMs,
        // Room past the window for the last read to be answered, never less than a minute.
        timeoutMs: settings.judgeMs + Math.max(60_000, 10 * settings.intervalMs),
        errorRateThreshold,
        latencyP95ThresholdSeconds,
        minRequests: settings.minRequests,
      },
      probes: [],
      smokeTests: [],
      smokeSecrets: {},
      targetGroupArns: [targetGroupArn],
      metricSources: loadBalancer
        ? [
            albMetricsSource(
              {
                loadBalancer,
                targetGroup: targetGroupDimension(targetGroupArn),
                errorRateThreshold,
                latencyP95ThresholdSeconds,
              },
              { cloudwatch: deps.cloudwatch },
            ),
          ]
        : [],
    },
    {
      http: deps.http,
      clock: deps.clock,
      logger: deps.logger,
      readTargetHealth: elbTargetHealthReader(deps.elb, deps.clock),
      ...(deps.signal ? { signal: deps.signal } : {}),
    },
  );
}

// Application Load Balancer metrics from CloudWatch over the soak window: the share of target 5xx
// responses among requests, and the p95 of TargetResponseTime.
import {
  type CloudWatchClient,
  type Dimension,
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from "@aws-sdk/client-cloudwatch";
import { isPermanentAwsFailure } from "../aws/errors";
import { errorMessage } from "../runtime/errors";
import type { MetricDefinition, MetricReading, MetricSource } from "./metrics";

export interface AlbMetricsConfig {
  /** The LoadBalancer dimension: "app/<name>/<id>". */
  loadBalancer: string;
  /** The TargetGroup dimension "targetgroup/<name>/<id>", to judge one service behind a shared ALB. */
  targetGroup?: string;
  errorRateThreshold: number;
  latencyP95ThresholdSeconds: number;
  /** ALB metrics are published per minute. */
  periodSeconds?: number;
}

const SOURCE = "CloudWatch";
const NAMESPACE = "AWS/ApplicationELB";

/** Accepts a load balancer ARN or its dimension value; returns "app/<name>/<id>". */
export function loadBalancerDimension(value: string): string {
  const trimmed = value.trim();
  const fromArn = /^arn:aws[a-z-]*:elasticloadbalancing:[^:]*:\d*:loadbalancer\/(app\/[^/]+\/[^/]+)$/.exec(
    trimmed,
  );
  if (fromArn) return fromArn[1] as string;
  if (/^app\/[^/\s]+\/[^/\s]+$/.test(trimmed)) return trimmed;
  throw new Error(
    `${JSON.stringify(value)} is neither an Application Load Balancer ARN nor its dimension value (app/<name>/<id>)`,
  );
}

/**
 * The LoadBalancer dimension of a load balancer ARN when it is an Application Load Balancer, else
 * undefined: a Network or Gateway Load Balancer publishes no HTTP error counts or response times,
 * so there is nothing in AWS/ApplicationELB to judge for it.
 */
export function applicationLoadBalancerDimension(arn: string): string | undefined {
  return /:loadbalancer\/app\//.test(arn) ? loadBalancerDimension(arn) : undefined;
}

/** The TargetGroup dimension of a target group ARN: "targetgroup/<name>/<id>". */
export function targetGroupDimension(arn: string): string {
  const match = /:(targetgroup\/[^/]+\/[^/]+)$/.exec(arn.trim());
  if (!match) throw new Error(`${JSON.stringify(arn)} is not a target group ARN`);
  return match[1] as string;
}

export function albMetricDefinitions(config: AlbMetricsConfig): MetricDefinition[] {
  const scope = config.targetGroup ? `${config.loadBalancer}, ${config.targetGroup}` : config.loadBalancer;
  return [
    {
      name: "error rate (ALB)",
      source: SOURCE,
      description: `HTTPCode_Target_5XX_Count / RequestCount of ${scope}`,
      unit: "ratio",
      failWhen: { op: ">", value: config.errorRateThreshold },
    },
    {
      name: "p95 latency (ALB)",
      source: SOURCE,
      description: `TargetResponseTime p95 of ${scope} (the highest per-period value)`,
      unit: "seconds",
      failWhen: { op: ">", value: config.latencyP95ThresholdSeconds },
    },
  ];
}

function sum(result: MetricDataResult | undefined): number {
  return (result?.Values ?? []).reduce((total, value) => total + value, 0);
}

/** A target group's (or a load balancer's) traffic over whole periods covering a window. */
export interface AlbFigures {
  requests: number;
  /** 5xx answered by targets; CloudWatch publishes no datapoint for a minute without one. */
  errors: number;
  /** The highest per-period p95 response time, when any period had one. */
  p95Seconds: number | undefined;
  /** Periods with a p95 datapoint. */
  p95Periods: number;
  /** CloudWatch said some of it is partial. */
  partial: boolean;
}

export interface AlbScope {
  /** The LoadBalancer dimension, "app/<name>/<id>". */
  loadBalancer: string;
  /** The TargetGroup dimension, "targetgroup/<name>/<id>"; without it, the whole load balancer. */
  targetGroup?: string | undefined;
  periodSeconds?: number | undefined;
}

/** CloudWatch answered a query of the read with Forbidden or InternalError: no figures to judge. */
export class MetricDataRefused extends Error {
  override readonly name = "MetricDataRefused";
}

/**
 * Reads RequestCount, HTTPCode_Target_5XX_Count and the p95 of TargetResponseTime from
 * AWS/ApplicationELB, every page, over whole periods covering [startMs, endMs) (CloudWatch aligns ALB
 * datapoints to the minute). Results are matched by the Id asked for, never by position. A query
 * CloudWatch refused throws MetricDataRefused; a failed call throws as the SDK threw it.
 */
export async function readAlbFigures(
  cloudwatch: CloudWatchClient,
  scope: AlbScope,
  window: { startMs: number; endMs: number },
  signal?: AbortSignal,
): Promise<AlbFigures> {
  const period = scope.periodSeconds ?? 60;
  const dimensions: Dimension[] = [{ Name: "LoadBalancer", Value: scope.loadBalancer }];
  if (scope.targetGroup) dimensions.push({ Name: "TargetGroup", Value: scope.targetGroup });
  const query = (id: string, metric: string, stat: string): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: NAMESPACE, MetricName: metric, Dimensions: dimensions },
      Period: period,
      Stat: stat,
    },
    ReturnData: true,
  });
  const queries = [
    query("requests", "RequestCount", "Sum"),
    query("errors", "HTTPCode_Target_5XX_Count", "Sum"),
    query("p95", "TargetResponseTime", "p95"),
  ];
  const periodMs = period * 1000;
  const start = Math.floor(window.startMs / periodMs) * periodMs;
  const end = Math.max(start + periodMs, Math.ceil(window.endMs / periodMs) * periodMs);
  const results = new Map<string, MetricDataResult>();
  let nextToken: string | undefined;
  do {
    const output = await cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: new Date(start),
        EndTime: new Date(end),
        ScanBy: "TimestampAscending",
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
      signal ? { abortSignal: signal } : {},
    );
    for (const result of output.MetricDataResults ?? []) {
      if (!result.Id || !queries.some((q) => q.Id === result.Id)) continue;
      const seen = results.get(result.Id);
      if (seen) {
        seen.Values = [...(seen.Values ?? []), ...(result.Values ?? [])];
        seen.Timestamps = [...(seen.Timestamps ?? []), ...(result.Timestamps ?? [])];
        if (result.StatusCode && result.StatusCode !== "Complete") seen.StatusCode = result.StatusCode;
      } else results.set(result.Id, { ...result });
    }
    nextToken = output.NextToken;
  } while (nextToken);
  const refused = [...results.values()].find(
    (r) => r.StatusCode === "Forbidden" || r.StatusCode === "InternalError",
  );
  if (refused) {
    const messages = (refused.Messages ?? [])
      .map((m) => m.Value)
      .filter(Boolean)
      .join("; ");
    throw new MetricDataRefused(
      `GetMetricData answered ${refused.StatusCode} for ${refused.Id}${messages ? `: ${messages}` : ""}`,
    );
  }
  const p95 = results.get("p95")?.Values ?? [];
  return {
    requests: sum(results.get("requests")),
    errors: sum(results.get("errors")),
    p95Seconds: p95.length > 0 ? Math.max(...p95) : undefined,
    p95Periods: p95.length,
    partial: [...results.values()].some((r) => r.StatusCode === "PartialData"),
  };
}

export function albMetricsSource(
  config: AlbMetricsConfig,
  deps: { cloudwatch: CloudWatchClient },
): MetricSource {
  const definitions = albMetricDefinitions(config);
  const [errorRate, latency] = definitions as [MetricDefinition, MetricDefinition];
  const period = config.periodSeconds ?? 60;
  const scope = { loadBalancer: config.loadBalancer, targetGroup: config.targetGroup, periodSeconds: period };
  const unread = (message: string): MetricReading[] => [
    { check: errorRate.name, value: null, requests: null, error: message },
    { check: latency.name, value: null, requests: null, error: message },
  ];

  return {
    definitions,
    async open() {
      // CloudWatch has nothing to take a baseline of: the window is given by time alone.
    },
    async read(window, signal) {
      let figures: AlbFigures;
      try {
        figures = await readAlbFigures(deps.cloudwatch, scope, window, signal);
      } catch (error) {
        if (
          error instanceof Error &&
          (error.name === "CancelledError" || error.name === "AbortError") &&
          signal?.aborted
        ) {
          throw error;
        }
        if (error instanceof MetricDataRefused) return unread(error.message);
        // A denied call or dead credentials will not heal during the soak: say so now (the run
        // wrapper names the IAM action) rather than end inconclusive minutes later.
        if (isPermanentAwsFailure(error)) throw error;
        return unread(`GetMetricData failed: ${errorMessage(error)}`);
      }
      const { requests, errors, p95Seconds, p95Periods, partial } = figures;
      const note = partial ? "; CloudWatch returned partial data" : "";
      const readings: MetricReading[] = [
        {
          check: errorRate.name,
          value: requests > 0 ? errors / requests : null,
          requests,
          detail: `${Math.round(errors)} of ${Math.round(requests)} requests answered 5xx by targets${note}`,
        },
        {
          check: latency.name,
          value: p95Seconds ?? null,
          requests,
          detail: `${p95Periods} period(s) of ${period} s${note}`,
        },
      ];
      return readings;
    },
  };
}

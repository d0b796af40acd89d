// CloudWatch metrics (JSON 1.0, GraniteServiceVersion20100801): the AWS/ApplicationELB metrics of the
// simulated load balancers, computed from which task-definition revisions served traffic when (the
// target health history ECS keeps) and the scenario's per-revision request rate, error rate and p95
// latency. GetMetricData with MetricStat queries and simple metric math, GetMetricStatistics, and
// metric alarms evaluated from those metrics (alarms.ts).
import {
  objectList,
  optionalNumber,
  optionalString,
  requireString,
  SimError,
  stringList,
} from "../../framework/errors";
import type { Shape, SimRuntime, SimService } from "../../framework/types";
import { imageMatches } from "../ecs/behaviour";
import type { TargetRegistration, TargetState, TaskDefinitionRecord, TaskRecord } from "../ecs/model";
import { Elbv2Service, type LoadBalancerRecord } from "../elbv2/service";
import { type AlarmState, AlarmStore } from "./alarms";
import { evaluateExpression, type Series } from "./math";

/**
 * CloudWatch has no InvalidParameterException: what the shared input readers (framework/errors.ts)
 * refuse, CloudWatch refuses as InvalidParameterValueException.
 */
function cloudWatchErrors<T>(operation: (input: Shape) => T): (input: Shape) => T {
  return (input) => {
    try {
      return operation(input);
    } catch (error) {
      if (error instanceof SimError && error.code === "InvalidParameterException")
        throw new SimError("InvalidParameterValueException", error.message, error.status);
      throw error;
    }
  };
}

/** How a revision's tasks answer requests. */
export interface MetricsProfile {
  /** Requests per second the load balancer gets while this revision serves all of it. */
  requestsPerSecond?: number;
  /** Fraction of requests answered with a 5xx by the target (0.08 = 8 %). */
  errorRate?: number;
  /** 95th percentile of TargetResponseTime, milliseconds. */
  p95Ms?: number;
}

/** Scenario section `cloudwatch`. */
export interface CloudWatchScenario {
  /** Baseline for every revision. */
  default?: MetricsProfile;
  /** Per load balancer name: its request rate. */
  loadBalancers?: Record<string, { requestsPerSecond?: number }>;
  /** Per image (keys as in ecs.images): the profile of revisions whose essential container runs it. */
  images?: Record<string, MetricsProfile>;
  /** Per task definition ("family:revision" or ARN); wins over images. */
  revisions?: Record<string, MetricsProfile>;
  /**
   * Metric alarms, each as a PutMetricAlarm request, or just a name (and a state) for an alarm on a
   * metric nothing emits, which stays where it is set.
   */
  alarms?: (Shape | { name: string; state?: AlarmState; reason?: string })[];
}

/** What tests and the demo control of the simulated CloudWatch metrics (`sim.cloudwatch`). */
export interface CloudWatchSurface {
  /**
   * Changes a metrics profile from now on (earlier periods keep what they had): for a revision
   * ("family:revision" or ARN), an image, a load balancer name (its request rate), or the default.
   */
  setProfile(
    target: { revision?: string; image?: string; loadBalancer?: string },
    profile: MetricsProfile,
  ): void;
  /** Every metric alarm with its state as CloudWatch evaluates it now. */
  alarms(): { name: string; state: AlarmState; reason: string }[];
  /**
   * Sets an alarm's state (as SetAlarmState does). Going into ALARM also fails the deployment of every
   * ECS service whose deployment alarms name it, as ECS watches them; says how many it failed.
   */
  setAlarmState(name: string, state: AlarmState, reason?: string): number;
}

const NAMESPACE = "AWS/ApplicationELB";
const DEFAULT_PROFILE: Required<MetricsProfile> = { requestsPerSecond: 10, errorRate: 0.001, p95Ms: 120 };
const LN20 = Math.log(20);
const COUNT_METRICS = ["RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"];
const HOST_METRICS = ["HealthyHostCount", "UnHealthyHostCount"];
const ID = /^[a-z][a-zA-Z0-9_]*$/;

/** What the simulator knows about one period of one load balancer (or one of its target groups). */
interface PeriodSample {
  requests: number;
  targetErrors: number;
  elbErrors: number;
  /** Requests served per latency profile (p95 in seconds). */
  latency: { p95: number; requests: number }[];
  healthy: number[];
  unhealthy: number[];
}

interface ProfileChange {
  at: number;
  kind: "default" | "image" | "revision" | "loadBalancer";
  key: string;
  profile: MetricsProfile;
}

interface RegistrationSource {
  registrationsIn(targetGroupArn: string): { task: TaskRecord; registration: TargetRegistration }[];
}

function stateAt(registration: TargetRegistration, at: number): TargetState | undefined {
  let state: TargetState | undefined;
  for (const entry of registration.history) {
    if (entry.at > at) break;
    state = entry.state;
  }
  return state;
}

/** The q-quantile of a mixture of exponential latency distributions, each fixed by its p95. */
function mixtureQuantile(parts: { p95: number; requests: number }[], q: number): number {
  const total = parts.reduce((sum, p) => sum + p.requests, 0);
  if (total === 0) return 0;
  const cdf = (x: number) =>
    parts.reduce((sum, p) => sum + (p.requests / total) * (1 - Math.exp((-x * LN20) / p.p95)), 0);
  let low = 0;
  let high = Math.max(...parts.map((p) => p.p95)) * 10;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (cdf(mid) < q) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

export class CloudWatchService implements SimService {
  readonly definition = {
    name: "cloudwatch",
    signingName: "monitoring",
    iamPrefix: "cloudwatch",
    protocol: "json1.0",
    targetPrefix: "GraniteServiceVersion20100801",
    // CloudWatch's own server fault (InternalServiceFault) is not declared for GetMetricData; the
    // common InternalFailure is what any operation may return.
    serverErrorCode: "InternalFailure",
  } as const;
  #changes: ProfileChange[] = [];

  /** The controls tests and the demo use (`sim.cloudwatch`). */
  readonly surface: CloudWatchSurface = {
    setProfile: (target, profile) => this.setProfile(target, profile),
    alarms: () => this.#alarms.states(),
    setAlarmState: (name, state, reason) => this.#setAlarmState(name, state, reason),
  };

  readonly #alarms: AlarmStore;

  #setAlarmState(name: string, state: AlarmState, reason?: string): number {
    this.#alarms.setState({
      AlarmName: name,
      StateValue: state,
      StateReason: reason ?? `Threshold Crossed: the simulated alarm was set to ${state}.`,
    });
    return state === "ALARM" ? this.#alarmFired(name) : 0;
  }

  /** ECS fails the deployments whose deployment alarms name an alarm that went into ALARM. */
  #alarmFired(name: string): number {
    try {
      const ecs = this.runtime.service<SimService>("ecs") as unknown as {
        alarmFired?: (n: string) => number;
      };
      return typeof ecs.alarmFired === "function" ? ecs.alarmFired(name) : 0;
    } catch {
      return 0;
    }
  }

  constructor(private readonly runtime: SimRuntime) {
    this.#alarms = new AlarmStore({
      now: () => runtime.now(),
      region: runtime.region,
      accountId: runtime.accountId,
      readMetric: (metric, period, stat, start, end) => this.metricSeries(metric, period, stat, start, end),
    });
  }

  reset(): void {
    this.#changes = [];
    this.#alarms.reset();
  }

  load(section: unknown): void {
    const scenario = section as CloudWatchScenario;
    const at = Number.NEGATIVE_INFINITY;
    if (scenario.default) this.#changes.push({ at, kind: "default", key: "", profile: scenario.default });
    for (const [key, profile] of Object.entries(scenario.images ?? {}))
      this.#changes.push({ at, kind: "image", key, profile });
    for (const [key, profile] of Object.entries(scenario.revisions ?? {}))
      this.#changes.push({ at, kind: "revision", key, profile });
    for (const [key, value] of Object.entries(scenario.loadBalancers ?? {}))
      this.#changes.push({ at, kind: "loadBalancer", key, profile: value });
    for (const alarm of scenario.alarms ?? []) {
      if (typeof (alarm as Shape).AlarmName === "string") {
        this.#alarms.put(alarm as Shape);
        continue;
      }
      const simple = alarm as { name: string; state?: AlarmState; reason?: string };
      this.#alarms.put({
        AlarmName: simple.name,
        Namespace: "Simulator/Static",
        MetricName: "Unused",
        Statistic: "Sum",
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        TreatMissingData: "notBreaching",
      });
      if (simple.state) this.#setAlarmState(simple.name, simple.state, simple.reason);
    }
  }

  /**
   * Changes a profile from now on (earlier periods keep what they had): for a revision
   * ("family:revision" or ARN), an image, a load balancer name (its request rate), or the default.
   */
  setProfile(
    target: { revision?: string; image?: string; loadBalancer?: string },
    profile: MetricsProfile,
  ): void {
    const at = this.runtime.now();
    if (target.revision) this.#changes.push({ at, kind: "revision", key: target.revision, profile });
    else if (target.image) this.#changes.push({ at, kind: "image", key: target.image, profile });
    else if (target.loadBalancer)
      this.#changes.push({ at, kind: "loadBalancer", key: target.loadBalancer, profile });
    else this.#changes.push({ at, kind: "default", key: "", profile });
  }

  readonly controlRoutes = {
    /** {revision? | image? | loadBalancer?, requestsPerSecond?, errorRate?, p95Ms?} from now on. */
    profile: (body: Shape) => {
      const profile: MetricsProfile = {};
      for (const key of ["requestsPerSecond", "errorRate", "p95Ms"] as const) {
        if (typeof body[key] === "number") profile[key] = body[key];
      }
      this.setProfile(
        {
          ...(typeof body.revision === "string" ? { revision: body.revision } : {}),
          ...(typeof body.image === "string" ? { image: body.image } : {}),
          ...(typeof body.loadBalancer === "string" ? { loadBalancer: body.loadBalancer } : {}),
        },
        profile,
      );
      return { ok: true };
    },
  };

  /**
   * The profile a revision's tasks follow at a moment: the default, then the image's, then the
   * revision's settings. A request rate appears only when the image or revision sets one.
   */
  profileAt(
    taskDefinition: TaskDefinitionRecord,
    at: number,
  ): { errorRate: number; p95Ms: number; requestsPerSecond?: number } {
    const label = `${taskDefinition.family}:${taskDefinition.revision}`;
    const containers = (taskDefinition.body.containerDefinitions as Shape[] | undefined) ?? [];
    const image = String((containers.find((c) => c.essential !== false) ?? containers[0])?.image ?? "");
    const { requestsPerSecond: _defaultRate, ...defaults } = this.#layer("default", at, () => true);
    const specific = {
      ...this.#layer("image", at, (key) => imageMatches(key, image)),
      ...this.#layer("revision", at, (key) => key === label || key === taskDefinition.arn),
    };
    return { errorRate: DEFAULT_PROFILE.errorRate, p95Ms: DEFAULT_PROFILE.p95Ms, ...defaults, ...specific };
  }

  #layer(kind: ProfileChange["kind"], at: number, matches: (key: string) => boolean): MetricsProfile {
    let merged: MetricsProfile = {};
    for (const change of this.#changes) {
      if (change.at <= at && change.kind === kind && matches(change.key))
        merged = { ...merged, ...change.profile };
    }
    return merged;
  }

  #defaultRate(at: number): number {
    return this.#layer("default", at, () => true).requestsPerSecond ?? DEFAULT_PROFILE.requestsPerSecond;
  }

  #loadBalancerRate(lb: LoadBalancerRecord, at: number): number | undefined {
    let rate: number | undefined;
    for (const change of this.#changes) {
      if (change.at <= at && change.kind === "loadBalancer" && change.key === lb.name) {
        rate = change.profile.requestsPerSecond ?? rate;
      }
    }
    return rate;
  }

  #elb(): Elbv2Service | undefined {
    try {
      return this.runtime.service<Elbv2Service>("elbv2");
    } catch {
      return undefined;
    }
  }

  #registrations(targetGroupArn: string): { task: TaskRecord; registration: TargetRegistration }[] {
    try {
      const ecs = this.runtime.service<SimService>("ecs") as unknown as Partial<RegistrationSource>;
      return typeof ecs.registrationsIn === "function" ? ecs.registrationsIn(targetGroupArn) : [];
    } catch {
      return [];
    }
  }

  /** Integrates one period [from, to) of a load balancer, optionally one target group only. */
  #sample(
    lb: LoadBalancerRecord,
    onlyGroup: string | undefined,
    from: number,
    to: number,
    periodMs: number,
  ): PeriodSample {
    const elb = this.#elb();
    const sample: PeriodSample = {
      requests: 0,
      targetErrors: 0,
      elbErrors: 0,
      latency: [],
      healthy: [],
      unhealthy: [],
    };
    const step = Math.max(1000, periodMs / 60);
    const registrations = new Map(lb.targetGroupArns.map((arn) => [arn, this.#registrations(arn)]));
    for (let at = from + step / 2; at < to; at += step) {
      const seconds = Math.min(step, to - (at - step / 2)) / 1000;
      const weights = elb?.weightsAt(lb, at) ?? {};
      const totalWeight = Object.values(weights).reduce((sum, w) => sum + w, 0) || 1;
      const shares: { task: TaskRecord; group: string; share: number }[] = [];
      let unserved = 0;
      for (const [arn, regs] of registrations) {
        const states = regs.map((r) => ({ task: r.task, state: stateAt(r.registration, at) }));
        if (!onlyGroup || onlyGroup === arn) {
          sample.healthy.push(states.filter((s) => s.state === "healthy").length);
          sample.unhealthy.push(states.filter((s) => s.state === "unhealthy").length);
        }
        const share = (weights[arn] ?? 0) / totalWeight;
        if (share === 0) continue;
        let serving = states.filter((s) => s.state === "healthy");
        // With no healthy target the load balancer fails open to every registered one.
        if (serving.length === 0)
          serving = states.filter((s) => s.state === "initial" || s.state === "unhealthy");
        if (serving.length === 0) {
          unserved += share;
          continue;
        }
        for (const s of serving) shares.push({ task: s.task, group: arn, share: share / serving.length });
      }
      // Each slice of traffic brings requests at the rate of the revision that answers it.
      const baseRate = this.#loadBalancerRate(lb, at) ?? this.#defaultRate(at);
      if (!onlyGroup) {
        sample.requests += unserved * baseRate * seconds;
        sample.elbErrors += unserved * baseRate * seconds;
      }
      for (const slice of shares) {
        if (onlyGroup && slice.group !== onlyGroup) continue;
        const profile = this.profileAt(slice.task.taskDefinition, at);
        const requests = slice.share * (profile.requestsPerSecond ?? baseRate) * seconds;
        sample.requests += requests;
        sample.targetErrors += requests * profile.errorRate;
        sample.latency.push({ p95: profile.p95Ms / 1000, requests });
      }
    }
    return sample;
  }

  /** The value of one statistic of one metric for a period, or undefined when AWS would have no data. */
  #statistic(metric: string, stat: string, sample: PeriodSample): number | undefined {
    if (HOST_METRICS.includes(metric)) {
      const values = metric === "HealthyHostCount" ? sample.healthy : sample.unhealthy;
      if (values.length === 0) return undefined;
      if (stat === "Minimum") return Math.min(...values);
      if (stat === "Maximum") return Math.max(...values);
      if (stat === "SampleCount") return values.length;
      if (stat === "Sum") return values.reduce((a, b) => a + b, 0);
      return values.reduce((a, b) => a + b, 0) / values.length;
    }
    if (COUNT_METRICS.includes(metric)) {
      const count =
        metric === "RequestCount"
          ? sample.requests
          : metric === "HTTPCode_Target_5XX_Count"
            ? sample.targetErrors
            : sample.elbErrors;
      const rounded = Math.round(count);
      // ELB publishes these only when there was at least one.
      if (rounded === 0) return undefined;
      if (stat === "Sum" || stat === "SampleCount") return rounded;
      return 1;
    }
    if (metric === "TargetResponseTime") {
      const served = sample.latency.reduce((sum, p) => sum + p.requests, 0);
      if (served < 0.5) return undefined;
      if (stat === "SampleCount") return Math.round(served);
      if (stat === "Average")
        return sample.latency.reduce((sum, p) => sum + (p.requests / served) * (p.p95 / LN20), 0);
      if (stat === "Minimum") return 0.001;
      if (stat === "Maximum") return mixtureQuantile(sample.latency, 0.999);
      const percentile = /^p(\d{1,2}(?:\.\d+)?)$/.exec(stat);
      if (percentile) return mixtureQuantile(sample.latency, Number(percentile[1]) / 100);
      if (stat === "Sum") return sample.latency.reduce((sum, p) => sum + p.requests * (p.p95 / LN20), 0);
    }
    return undefined;
  }

  /** One metric's datapoints, oldest first. */
  metricSeries(
    metricShape: Shape,
    periodSeconds: number,
    stat: string,
    startMs: number,
    endMs: number,
  ): Series {
    const periodMs = periodSeconds * 1000;
    const series: Series = { timestamps: [], values: [], periodMs };
    if (metricShape.Namespace !== NAMESPACE) return series;
    const metric = String(metricShape.MetricName ?? "");
    const dimensions = objectList(metricShape, "Dimensions");
    const lbValue = dimensions.find((d) => d.Name === "LoadBalancer")?.Value;
    const tgValue = dimensions.find((d) => d.Name === "TargetGroup")?.Value;
    const names = dimensions.map((d) => d.Name).sort();
    const shapeOk =
      (names.length === 1 && names[0] === "LoadBalancer" && !HOST_METRICS.includes(metric)) ||
      (names.length === 2 && names[0] === "LoadBalancer" && names[1] === "TargetGroup");
    const elb = this.#elb();
    const lb = elb?.loadBalancers().find((l) => Elbv2Service.loadBalancerDimension(l.arn) === lbValue);
    if (!shapeOk || !lb) return series;
    const group = tgValue
      ? lb.targetGroupArns.find((arn) => Elbv2Service.targetGroupDimension(arn) === tgValue)
      : undefined;
    if (tgValue && !group) return series;
    const now = this.runtime.now();
    for (
      let start = Math.floor(startMs / periodMs) * periodMs;
      start < endMs && start < now;
      start += periodMs
    ) {
      const sample = this.#sample(lb, group, start, Math.min(start + periodMs, now), periodMs);
      const value = this.#statistic(metric, stat, sample);
      if (value === undefined) continue;
      series.timestamps.push(start);
      series.values.push(value);
    }
    return series;
  }

  readonly operations = {
    PutMetricAlarm: cloudWatchErrors((input: Shape) => {
      this.#alarms.put(input);
      return {};
    }),
    DescribeAlarms: cloudWatchErrors((input: Shape) => this.#alarms.describe(input)),
    SetAlarmState: cloudWatchErrors((input: Shape) => {
      this.#alarms.setState(input);
      if (input.StateValue === "ALARM") this.#alarmFired(String(input.AlarmName));
      return {};
    }),
    DeleteAlarms: cloudWatchErrors((input: Shape) => {
      this.#alarms.delete(input);
      return {};
    }),
    GetMetricData: cloudWatchErrors((input: Shape) => {
      const queries = objectList(input, "MetricDataQueries");
      if (queries.length === 0 || queries.length > 500) {
        throw new SimError(
          "InvalidParameterValueException",
          "MetricDataQueries must contain between 1 and 500 queries.",
        );
      }
      const startMs = this.#time(input, "StartTime");
      const endMs = this.#time(input, "EndTime");
      if (endMs <= startMs) {
        throw new SimError(
          "InvalidParameterValueException",
          "The parameter StartTime must be less than the parameter EndTime.",
        );
      }
      const byId = new Map<string, Shape>();
      for (const query of queries) {
        const id = requireString(query, "Id", "MissingRequiredParameterException");
        if (!ID.test(id)) {
          throw new SimError(
            "InvalidParameterValueException",
            `The value ${id} for parameter MetricDataQueries.member.Id is not matching the expected pattern ^[a-z][a-zA-Z_0-9]*$.`,
          );
        }
        if (byId.has(id))
          throw new SimError("InvalidParameterValueException", `The Id ${id} is used more than once.`);
        if (!query.MetricStat === !query.Expression) {
          throw new SimError(
            "InvalidParameterCombinationException",
            `Query ${id} must have exactly one of MetricStat and Expression.`,
          );
        }
        byId.set(id, query);
      }
      const results = new Map<string, Series>();
      const evaluate = (id: string, trail: string[]): Series => {
        const done = results.get(id);
        if (done) return done;
        const query = byId.get(id);
        if (!query)
          throw new SimError("InvalidParameterValueException", `Expression references unknown id ${id}.`);
        if (trail.includes(id))
          throw new SimError("InvalidParameterValueException", `Circular reference through ${id}.`);
        let series: Series;
        if (query.MetricStat) {
          const stat = query.MetricStat as Shape;
          const period = Number(stat.Period);
          if (
            !Number.isInteger(period) ||
            period <= 0 ||
            (period >= 60 && period % 60 !== 0) ||
            (period < 60 && ![1, 5, 10, 30].includes(period))
          ) {
            throw new SimError(
              "InvalidParameterValueException",
              `The parameter Period for ${id} must be 1, 5, 10, 30 or a multiple of 60.`,
            );
          }
          series = this.metricSeries(
            (stat.Metric as Shape | undefined) ?? {},
            period,
            String(stat.Stat ?? ""),
            startMs,
            endMs,
          );
        } else {
          const period = optionalNumber(query, "Period");
          series = evaluateExpression(String(query.Expression), (ref) => evaluate(ref, [...trail, id]), {
            startMs,
            endMs: Math.min(endMs, this.runtime.now()),
            ...(period !== undefined ? { periodMs: period * 1000 } : {}),
          });
        }
        results.set(id, series);
        return series;
      };
      const descending = (optionalString(input, "ScanBy") ?? "TimestampDescending") === "TimestampDescending";
      const output = queries
        .filter((q) => q.ReturnData !== false)
        .map((query) => {
          const id = query.Id as string;
          const series = evaluate(id, []);
          const order = series.timestamps.map((_, i) => i);
          if (descending) order.reverse();
          const metric = ((query.MetricStat as Shape | undefined)?.Metric as Shape | undefined) ?? {};
          return {
            Id: id,
            Label:
              (query.Label as string | undefined) ??
              (query.MetricStat ? String(metric.MetricName ?? id) : id),
            Timestamps: order.map((i) => new Date(series.timestamps[i] as number)),
            Values: order.map((i) => series.values[i] as number),
            StatusCode: "Complete",
            Messages: [],
          };
        });
      return { MetricDataResults: output, Messages: [] };
    }),

    GetMetricStatistics: cloudWatchErrors((input: Shape) => {
      const startMs = this.#time(input, "StartTime");
      const endMs = this.#time(input, "EndTime");
      const period = optionalNumber(input, "Period") ?? 60;
      const statistics = stringList(input, "Statistics");
      const extended = stringList(input, "ExtendedStatistics");
      if (statistics.length + extended.length === 0) {
        throw new SimError(
          "MissingRequiredParameterException",
          "Statistics or ExtendedStatistics must be given.",
        );
      }
      const metric = {
        Namespace: input.Namespace,
        MetricName: input.MetricName,
        Dimensions: input.Dimensions ?? [],
      };
      const points = new Map<number, Shape>();
      const add = (stat: string, isExtended: boolean) => {
        const series = this.metricSeries(metric, period, stat, startMs, endMs);
        series.timestamps.forEach((ts, i) => {
          const point = points.get(ts) ?? { Timestamp: new Date(ts) };
          if (isExtended)
            point.ExtendedStatistics = {
              ...(point.ExtendedStatistics as Shape | undefined),
              [stat]: series.values[i],
            };
          else point[stat] = series.values[i];
          points.set(ts, point);
        });
      };
      for (const stat of statistics) add(stat, false);
      for (const stat of extended) add(stat, true);
      const unit = input.MetricName === "TargetResponseTime" ? "Seconds" : "Count";
      return {
        Label: input.MetricName,
        Datapoints: [...points.entries()].sort(([a], [b]) => a - b).map(([, p]) => ({ ...p, Unit: unit })),
      };
    }),
  };

  /** Timestamps arrive as epoch seconds (JSON protocol). */
  #time(input: Shape, key: string): number {
    const value = input[key];
    if (typeof value !== "number")
      throw new SimError("MissingRequiredParameterException", `${key} is required.`);
    return value * 1000;
  }
}

export const cloudwatchService = (runtime: SimRuntime): CloudWatchService => new CloudWatchService(runtime);

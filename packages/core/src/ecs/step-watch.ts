// Judging a native blue/green, canary or linear deployment step by step while ECS carries it out: at
// every poll of the rollout that finds the new revision at test traffic or at a production share, the
// evidence is read (test-listener probes, per target group load balancer metrics, the caller's alarms)
// and judged (step-judge.ts); a fail stops the service deployment with ROLLBACK at that same poll.
// Windows of metrics are taken in AWS's time (the service deployment's own timestamps), never the
// runner's clock.
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { ECSClient, Service, ServiceDeployment } from "@aws-sdk/client-ecs";
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { describeNamedAlarms } from "../health/alarms";
import { applicationLoadBalancerDimension, readAlbFigures, targetGroupDimension } from "../health/cloudwatch";
import { type HttpClient, HttpRequestError } from "../health/http";
import type { Clock } from "../runtime/clock";
import { errorMessage } from "../runtime/errors";
import type { Logger } from "../runtime/logger";
import { stopWithRollback } from "./rollback";
import type { RolloutObservation } from "./rollout";
import {
  type Exposure,
  exposureOf,
  judgeStep,
  type StepEvidence,
  type StepVerdict,
  type StepWatchSettings,
  type TargetGroupFigures,
} from "./step-judge";
import type { EcsStrategy } from "./strategy";

export type { StepWatchSettings };

export interface StepWatchDeps {
  ecs: ECSClient;
  cloudwatch: CloudWatchClient;
  elbv2: ElasticLoadBalancingV2Client;
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal | undefined;
}

/** One step as the summary charts it: from when it was first seen, its share and its last verdict. */
export interface StepRecord {
  /** Clock time (ms) the step was first seen. */
  at: number;
  stage: string;
  /** The new revision's share of production traffic (percent). */
  weight: number;
  verdict: StepVerdict;
  findings: string[];
}

export interface StepReport {
  strategy: EcsStrategy;
  stableTargetGroup: string;
  newTargetGroup: string;
  steps: StepRecord[];
  /** Set when shipline stopped the deployment. */
  stopped?: { at: number; weight: number; stage: string; reason: string; accepted: boolean };
  exposure?: Exposure;
  /** Evidence that could not be read (a metric call failing), said once per kind. */
  gaps: string[];
}

const PERIOD_SECONDS = 60;
const DAY_MS = 86_400_000;
const TEST_STAGES = new Set(["TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT"]);
/** Stages where the new revision serves production traffic. */
const SERVING_STAGES = new Set(["PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME"]);

const ms = (date: Date | undefined): number | undefined => (date ? date.getTime() : undefined);

/** The two target groups of the service's load balancer: the one serving now is the stable one. */
async function targetGroups(
  elbv2: ElasticLoadBalancingV2Client,
  service: Service,
): Promise<{ stable: string; next: string } | undefined> {
  const entry = service.loadBalancers?.[0];
  const first = entry?.targetGroupArn;
  const second = entry?.advancedConfiguration?.alternateTargetGroupArn;
  if (!first || !second) return undefined;
  const serving = async (arn: string): Promise<number> => {
    const out = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    return (out.TargetHealthDescriptions ?? []).filter((d) =>
      ["healthy", "initial", "unhealthy"].includes(d.TargetHealth?.State ?? ""),
    ).length;
  };
  const [a, b] = await Promise.all([serving(first), serving(second)]);
  // After a blue/green deployment the alternate group is production: the one with targets is.
  return b > a ? { stable: second, next: first } : { stable: first, next: second };
}

export class StepWatch {
  readonly report: StepReport;
  #serviceDeploymentArn: string | undefined;
  #stepStartAws: number | undefined;
  #deploymentStartAws: number | undefined;
  #baseline: TargetGroupFigures | undefined;
  #lastKey = "";
  #done = false;
  #loadBalancer: string;

  private constructor(
    private readonly deps: StepWatchDeps,
    private readonly settings: StepWatchSettings,
    strategy: EcsStrategy,
    groups: { stable: string; next: string },
    loadBalancer: string,
  ) {
    this.#loadBalancer = loadBalancer;
    this.report = {
      strategy,
      stableTargetGroup: groups.stable,
      newTargetGroup: groups.next,
      steps: [],
      gaps: [],
    };
  }

  /**
   * Reads, before the update, which target group serves (the stable revision's) and its load
   * balancer. Undefined for a rolling deployment or a service without two target groups.
   */
  static async prepare(
    deps: StepWatchDeps,
    settings: StepWatchSettings,
    service: Service,
    strategy: EcsStrategy,
  ): Promise<StepWatch | undefined> {
    if (strategy === "ROLLING") return undefined;
    const name = service.serviceName ?? "service";
    let groups: { stable: string; next: string } | undefined;
    let lbArn: string | undefined;
    try {
      groups = await targetGroups(deps.elbv2, service);
      if (!groups) return undefined;
      const stable = groups.stable;
      const described = await deps.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [stable] }));
      lbArn = described.TargetGroups?.find((g) => g.TargetGroupArn === stable)?.LoadBalancerArns?.[0];
    } catch (error) {
      if (deps.signal?.aborted) throw error;
      // Judging is optional evidence: without the target groups ECS alone decides, and the step says so.
      deps.logger.warning(
        `${name}: the steps of this ${strategy} deployment are not judged: reading its target groups failed (${errorMessage(error)}). Allow elasticloadbalancing:DescribeTargetHealth and DescribeTargetGroups, or set judge-steps: false.`,
      );
      return undefined;
    }
    const dimension = lbArn ? applicationLoadBalancerDimension(lbArn) : undefined;
    if (!lbArn) {
      deps.logger.warning(
        `${name}: target group ${groups.stable} has no load balancer; the steps are judged on probes and alarms only.`,
      );
    } else if (!dimension) {
      deps.logger.warning(
        `${name}: target group ${groups.stable} is behind ${lbArn}, which is not an Application Load Balancer and publishes no HTTP error rate or latency; the steps are judged on probes and alarms only.`,
      );
    }
    return new StepWatch(deps, settings, strategy, groups, dimension ?? "");
  }

  #gap(kind: string, error: unknown): void {
    const line = `${kind}: ${errorMessage(error)}`;
    if (this.report.gaps.some((g) => g.startsWith(`${kind}:`))) return;
    this.report.gaps.push(line);
    this.deps.logger.warning(`Step judge: ${line}; the steps are judged on the rest of the evidence.`);
  }

  async #figures(
    targetGroup: string,
    startAws: number,
    endAws: number,
  ): Promise<TargetGroupFigures | undefined> {
    if (!this.#loadBalancer) return undefined;
    try {
      const figures = await readAlbFigures(
        this.deps.cloudwatch,
        {
          loadBalancer: this.#loadBalancer,
          targetGroup: targetGroupDimension(targetGroup),
          periodSeconds: PERIOD_SECONDS,
        },
        { startMs: startAws, endMs: endAws },
        this.deps.signal,
      );
      return { requests: figures.requests, errors: figures.errors, p95Seconds: figures.p95Seconds };
    } catch (error) {
      if (this.deps.signal?.aborted) throw error;
      // Optional evidence: any failure (a denied call included) is said once; the rest still judges.
      this.#gap("GetMetricData", error);
      return undefined;
    }
  }

  async #probes(): Promise<StepEvidence["probes"]> {
    const url = this.settings.testUrl;
    if (!url) return undefined;
    let passed = 0;
    let failed = 0;
    let lastFailure: string | undefined;
    for (let i = 0; i < this.settings.probesPerRound; i++) {
      try {
        const response = await this.deps.http({
          method: "GET",
          url,
          timeoutMs: this.settings.probeTimeoutMs,
          ...(this.deps.signal ? { signal: this.deps.signal } : {}),
        });
        if (response.status >= 200 && response.status < 400) passed++;
        else {
          failed++;
          lastFailure = `${response.status} from ${url}`;
        }
      } catch (error) {
        if (!(error instanceof HttpRequestError)) throw error;
        failed++;
        lastFailure = `no response from ${url}: ${error.message}`;
      }
    }
    return { passed, failed, lastFailure };
  }

  async #firingAlarms(): Promise<string[] | undefined> {
    if (this.settings.alarms.length === 0) return undefined;
    try {
      const found = await describeNamedAlarms(
        this.deps.cloudwatch,
        this.settings.alarms,
        ["MetricAlarm", "CompositeAlarm"],
        this.deps.signal,
      );
      const missing = this.settings.alarms.filter((n) => !found.has(n));
      if (missing.length > 0) this.#gap("DescribeAlarms", new Error(`no alarm named ${missing.join(", ")}`));
      return [...found.values()].filter((a) => a.state === "ALARM").map((a) => a.name);
    } catch (error) {
      if (this.deps.signal?.aborted) throw error;
      this.#gap("DescribeAlarms", error);
      return undefined;
    }
  }

  /** Called at every poll of the rollout: judges the step the deployment is in, stops it on fail. */
  async onPoll(observation: RolloutObservation): Promise<void> {
    const sd = observation.serviceDeployment;
    if (this.#done || !sd?.serviceDeploymentArn) return;
    if (sd.status === "PENDING") return;
    if (sd.status !== "IN_PROGRESS") {
      // Stopped, rolling back or done: nothing left to judge.
      this.#done = true;
      return;
    }
    this.#serviceDeploymentArn = sd.serviceDeploymentArn;
    this.#deploymentStartAws ??= ms(sd.startedAt) ?? ms(sd.createdAt);
    const stage = sd.lifecycleStage ?? "";
    const weight = sd.targetServiceRevision?.requestedProductionTrafficWeight ?? 0;
    const testing = TEST_STAGES.has(stage) && this.settings.testUrl !== undefined;
    const serving = SERVING_STAGES.has(stage) && weight > 0;
    if (!testing && !serving) return;
    const key = `${stage}|${weight}`;
    const now = this.deps.clock.now();
    if (key !== this.#lastKey) {
      // A new step: its metrics window starts where ECS says it changed the deployment.
      this.#stepStartAws = ms(sd.updatedAt) ?? this.#deploymentStartAws;
      this.#lastKey = key;
      this.report.steps.push({ at: now, stage, weight, verdict: "wait", findings: [] });
    }
    await this.#baselineOnce();
    const evidence = await this.#evidence(testing, serving);
    const judgement = judgeStep(evidence, this.settings.criteria);
    const step = this.report.steps.at(-1) as StepRecord;
    step.verdict = judgement.verdict;
    step.findings = judgement.findings;
    this.deps.logger.progress(
      `step judge: ${stage} at ${weight} % → ${judgement.verdict}${judgement.findings.length ? ` (${judgement.findings.join("; ")})` : ""}`,
    );
    if (judgement.verdict === "fail") await this.#stop(sd, stage, weight, judgement.findings.join("; "));
  }

  async #baselineOnce(): Promise<void> {
    if (this.#baseline !== undefined || this.#deploymentStartAws === undefined) return;
    // The ten minutes before the deployment: the stable revision as it served alone.
    this.#baseline = (await this.#figures(
      this.report.stableTargetGroup,
      this.#deploymentStartAws - 600_000,
      this.#deploymentStartAws - 1,
    )) ?? { requests: 0, errors: 0, p95Seconds: undefined };
  }

  async #evidence(testing: boolean, serving: boolean): Promise<StepEvidence> {
    const start = this.#stepStartAws ?? this.#deploymentStartAws ?? 0;
    const [canary, stable, probes, firingAlarms] = await Promise.all([
      serving ? this.#figures(this.report.newTargetGroup, start, start + DAY_MS) : undefined,
      serving ? this.#figures(this.report.stableTargetGroup, start, start + DAY_MS) : undefined,
      testing ? this.#probes() : undefined,
      this.#firingAlarms(),
    ]);
    return { canary, stable, baseline: this.#baseline, probes, firingAlarms };
  }

  async #stop(sd: ServiceDeployment, stage: string, weight: number, reason: string): Promise<void> {
    this.#done = true;
    const arn = sd.serviceDeploymentArn as string;
    const at = this.deps.clock.now();
    let accepted = false;
    try {
      accepted = await stopWithRollback(this.deps.ecs, arn);
    } catch (error) {
      this.deps.logger.warning(
        `Step judge: StopServiceDeployment ROLLBACK of ${arn} failed: ${errorMessage(error)}.`,
      );
      this.report.stopped = {
        at,
        weight,
        stage,
        reason: `${reason}; the stop failed: ${errorMessage(error)}`,
        accepted,
      };
      return;
    }
    this.report.stopped = { at, weight, stage, reason, accepted };
    this.deps.logger.warning(
      accepted
        ? `Step judge: the new revision failed at ${stage} with ${weight} % of production traffic (${reason}); asked ECS to roll back ${arn}.`
        : `Step judge: the new revision failed (${reason}), but ${arn} had finished before the stop arrived.`,
    );
  }

  /** After the rollout ended: what the new revision served and failed during the deployment. */
  async finish(): Promise<StepReport> {
    if (this.#deploymentStartAws !== undefined && this.#serviceDeploymentArn) {
      const start = this.#deploymentStartAws;
      const [canary, stable] = await Promise.all([
        this.#figures(this.report.newTargetGroup, start, start + DAY_MS),
        this.#figures(this.report.stableTargetGroup, start, start + DAY_MS),
      ]);
      if (canary && stable) this.report.exposure = exposureOf(canary, stable, this.report.stopped?.weight);
    }
    return this.report;
  }
}

// The verdict on one step of a native blue/green, canary or linear deployment, from the evidence read
// while ECS holds the new revision at test traffic, at a canary share or in a bake: probes through the
// test listener, the new revision's error rate and p95 against the stable revision's (per target
// group), and the caller's alarms. Pure: the watcher gathers, this decides, the report renders.

/** Load balancer figures of one target group over the step's window. */
export interface TargetGroupFigures {
  requests: number;
  /** HTTPCode_Target_5XX_Count. */
  errors: number;
  /** TargetResponseTime p95 (seconds), undefined when no datapoint. */
  p95Seconds: number | undefined;
}

export interface ProbeRound {
  passed: number;
  failed: number;
  /** What the last failed probe saw ("503 from http://…/health"). */
  lastFailure?: string | undefined;
}

export interface StepEvidence {
  /** The new revision's target group (the canary). */
  canary?: TargetGroupFigures | undefined;
  /** The stable revision's target group over the same window. */
  stable?: TargetGroupFigures | undefined;
  /** The stable revision before the deployment began: the reference once it no longer serves. */
  baseline?: TargetGroupFigures | undefined;
  /** Probes through the test listener in this step. */
  probes?: ProbeRound | undefined;
  /** Caller's alarms in ALARM state now. */
  firingAlarms?: readonly string[] | undefined;
}

export interface StepCriteria {
  /** How much the new revision's 5xx share may exceed the stable one's (0.02 = 2 points). */
  errorRateMargin: number;
  /** How many times the stable p95 the new revision's p95 may reach. */
  latencyRatio: number;
  /** Requests the new revision must have served before its figures count. */
  minRequests: number;
}

export type StepVerdict = "pass" | "fail" | "wait";

/** How the steps are judged, and with what. */
export interface StepWatchSettings {
  criteria: StepCriteria;
  /** A URL that reaches the new revision through the test listener (blue/green test traffic). */
  testUrl?: string | undefined;
  /** Requests to `testUrl` per poll. */
  probesPerRound: number;
  probeTimeoutMs: number;
  /** The caller's CloudWatch alarms, judged at every step. */
  alarms: readonly string[];
}

export interface StepJudgement {
  verdict: StepVerdict;
  /** One line per check, measured value against its limit. */
  findings: string[];
}

const pct = (ratio: number): string => `${(ratio * 100).toFixed(ratio < 0.01 ? 2 : 1)} %`;
const ms = (seconds: number): string => `${Math.round(seconds * 1000)} ms`;

function rate(figures: TargetGroupFigures): number {
  return figures.requests > 0 ? figures.errors / figures.requests : 0;
}

/** The stable revision's figures to compare with: the live ones when they count, else the baseline. */
function reference(evidence: StepEvidence, minRequests: number): TargetGroupFigures | undefined {
  if (evidence.stable && evidence.stable.requests >= minRequests) return evidence.stable;
  return evidence.baseline && evidence.baseline.requests > 0 ? evidence.baseline : evidence.stable;
}

/**
 * fail: any check breaches (one is enough: the deployment is stopped at once); pass: every check
 * that could be made passed and at least one could; wait: nothing can be judged yet (too few
 * requests, no probe yet).
 */
export function judgeStep(evidence: StepEvidence, criteria: StepCriteria): StepJudgement {
  const findings: string[] = [];
  let failed = false;
  let judged = false;

  const firing = evidence.firingAlarms ?? [];
  if (evidence.firingAlarms !== undefined) {
    judged = true;
    if (firing.length > 0) {
      failed = true;
      findings.push(`alarm ${firing.join(", ")} in ALARM`);
    } else findings.push("alarms OK");
  }

  const probes = evidence.probes;
  if (probes && probes.passed + probes.failed > 0) {
    judged = true;
    const total = probes.passed + probes.failed;
    // A majority of a round failing fails the step: one lost request does not roll a release back.
    if (probes.failed * 2 > total) {
      failed = true;
      findings.push(
        `test-listener probes ${probes.failed}/${total} failed${probes.lastFailure ? ` (${probes.lastFailure})` : ""}`,
      );
    } else findings.push(`test-listener probes ${probes.passed}/${total} passed`);
  }

  const canary = evidence.canary;
  if (canary) {
    if (canary.requests < criteria.minRequests) {
      findings.push(
        `new revision served ${Math.round(canary.requests)} request(s), fewer than ${criteria.minRequests} to judge`,
      );
    } else {
      judged = true;
      const stable = reference(evidence, criteria.minRequests);
      const stableRate = stable ? rate(stable) : 0;
      const limit = stableRate + criteria.errorRateMargin;
      const canaryRate = rate(canary);
      const errorLine = `error rate ${pct(canaryRate)} (${Math.round(canary.errors)}/${Math.round(canary.requests)}) vs stable ${stable ? pct(stableRate) : "unknown"}, limit ${pct(limit)}`;
      if (canaryRate > limit) {
        failed = true;
        findings.push(`${errorLine}: too high`);
      } else findings.push(errorLine);
      if (canary.p95Seconds !== undefined && stable?.p95Seconds !== undefined && stable.p95Seconds > 0) {
        const latencyLimit = stable.p95Seconds * criteria.latencyRatio;
        const latencyLine = `p95 ${ms(canary.p95Seconds)} vs stable ${ms(stable.p95Seconds)}, limit ${ms(latencyLimit)}`;
        if (canary.p95Seconds > latencyLimit) {
          failed = true;
          findings.push(`${latencyLine}: too slow`);
        } else findings.push(latencyLine);
      }
    }
  }

  return { verdict: failed ? "fail" : judged ? "pass" : "wait", findings };
}

/** What the bad version cost: requests it served and failed, and their share of all requests. */
export interface Exposure {
  /** Requests the new revision served during the deployment. */
  served: number;
  /** Of those, answered 5xx. */
  failed: number;
  /** Requests every revision served during the deployment. */
  total: number;
  /** failed / total: the share of all requests during the deployment that the new revision failed. */
  failedShare: number;
  /** The production traffic share the new revision had when it was stopped (percent). */
  weightAtStop: number | undefined;
}

export function exposureOf(
  canary: TargetGroupFigures,
  stable: TargetGroupFigures,
  weightAtStop: number | undefined,
): Exposure {
  const total = canary.requests + stable.requests;
  return {
    served: Math.round(canary.requests),
    failed: Math.round(canary.errors),
    total: Math.round(total),
    failedShare: total > 0 ? canary.errors / total : 0,
    weightAtStop,
  };
}

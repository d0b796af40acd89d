// What shipline-driven traffic steps did, as the deploy's outcome and report carry it.
import type { ForwardWeights } from "../elb/listener-rule";
import type { HealthReport, Verdict } from "../health/verdict";

export interface TrafficStepRecord {
  percent: number;
  weights: ForwardWeights;
  startedAt: string;
  verdict: Verdict;
  reason: string;
  report: HealthReport;
}

export interface TrafficStepsReport {
  ruleArn: string;
  canaryService: string;
  primaryTargetGroup: string;
  canaryTargetGroup: string;
  foundWeights: ForwardWeights;
  steps: TrafficStepRecord[];
  /** pass: every step passed; fail: a step's verdict failed; not-reached: the canary never served. */
  verdict: "pass" | "fail" | "not-reached" | "cancelled";
  /** The largest share the new revision had, in percent. */
  exposurePercent: number;
  /** Whether the rule was put back to the weights found (checked against what ELBv2 then held). */
  restored: boolean;
  /** What was done with the canary service at the end. */
  canaryAfter: string;
}

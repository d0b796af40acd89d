// What a health report means for the step that asked for it: the deployment passed, it failed (with
// the checks that failed), or the gate was inconclusive and the caller's policy refuses or accepts it.
import { UserError } from "../runtime/errors";
import type { CheckResult, HealthReport } from "./verdict";

/** What to do with an inconclusive gate: fail the step, or pass it with a warning. */
export type InconclusivePolicy = "fail" | "pass";

export interface GateConclusion {
  /** The step fails with this: the deployment failed, or an inconclusive gate was refused. */
  failure?: UserError;
  /** An inconclusive gate accepted by the policy, said as a warning. */
  warning?: string;
}

function listed(checks: readonly CheckResult[]): string {
  return checks.map((c) => `- ${c.name}: ${c.summary}`).join("\n");
}

export function concludeGate(report: HealthReport, onInconclusive: InconclusivePolicy): GateConclusion {
  if (report.verdict === "fail") {
    const failed = report.checks.filter((c) => c.status === "fail");
    return {
      failure: new UserError(
        `health-gate: the deployment failed ${failed.length} check${failed.length === 1 ? "" : "s"}.\n${listed(failed)}`,
        {
          fix: "Roll back (shipline auto-rollback with this step's `report`), then look at the evidence in the step summary.",
        },
      ),
    };
  }
  if (report.verdict === "pass") return {};
  const reasons = listed(report.checks.filter((c) => c.status === "inconclusive"));
  if (onInconclusive === "pass") {
    return { warning: `health-gate: inconclusive, accepted because on-inconclusive is pass.\n${reasons}` };
  }
  return {
    failure: new UserError(`health-gate: not enough evidence to call the deployment healthy.\n${reasons}`, {
      input: "on-inconclusive",
      fix: "Make sure the service gets traffic during the soak and the metrics provider is reachable, or set `on-inconclusive: pass` to accept an inconclusive gate.",
    }),
  };
}

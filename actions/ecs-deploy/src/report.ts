// The report of an ecs-deploy run (the `report` output) and its step summary.

import { failureFix, summarizeFailureEvidence } from "@shipline/core/ecs/failure-explainer";
import type { TaskDefinitionChange } from "@shipline/core/ecs/plan-diff";
import type { RollbackTarget } from "@shipline/core/ecs/service-snapshot";
import { revisionLabel } from "@shipline/core/ecs/task-definition";
import { formatDuration } from "@shipline/core/runtime/format";
import { SummaryBuilder } from "@shipline/core/runtime/summary";
import type { ServiceOutcome } from "./rollout-phase";

export type DeployStatus =
  | "planned"
  | "registered"
  | "unchanged"
  | "succeeded"
  | "started"
  | "failed"
  | "timed-out"
  | "cancelled";

export interface DeployReport {
  status: DeployStatus;
  cluster: string;
  taskDefinitionArn: string | undefined;
  /** True when this run registered the task definition. */
  registered: boolean;
  rollbackTargets: Record<string, RollbackTarget | null>;
  changes: TaskDefinitionChange[];
  services: {
    name: string;
    action: string;
    why: string;
    status: string;
    reason: string;
    serviceDeploymentArn: string | null;
    polls?: number;
    timeline?: { at: string; what: string }[];
    events?: string[];
    stoppedTasks?: {
      taskArn: string;
      stopCode: string | null;
      stoppedReason: string | null;
      containers: { name: string; exitCode: number | null; reason: string | null; logTail: string[] }[];
    }[];
    cancelAction?: string;
  }[];
  images: Record<string, string>;
  deregistered: string[];
  githubDeploymentId: number | null;
  planCommentUrl: string | null;
  durationSeconds: number;
}

/** The status of the whole run from the services'. */
export function overallStatus(outcomes: readonly ServiceOutcome[]): DeployStatus {
  const statuses = outcomes.map((o) => o.status);
  for (const worst of ["cancelled", "failed", "timed-out"] as const)
    if (statuses.includes(worst)) return worst;
  if (statuses.every((s) => s === "unchanged")) return "unchanged";
  if (statuses.includes("started")) return "started";
  return "succeeded";
}

/**
 * When some services failed while others now run the new revision, what that means and what to do:
 * the services no longer run one revision, and a rollback has to cover the ones that succeeded too.
 */
export function mixedState(
  outcomes: readonly ServiceOutcome[],
  deployedArn: string,
): { what: string; next: string } | undefined {
  const moved = outcomes.filter((o) => o.status === "succeeded" || o.status === "started");
  const failed = outcomes.filter((o) => o.status === "failed" || o.status === "timed-out");
  if (moved.length === 0 || failed.length === 0) return undefined;
  const names = moved.map((o) => o.name).join(", ");
  const label = revisionLabel(deployedArn);
  return {
    what: `Meanwhile ${names} ${moved.length > 1 ? "run" : "runs"} ${label} (${moved.every((o) => o.status === "succeeded") ? "rolled out" : "rolling out"}): the services no longer run one revision.`,
    next: `Either fix the failure and deploy again to all of them, or roll ${names} back as well (auto-rollback with this step's previous-task-definition-arn and services: ${names}).`,
  };
}

export function serviceReport(outcome: ServiceOutcome, why: string): DeployReport["services"][number] {
  const entry: DeployReport["services"][number] = {
    name: outcome.name,
    action: outcome.action,
    why,
    status: outcome.status,
    reason: outcome.reason,
    serviceDeploymentArn: outcome.serviceDeploymentArn ?? null,
  };
  if (outcome.rollout) {
    entry.polls = outcome.rollout.polls;
    entry.timeline = outcome.rollout.timeline.map((t) => ({
      at: new Date(t.at).toISOString(),
      what: t.what,
    }));
    entry.events = outcome.rollout.events.map((e) => e.message ?? "");
  }
  if (outcome.evidence) {
    entry.events = outcome.evidence.events.map((e) => e.message);
    entry.stoppedTasks = outcome.evidence.stoppedTasks.map((t) => ({
      taskArn: t.taskArn,
      stopCode: t.stopCode ?? null,
      stoppedReason: t.stoppedReason ?? null,
      containers: t.containers.map((c) => ({
        name: c.name,
        exitCode: c.exitCode ?? null,
        reason: c.reason ?? null,
        logTail: c.logTail,
      })),
    }));
  }
  if (outcome.cancelAction) entry.cancelAction = outcome.cancelAction;
  return entry;
}

const ICON: Record<string, string> = {
  registered: "📝",
  succeeded: "✅",
  unchanged: "✅",
  started: "▶️",
  failed: "❌",
  "timed-out": "⏱️",
  cancelled: "⏹️",
};

export function writeSummary(
  summary: SummaryBuilder,
  report: DeployReport,
  outcomes: readonly ServiceOutcome[],
): void {
  const deployed = report.taskDefinitionArn ? revisionLabel(report.taskDefinitionArn) : "nothing";
  const services = report.services.map((s) => s.name).join(", ");
  summary.heading(
    report.status === "registered"
      ? `${ICON.registered} ECS task definition ${deployed} registered; not deployed to ${services} (register-only)`
      : `${ICON[report.status] ?? ""} ECS deploy ${report.status}: ${deployed} to ${services}`.trim(),
    2,
  );
  summary.paragraph(
    `Cluster \`${report.cluster}\` · ${report.registered ? `registered \`${deployed}\`` : `reused \`${deployed}\` (nothing registered)`} · took ${formatDuration(report.durationSeconds * 1000)}`,
  );
  summary.table(
    ["Service", "Result", "What happened", "Rollback target"],
    report.services.map((s) => {
      const target = report.rollbackTargets[s.name];
      return [
        s.name,
        `${ICON[s.status] ?? ""} ${s.status}`,
        s.reason,
        target
          ? `${revisionLabel(target.taskDefinitionArn)}${target.images.length ? ` (${target.images.map((i) => `${i.container}: ${i.digest ?? i.image}`).join(", ")})` : ""}`
          : "none",
      ];
    }),
  );
  if (Object.keys(report.images).length > 0) {
    summary.details(
      report.status === "registered" ? "Images of the registered revision" : "Images deployed",
      new SummaryBuilder().table(
        ["Container", "Image"],
        Object.entries(report.images).map(([container, image]) => [container, image]),
      ),
    );
  }
  for (const outcome of outcomes) {
    const timeline = outcome.rollout?.timeline ?? [];
    if (timeline.length > 1) {
      const start = timeline[0]?.at ?? 0;
      summary.details(
        `Rollout of ${outcome.name} (${outcome.rollout?.polls ?? 0} polls)`,
        new SummaryBuilder().table(
          ["After", "Service deployment"],
          timeline.map((t) => [formatDuration(t.at - start), t.what]),
        ),
      );
    }
    if (outcome.evidence) {
      summary.heading(
        `Why ${outcome.name} ${outcome.status === "timed-out" ? "did not finish" : "failed"}`,
        3,
      );
      summary.paragraph(`${outcome.reason}\n\n**Next:** ${failureFix(outcome.evidence)}`);
      summarizeFailureEvidence(summary, outcome.evidence);
    }
  }
  const mixed = report.taskDefinitionArn ? mixedState(outcomes, report.taskDefinitionArn) : undefined;
  if (mixed) summary.paragraph(`⚠️ ${mixed.what} ${mixed.next}`);
  if (report.deregistered.length > 0) {
    summary.paragraph(
      `Deregistered old revisions: ${report.deregistered.map((a) => `\`${revisionLabel(a)}\``).join(", ")}.`,
    );
  }
}

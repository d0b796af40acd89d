// What an ecs-deploy run tells, in one place: the `report` JSON and the other outputs (the deploy
// record among them), the step summary, the GitHub deployment's final status, and the error the step
// fails with.

import type { CodeDeployReport } from "@shipline/core/codedeploy/deployment";
import {
  type DeployOutcome,
  type DeployRevision,
  plannedImages,
  type ServiceOutcome,
} from "@shipline/core/ecs/deploy-execute";
import type { DeployPlan, ServicePlan } from "@shipline/core/ecs/deploy-plan";
import { deployRecord } from "@shipline/core/ecs/deploy-record";
import { failureFix, summarizeFailureEvidence } from "@shipline/core/ecs/failure-explainer";
import type { TaskDefinitionChange } from "@shipline/core/ecs/plan-diff";
import type { RollbackTarget } from "@shipline/core/ecs/service-snapshot";
import { perServiceOutput } from "@shipline/core/ecs/services-input";
import { writeStepSummary } from "@shipline/core/ecs/step-summary";
import type { StepReport } from "@shipline/core/ecs/step-watch";
import { revisionLabel } from "@shipline/core/ecs/task-definition";
import { CancelledError, UserError } from "@shipline/core/runtime/errors";
import { formatDuration } from "@shipline/core/runtime/format";
import type { ActionContext } from "@shipline/core/runtime/run";
import { SummaryBuilder } from "@shipline/core/runtime/summary";
import { outputSpec } from "./outputs";
import type { Preview } from "./phases/preview";
import type { GitHubDeploymentRecord } from "./phases/record";
import type { Settings } from "./settings";
import {
  type TrafficStepsJson,
  trafficStepsJson,
  writeCodeDeploySummary,
  writeTrafficSummary,
} from "./traffic-report";

export type DeployStatus = "planned" | "registered" | DeployOutcome["status"];

export interface ServiceReport {
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
  /** A native strategy's steps as shipline judged them, with the new revision's exposure. */
  steps?: StepReport;
}

/** The `report` output. */
export interface DeployReport {
  status: DeployStatus;
  /** When the run began (ISO): the health-gate watch's log baseline ends here. */
  startedAt?: string;
  cluster: string;
  taskDefinitionArn: string | undefined;
  /** True when this run registered the task definition. */
  registered: boolean;
  rollbackTargets: Record<string, RollbackTarget | null>;
  changes: TaskDefinitionChange[];
  services: ServiceReport[];
  images: Record<string, string>;
  deregistered: string[];
  githubDeploymentId: number | null;
  planCommentUrl: string | null;
  durationSeconds: number;
  /** Shipline-driven traffic steps, when `traffic-rule` was given and the service was updated. */
  trafficSteps?: TrafficStepsJson;
  /** The CodeDeploy deployment, with `codedeploy-application`. */
  codeDeploy?: Omit<CodeDeployReport, "judgement"> & { failedChecks: string[] };
}

/** How a run ended: the dry run, a registration only, or a deploy with its outcome. */
export type Finished =
  | { mode: "preview"; plan: DeployPlan; preview: Preview }
  | { mode: "register-only"; plan: DeployPlan; revision: DeployRevision }
  | {
      mode: "deploy";
      plan: DeployPlan;
      revision: DeployRevision;
      outcome: DeployOutcome;
      deployment: GitHubDeploymentRecord | undefined;
      deregistered: string[];
    };

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

function evidenceReport(outcome: ServiceOutcome): Pick<ServiceReport, "events" | "stoppedTasks"> {
  if (!outcome.evidence) return {};
  return {
    events: outcome.evidence.events.map((e) => e.message),
    stoppedTasks: outcome.evidence.stoppedTasks.map((t) => ({
      taskArn: t.taskArn,
      stopCode: t.stopCode ?? null,
      stoppedReason: t.stoppedReason ?? null,
      containers: t.containers.map((c) => ({
        name: c.name,
        exitCode: c.exitCode ?? null,
        reason: c.reason ?? null,
        logTail: c.logTail,
      })),
    })),
  };
}

export function serviceReport(outcome: ServiceOutcome, why: string): ServiceReport {
  const entry: ServiceReport = {
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
  Object.assign(entry, evidenceReport(outcome));
  if (outcome.cancelAction) entry.cancelAction = outcome.cancelAction;
  if (outcome.steps) entry.steps = outcome.steps;
  return entry;
}

function plannedService(plan: ServicePlan, status: string, reason: string): ServiceReport {
  const { name, action } = plan;
  return { name, action: action.kind, why: action.why, status, reason, serviceDeploymentArn: null };
}

/** The `report` output of a run, from how it ended. */
export function reportOf(finished: Finished, durationSeconds: number): DeployReport {
  const { plan } = finished;
  const base = {
    cluster: plan.cluster,
    rollbackTargets: Object.fromEntries(plan.services.map((s) => [s.name, s.rollbackTarget ?? null])),
    changes: plan.changes,
    images: plannedImages(plan),
    deregistered: [] as string[],
    githubDeploymentId: null,
    planCommentUrl: null,
    durationSeconds,
  };
  if (finished.mode === "preview") {
    const services = plan.services.map((s) => plannedService(s, "planned", s.action.why));
    const planCommentUrl = finished.preview.commentUrl ?? null;
    return {
      ...base,
      status: "planned",
      taskDefinitionArn: plan.reuse?.arn,
      registered: false,
      services,
      planCommentUrl,
    };
  }
  const { revision } = finished;
  const deployed = { taskDefinitionArn: revision.arn, registered: revision.registered };
  if (finished.mode === "register-only") {
    const reason = "register-only: a later ecs-deploy step updates the services";
    const services = plan.services.map((s) => plannedService(s, "not updated", reason));
    return { ...base, ...deployed, status: "registered", services };
  }
  const { outcome } = finished;
  const why = (name: string) => plan.services.find((s) => s.name === name)?.action.why ?? "";
  return {
    ...base,
    ...deployed,
    status: outcome.status,
    services: outcome.services.map((o) => serviceReport(o, why(o.name))),
    images: outcome.images,
    deregistered: finished.deregistered,
    githubDeploymentId: finished.deployment?.id ?? null,
    ...(outcome.trafficSteps ? { trafficSteps: trafficStepsJson(outcome.trafficSteps) } : {}),
    ...(outcome.codeDeploy ? { codeDeploy: codeDeployJson(outcome.codeDeploy) } : {}),
  };
}

function codeDeployJson(report: CodeDeployReport): NonNullable<DeployReport["codeDeploy"]> {
  const { judgement, ...rest } = report;
  return { ...rest, failedChecks: judgement?.failedChecks ?? [] };
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

function targetCell(target: RollbackTarget | null | undefined): string {
  if (!target) return "none";
  const images = target.images.map((i) => `${i.container}: ${i.digest ?? i.image}`).join(", ");
  return `${revisionLabel(target.taskDefinitionArn)}${images ? ` (${images})` : ""}`;
}

function rolloutDetails(summary: SummaryBuilder, outcome: ServiceOutcome, cluster: string): void {
  if (outcome.steps) {
    writeStepSummary(summary, outcome.name, outcome.steps, {
      startedAt: outcome.rollout?.watch.startedAt ?? outcome.steps.steps[0]?.at ?? 0,
      serviceDeploymentArn: outcome.serviceDeploymentArn,
      cluster,
    });
  }
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
    summary.heading(`Why ${outcome.name} ${outcome.status === "timed-out" ? "did not finish" : "failed"}`, 3);
    summary.paragraph(`${outcome.reason}\n\n**Next:** ${failureFix(outcome.evidence)}`);
    summarizeFailureEvidence(summary, outcome.evidence);
  }
}

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
    report.services.map((s) => [
      s.name,
      `${ICON[s.status] ?? ""} ${s.status}`,
      s.reason,
      targetCell(report.rollbackTargets[s.name]),
    ]),
  );
  if (Object.keys(report.images).length > 0) {
    summary.details(
      report.status === "registered" ? "Images of the registered revision" : "Images deployed",
      new SummaryBuilder().table(["Container", "Image"], Object.entries(report.images)),
    );
  }
  if (report.trafficSteps) writeTrafficSummary(summary, report.trafficSteps);
  if (report.codeDeploy) writeCodeDeploySummary(summary, report.codeDeploy);
  for (const outcome of outcomes) rolloutDetails(summary, outcome, report.cluster);
  const mixed = report.taskDefinitionArn ? mixedState(outcomes, report.taskDefinitionArn) : undefined;
  if (mixed) summary.paragraph(`⚠️ ${mixed.what} ${mixed.next}`);
  if (report.deregistered.length > 0) {
    summary.paragraph(
      `Deregistered old revisions: ${report.deregistered.map((a) => `\`${revisionLabel(a)}\``).join(", ")}.`,
    );
  }
}

function badOf(outcome: DeployOutcome): ServiceOutcome[] {
  return outcome.services.filter((o) => o.status === "failed" || o.status === "timed-out");
}

/** The deploy's failure, as the step reports it (undefined when it went well). */
export function deployFailure(outcome: DeployOutcome): unknown {
  if (outcome.interruption?.kind === "cancelled") return new CancelledError(outcome.interruption.message);
  if (outcome.interruption) return outcome.interruption.error;
  // An update refused for a reason neither the user's nor AWS's (a bug) is raised once the others
  // are accounted for.
  if (outcome.unexpected !== undefined) return outcome.unexpected;
  const bad = badOf(outcome);
  const first = bad[0];
  if (!first) return undefined;
  const arn = outcome.taskDefinitionArn;
  const mixed = mixedState(outcome.services, arn);
  const fix =
    first.fix ??
    (first.status === "timed-out"
      ? "Raise `wait-timeout` if the rollout is only slow (ECS carries on with it; the events above show where it is); if its tasks keep failing, read the stopped tasks above."
      : first.evidence
        ? failureFix(first.evidence)
        : "Look at the service's events in the ECS console.");
  return new UserError(
    `The deployment of ${revisionLabel(arn)} ${outcome.status === "timed-out" ? "did not finish" : "failed"}: ${bad.map((o) => `${o.name}: ${o.reason}`).join(" ")}${mixed ? ` ${mixed.what}` : ""}`,
    { fix: [fix, mixed?.next].filter(Boolean).join(" ") },
  );
}

/** The GitHub deployment's final status and description. */
async function finishDeployment(
  deployment: GitHubDeploymentRecord,
  outcome: DeployOutcome,
  settings: Settings,
  services: readonly string[],
): Promise<void> {
  if (outcome.interruption?.kind === "error") {
    await deployment.set("error", "shipline ecs-deploy stopped with an error").catch(() => undefined);
    return;
  }
  if (outcome.interruption?.kind === "cancelled") {
    const what = settings.follow.rollbackOnCancel ? "ECS asked to roll back" : "ECS left rolling out";
    await deployment.set("error", `Cancelled; ${what}`).catch(() => undefined);
    return;
  }
  const bad = badOf(outcome);
  if (bad.length > 0) {
    await deployment.set(
      "failure",
      `${outcome.status}: ${bad.map((o) => `${o.name}: ${o.reason}`).join("; ")}`,
    );
    return;
  }
  const started = outcome.status === "started";
  const label = revisionLabel(outcome.taskDefinitionArn);
  await deployment.set(
    started ? "in_progress" : "success",
    `${label} ${started ? "rolling out" : "rolled out"} on ${services.join(", ")}`,
    started ? undefined : { kind: "rolled-out" },
  );
}

/** Sets every output, writes the summary and the GitHub status, then fails the step if the run failed. */
export async function publish(
  context: ActionContext,
  settings: Settings,
  startedAt: number,
  finished: Finished,
): Promise<void> {
  const report: DeployReport = {
    ...reportOf(finished, Math.round((context.clock.now() - startedAt) / 100) / 10),
    startedAt: new Date(startedAt).toISOString(),
  };
  const names = finished.plan.services.map((s) => s.name);
  const previous = Object.fromEntries(
    finished.plan.services.map((s) => [s.name, s.rollbackTarget?.taskDefinitionArn]),
  );
  const deployments = Object.fromEntries(
    report.services.map((s) => [s.name, s.serviceDeploymentArn ?? undefined]),
  );
  context.outputs(outputSpec).setAll({
    "task-definition-arn": report.taskDefinitionArn ?? "",
    "previous-task-definition-arn": perServiceOutput(names, previous),
    "service-deployment-arn": perServiceOutput(names, deployments),
    images: report.images,
    status: report.status,
    "duration-seconds": String(report.durationSeconds),
    report,
    "codedeploy-deployment-id": report.codeDeploy?.deploymentId ?? "",
    "deploy-record": finished.mode === "deploy" ? deployRecord(finished.plan, finished.outcome) : "",
    "deployment-id": finished.mode === "deploy" && finished.deployment ? String(finished.deployment.id) : "",
  });
  if (finished.mode === "preview") {
    context.summary.raw(finished.preview.markdown);
    if (finished.preview.commentError !== undefined) throw finished.preview.commentError;
    return;
  }
  writeSummary(context.summary, report, finished.mode === "deploy" ? finished.outcome.services : []);
  if (finished.mode !== "deploy") return;
  if (finished.deployment) await finishDeployment(finished.deployment, finished.outcome, settings, names);
  const failure = deployFailure(finished.outcome);
  if (failure !== undefined) throw failure;
}

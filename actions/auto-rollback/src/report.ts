// What an auto-rollback run tells, in one place: the `report` JSON and the other outputs, the step
// summary with its timeline, the GitHub records (the bad deployment marked failed, the restored one
// recorded, the incident issue), and the error the step fails with.
import type { RollbackOutcome, ServiceRollbackResult } from "@shipline/core/ecs/rollback-execute";
import type { RollbackPlan } from "@shipline/core/ecs/rollback-plan";
import { perServiceOutput } from "@shipline/core/ecs/services-input";
import { revisionLabel } from "@shipline/core/ecs/task-definition";
import { createGitHubClient, type GitHubClient, repoFromEnv, runUrl } from "@shipline/core/github/client";
import { CancelledError, errorMessage, UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";
import { cell, SummaryBuilder } from "@shipline/core/runtime/summary";
import { markDeployments, upsertIncident } from "./github-records";
import { outputSpec } from "./outputs";
import type { Evidence, GitHubSettings, Settings } from "./settings";

export interface TimelineEntry {
  at: string | null;
  service: string;
  what: string;
}

export interface RollbackReport {
  rolledBack: boolean;
  cluster: string;
  services: {
    name: string;
    from: string | null;
    to: string;
    targetSource: string;
    action: string;
    why: string;
    rolledBack: boolean;
    reason: string;
    serviceDeploymentArn: string | null;
    verification: string | null;
  }[];
  evidence: Evidence;
  timeline: TimelineEntry[];
  githubDeployments: { failed: number[]; restored: number | null };
  incidentIssueUrl: string | null;
  durationSeconds: number;
}

function iso(date: Date | undefined): string | null {
  return date ? date.toISOString() : null;
}

/**
 * Bad deploy started, verdict, rollback started, restored, verified: in that order, per service.
 * Each time comes from its source: ECS for the deployments (exact, where the runner would only see a
 * change at its next poll), health-gate's report for the verdict, the runner for the verification
 * (ECS has no time for it). In real use these are all wall clocks and agree to about a second; the
 * entries are listed in the order things happen, never sorted by time, so a skew cannot reorder them.
 * (Against the simulator's scaled clock the ECS times run ahead of the runner's.)
 */
export function timelineOf(results: readonly ServiceRollbackResult[], evidence: Evidence): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  for (const r of results) {
    const name = r.plan.name;
    if (r.plan.bad) {
      entries.push({
        at: iso(r.plan.badStartedAt),
        service: name,
        what: `bad deploy of ${revisionLabel(r.plan.bad)} started`,
      });
    }
  }
  if (evidence.verdict || evidence.reason) {
    entries.push({
      at: evidence.healthReportFinishedAt ?? null,
      service: "",
      what: `health verdict ${evidence.verdict ?? "?"}${evidence.reason ? `: ${evidence.reason}` : ""}`,
    });
  }
  for (const r of results) {
    const name = r.plan.name;
    const to = revisionLabel(r.plan.target.taskDefinitionArn);
    if (r.action === "superseded") {
      entries.push({ at: null, service: name, what: `not rolled back: ${r.plan.action.why}` });
      continue;
    }
    if (r.action === "none") {
      entries.push({ at: iso(r.verifiedAt), service: name, what: `already on ${to}; verified` });
      continue;
    }
    entries.push({
      at: iso(r.rollbackStartedAt),
      service: name,
      what:
        r.action === "stop"
          ? `rollback started (StopServiceDeployment ROLLBACK) to ${to}`
          : r.plan.action.kind === "follow-ecs"
            ? r.plan.action.rollout === "rollback"
              ? `ECS rolling back to ${to}`
              : `rollout of ${to} already in progress, followed`
            : `rollback started (UpdateService) to ${to}`,
    });
    if (r.restoredAt)
      entries.push({
        at: iso(r.restoredAt),
        service: name,
        what: `${to} restored (${r.rollout?.status ?? "done"})`,
      });
    if (r.verifiedAt)
      entries.push({
        at: iso(r.verifiedAt),
        service: name,
        what: `verified: ${r.verification?.detail ?? ""}`,
      });
    if (!r.rolledBack) entries.push({ at: null, service: name, what: `not restored: ${r.reason}` });
  }
  return entries;
}

function mermaidTimeline(entries: readonly TimelineEntry[]): string {
  const clean = (s: string) => s.replace(/[:#;]/g, " ").replace(/\s+/g, " ").trim();
  const lines = ["timeline", "  title Rollback"];
  for (const e of entries) {
    const time = e.at ? e.at.slice(11, 19) : "—";
    lines.push(`  ${time} : ${clean(`${e.service ? `${e.service} ` : ""}${e.what}`).slice(0, 120)}`);
  }
  return lines.join("\n");
}

export function timelineTable(entries: readonly TimelineEntry[]): string {
  return [
    "| When (UTC) | Service | What |",
    "| --- | --- | --- |",
    ...entries.map((e) => `| ${e.at ?? ""} | ${cell(e.service)} | ${cell(e.what)} |`),
  ].join("\n");
}

function evidenceSection(builder: SummaryBuilder, evidence: Evidence): void {
  if (evidence.verdict || evidence.reason) {
    builder.paragraph(
      `**Health verdict:** ${evidence.verdict ?? "not given"}${evidence.reason ? ` — ${evidence.reason}` : ""}`,
    );
  }
  if (evidence.failedChecks.length > 0) {
    builder.table(
      ["Failed check", "Measured"],
      evidence.failedChecks.map((c) => [c.name, c.summary]),
    );
  }
  const destructive = evidence.migrations.filter((m) => m.destructive);
  if (destructive.length > 0 || evidence.destructive) {
    builder.paragraph(
      `**Destructive migrations** ${evidence.forced ? "(rolled back anyway: force)" : ""}: ${destructive.map((m) => `\`${m.file}\``).join(", ") || "reported by migrate"}${evidence.snapshotId ? `; snapshot \`${evidence.snapshotId}\`` : ""}.`,
    );
  }
}

/** Every service was left as it is: the bad revision was already superseded everywhere. */
function nothingToDo(services: readonly { action: string }[]): boolean {
  return services.length > 0 && services.every((s) => s.action === "superseded");
}

function titleOf(report: RollbackReport): string {
  if (nothingToDo(report.services)) return "⏭️ Nothing rolled back, the bad revision was already superseded";
  if (report.rolledBack || report.services.every((s) => s.rolledBack || s.action === "superseded"))
    return "✅ Rolled back and verified";
  return "❌ Rollback not verified";
}

export function writeSummary(summary: SummaryBuilder, report: RollbackReport): void {
  const title = titleOf(report);
  summary.heading(
    `${title}: ${report.services.map((s) => `${s.name} ${s.from ? revisionLabel(s.from) : "?"} ${s.action === "superseded" ? "left as it is" : `→ ${revisionLabel(s.to)}`}`).join(", ")}`,
    2,
  );
  summary.table(
    ["Service", "From", "To", "Target from", "How", "Result"],
    report.services.map((s) => [
      s.name,
      s.from ? revisionLabel(s.from) : "",
      revisionLabel(s.to),
      s.targetSource,
      s.why,
      `${s.rolledBack ? "✅" : s.action === "superseded" ? "⏭️" : "❌"} ${s.reason}`,
    ]),
  );
  summary.heading("Timeline", 3);
  summary.mermaid(mermaidTimeline(report.timeline));
  summary.raw(timelineTable(report.timeline));
  evidenceSection(summary, report.evidence);
  if (report.incidentIssueUrl) summary.paragraph(`Incident: ${report.incidentIssueUrl}`);
}

export function incidentBody(
  report: RollbackReport,
  context: {
    environment: string | undefined;
    runUrl: string | undefined;
    healthReport: Record<string, unknown> | undefined;
  },
): string {
  const builder = new SummaryBuilder();
  const where = context.environment
    ? `${context.environment} (cluster \`${report.cluster}\`)`
    : `cluster \`${report.cluster}\``;
  builder.paragraph(
    `auto-rollback ${report.rolledBack ? "rolled back and verified" : "tried to roll back"} ${report.services
      .map(
        (s) => `\`${s.name}\` from \`${s.from ? revisionLabel(s.from) : "?"}\` to \`${revisionLabel(s.to)}\``,
      )
      .join(", ")} in ${where}${context.runUrl ? ` ([workflow run](${context.runUrl}))` : ""}.`,
  );
  builder.heading("Timeline", 3);
  builder.raw(timelineTable(report.timeline));
  builder.heading("Evidence", 3);
  evidenceSection(builder, report.evidence);
  for (const s of report.services) {
    builder.paragraph(`- \`${s.name}\`: ${s.reason}`);
  }
  if (context.healthReport) {
    builder.details(
      "health-gate report",
      new SummaryBuilder().code(JSON.stringify(context.healthReport, null, 2), "json"),
    );
  }
  builder.heading("Next", 3);
  builder.list([
    "Find the cause in the evidence above and the bad revision's logs.",
    "Fix forward: a new commit goes through the pipeline again; this issue stays open until someone closes it.",
  ]);
  return builder.toMarkdown();
}

/** The `report` output before the GitHub records are written. */
export function reportOf(plan: RollbackPlan, outcome: RollbackOutcome, evidence: Evidence): RollbackReport {
  return {
    rolledBack: outcome.rolledBack,
    cluster: plan.cluster,
    services: outcome.services.map((r) => ({
      name: r.plan.name,
      from: r.plan.bad ?? null,
      to: r.plan.target.taskDefinitionArn,
      targetSource: r.plan.target.source,
      action: r.action,
      why: r.plan.action.why,
      rolledBack: r.rolledBack,
      reason: r.reason,
      serviceDeploymentArn: r.serviceDeploymentArn ?? null,
      verification: r.verification?.detail ?? null,
    })),
    evidence,
    timeline: timelineOf(outcome.services, evidence),
    githubDeployments: { failed: [], restored: null },
    incidentIssueUrl: null,
    durationSeconds: 0,
  };
}

interface GitHubWrite<T> {
  value: T;
  /** What could not be written, for the step's error. */
  problem?: string;
}

function badRevisions(plan: RollbackPlan): string[] {
  return [...new Set(plan.services.map((p) => p.bad).filter((b): b is string => Boolean(b)))];
}

async function markOnGitHub(
  context: ActionContext,
  github: GitHubClient,
  environment: string,
  plan: RollbackPlan,
  report: RollbackReport,
): Promise<GitHubWrite<RollbackReport["githubDeployments"]>> {
  const { logger } = context;
  const target = plan.services[0]?.target.taskDefinitionArn ?? "";
  const reason = report.evidence.reason;
  return logger.group(`Mark the GitHub deployments of ${environment}`, async () => {
    try {
      const marks = await markDeployments(github, repoFromEnv(context.env), {
        environment,
        env: context.env,
        bad: badRevisions(plan),
        target,
        restored: report.rolledBack,
        description: `Rolled back to ${revisionLabel(target)} by auto-rollback${reason ? `: ${reason}` : ""}`,
      });
      logger.info(
        `Deployments marked failed: ${marks.failed.join(", ") || "none found for the bad revision"}; restored revision recorded: ${marks.restored ?? (marks.unrecorded ? `no, ${marks.unrecorded}` : "no (already recorded, or not verified)")}.`,
      );
      return { value: { failed: marks.failed, restored: marks.restored ?? null } };
    } catch (error) {
      const problem = `the GitHub deployment statuses could not be written (${errorMessage(error)})`;
      return { value: report.githubDeployments, problem };
    }
  });
}

async function openIncident(
  context: ActionContext,
  github: GitHubClient,
  settings: Settings,
  plan: RollbackPlan,
  report: RollbackReport,
): Promise<GitHubWrite<string | null>> {
  const { logger } = context;
  const incident = settings.github?.incident ?? { title: undefined, labels: [] };
  const environment = settings.github?.environment;
  const names = plan.services.map((p) => p.name);
  const bad = badRevisions(plan).map(revisionLabel);
  const target = revisionLabel(plan.services[0]?.target.taskDefinitionArn ?? "");
  const title =
    incident.title ??
    `Rollback: ${names.join(", ")} ${environment ? `in ${environment}` : `in ${plan.cluster}`} from ${bad.join(", ") || "?"} to ${target}`;
  return logger.group("Open the incident issue", async () => {
    try {
      const issue = await upsertIncident(github, repoFromEnv(context.env), {
        key: `incident:${plan.cluster}:${names.join(",")}:${bad.join(",")}`,
        title,
        labels: incident.labels,
        body: incidentBody(report, {
          environment,
          runUrl: runUrl(context.env),
          healthReport: settings.healthReport,
        }),
      });
      logger.info(`${issue.created ? "Opened" : "Updated"} incident issue #${issue.number}: ${issue.url}`);
      return { value: issue.url };
    } catch (error) {
      return { value: null, problem: `the incident issue could not be written (${errorMessage(error)})` };
    }
  });
}

/** The GitHub deployments marked and the incident written, with what could not be written. */
async function recordOnGitHub(
  context: ActionContext,
  settings: GitHubSettings | undefined,
  all: Settings,
  plan: RollbackPlan,
  report: RollbackReport,
): Promise<{ report: RollbackReport; problems: string[] }> {
  if (!settings) return { report, problems: [] };
  const github = createGitHubClient(settings.token, { logger: context.logger });
  const problems: string[] = [];
  let written = report;
  if (settings.environment) {
    const marks = await markOnGitHub(context, github, settings.environment, plan, written);
    if (marks.problem) problems.push(marks.problem);
    written = { ...written, githubDeployments: marks.value };
  }
  if (settings.incident) {
    const issue = await openIncident(context, github, all, plan, written);
    if (issue.problem) problems.push(issue.problem);
    written = { ...written, incidentIssueUrl: issue.value };
  }
  return { report: written, problems };
}

/** The rollback's failure, as the step reports it (undefined when every service was verified). */
export function rollbackFailure(outcome: RollbackOutcome, problems: readonly string[]): unknown {
  // Neither a UserError nor an AWS failure the user can act on: a bug, raised once the rest is reported.
  if (outcome.unexpected !== undefined) return outcome.unexpected;
  // A superseded service was left as it is on purpose: not a failed rollback.
  const failed = outcome.services.filter((r) => !r.rolledBack && r.action !== "superseded");
  if (failed.length > 0) {
    const retry =
      outcome.awsFixes.length > 0
        ? ["A re-run follows a rollback ECS already has in flight instead of starting another."]
        : [];
    return new UserError(`The rollback was not verified: ${failed.map((r) => r.reason).join(" ")}`, {
      fix: [
        "The service is not on a known good revision: look at its events and tasks in the ECS console now, and roll back by hand (aws ecs update-service --task-definition <good revision>) if needed.",
        ...outcome.awsFixes,
        ...retry,
      ].join(" "),
    });
  }
  if (problems.length === 0) return undefined;
  return new UserError(`The service was rolled back and verified, but ${problems.join("; ")}.`, {
    fix: "Give the job `deployments: write` and `issues: write` permissions (or remove `environment` / `incident-issue`).",
  });
}

/** Writes the GitHub records, every output and the summary, then fails the step if the rollback failed. */
export async function publish(
  context: ActionContext,
  settings: Settings,
  startedAt: number,
  plan: RollbackPlan,
  outcome: RollbackOutcome,
): Promise<void> {
  // A cancelled rollback is still in ECS's hands: nothing is reported as done.
  if (outcome.cancelled) throw new CancelledError(outcome.cancelled);
  const unrecorded = reportOf(plan, outcome, settings.evidence);
  // Nothing was changed anywhere: no deployment to mark or record, and no rollback to open an
  // incident about. The warnings already say why; the step succeeds.
  const skipGitHub = nothingToDo(unrecorded.services);
  if (skipGitHub && settings.github) {
    context.logger.info(
      "Nothing was rolled back, so no GitHub deployment status, deployment or incident issue is written.",
    );
  }
  const recorded = skipGitHub
    ? { report: unrecorded, problems: [] }
    : await recordOnGitHub(context, settings.github, settings, plan, unrecorded);
  const report = {
    ...recorded.report,
    durationSeconds: Math.round((context.clock.now() - startedAt) / 100) / 10,
  };
  const names = plan.services.map((p) => p.name);
  const perService = (value: (r: ServiceRollbackResult) => string | undefined) =>
    perServiceOutput(names, Object.fromEntries(outcome.services.map((r) => [r.plan.name, value(r)])));
  context.outputs(outputSpec).setAll({
    "rolled-back": report.rolledBack ? "true" : "false",
    "task-definition-arn": perService((r) =>
      r.action === "superseded" ? undefined : r.plan.target.taskDefinitionArn,
    ),
    "rolled-back-from": perService((r) => r.plan.bad),
    "service-deployment-arn": perService((r) => r.serviceDeploymentArn),
    action: perService((r) => r.action),
    "incident-issue-url": report.incidentIssueUrl ?? "",
    "duration-seconds": String(report.durationSeconds),
    report,
  });
  writeSummary(context.summary, report);
  const failure = rollbackFailure(outcome, recorded.problems);
  if (failure !== undefined) throw failure;
}

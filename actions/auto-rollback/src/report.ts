// The rollback's report (the `report` output), its timeline, the step summary and the incident body.
import { revisionLabel } from "@shipline/core/ecs/task-definition";
import { cell, SummaryBuilder } from "@shipline/core/runtime/summary";
import type { ServiceRollbackResult } from "./restore";

export interface TimelineEntry {
  at: string | null;
  service: string;
  what: string;
}

export interface Evidence {
  verdict: string | undefined;
  reason: string | undefined;
  failedChecks: { name: string; summary: string }[];
  healthReportFinishedAt: string | undefined;
  migrations: { file: string; destructive: boolean }[];
  destructive: boolean;
  forced: boolean;
  snapshotId: string | undefined;
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

/** Reads the parts of a health-gate report an incident needs; anything missing is left out. */
export function evidenceFromHealthReport(
  report: Record<string, unknown> | undefined,
): Pick<Evidence, "reason" | "failedChecks" | "healthReportFinishedAt"> & { verdict?: string } {
  if (!report) return { reason: undefined, failedChecks: [], healthReportFinishedAt: undefined };
  const checks = Array.isArray(report.checks) ? (report.checks as Record<string, unknown>[]) : [];
  const failedChecks = checks
    .filter((c) => c.status === "fail")
    .map((c) => ({ name: String(c.name ?? "?"), summary: String(c.summary ?? "") }));
  return {
    ...(typeof report.verdict === "string" ? { verdict: report.verdict } : {}),
    reason: typeof report.reason === "string" ? report.reason : undefined,
    failedChecks,
    healthReportFinishedAt: typeof report.finishedAt === "string" ? report.finishedAt : undefined,
  };
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

export function writeSummary(summary: SummaryBuilder, report: RollbackReport): void {
  const title = report.rolledBack ? "✅ Rolled back and verified" : "❌ Rollback not verified";
  summary.heading(
    `${title}: ${report.services.map((s) => `${s.name} ${s.from ? revisionLabel(s.from) : "?"} → ${revisionLabel(s.to)}`).join(", ")}`,
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
      `${s.rolledBack ? "✅" : "❌"} ${s.reason}`,
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

// One migration run as values: how the lint judges the files, whether to back up first, what is
// pending and whether it is destructive, and the outcome the action renders (outputs, report JSON,
// summary). Pure, so another action (preflight, auto-rollback) can ask the same questions.
import { UserError } from "../runtime/errors";
import type { DatabaseKind } from "./backup";
import { type LintTotals, lintTotals } from "./lint";
import type { AppliedMigration } from "./sql-runner";
import type { MigrationReport } from "./types";

export type MigrationMode = "lint" | "sql" | "command" | "ecs-task";
export type LintFailOn = "error" | "warning" | "never";
export type BackupPolicy = "never" | "always" | "if-destructive";

// ---- the lint gate ----

/** How the lint judges the files in scope. */
export interface LintVerdict {
  /** Findings at or above the fail-on level: the run stops when there is one. */
  failing: number;
  /** Files with at least one finding. */
  filesWithFindings: number;
  failOn: LintFailOn;
}

export function judgeLint(reports: readonly MigrationReport[], failOn: LintFailOn): LintVerdict {
  const totals = lintTotals(reports);
  const failing =
    failOn === "never" ? 0 : failOn === "warning" ? totals.errors + totals.warnings : totals.errors;
  return { failing, filesWithFindings: reports.filter((r) => r.findings.length > 0).length, failOn };
}

/** The error a failing lint stops the run with; undefined when it passes. */
export function lintFailure(verdict: LintVerdict): UserError | undefined {
  const { failing, filesWithFindings: files } = verdict;
  if (failing === 0) return undefined;
  return new UserError(
    `The migration lint found ${failing} problem${failing === 1 ? "" : "s"} at ${verdict.failOn} level or above in ${files} file${files === 1 ? "" : "s"}; nothing was applied.`,
    {
      fix: "Rewrite the statements as each annotation suggests, or, when a finding is intended, add `-- shipline-ignore: <rule> <reason>` above the statement.",
    },
  );
}

// ---- the backup ----

/** Whether to snapshot the database before applying, and why, in words for the log and summary. */
export type BackupDecision = { take: true; why: string } | { take: false; why?: string };

export function decideBackup(policy: BackupPolicy, destructive: boolean): BackupDecision {
  switch (policy) {
    case "never":
      return { take: false };
    case "always":
      return { take: true, why: "`backup: always`" };
    case "if-destructive":
      return destructive
        ? { take: true, why: "the pending migrations are destructive" }
        : { take: false, why: "none of the pending migrations is destructive (`backup: if-destructive`)" };
  }
}

export interface SnapshotTaken {
  snapshotId: string;
  /** False when an earlier attempt of the same workflow run took it. */
  created: boolean;
  kind: DatabaseKind;
  database: string;
  /** Why it was taken (the backup decision). */
  why: string;
  durationMs: number;
}

// ---- what the run did ----

/** The one-off task's end, as much of it as the run reports. */
export interface StoppedTask {
  taskArn: string;
  container: { name: string; exitCode: number | undefined };
  stopCode: string | undefined;
  stoppedReason: string | undefined;
  durationMs: number;
  succeeded: boolean;
  logTail: readonly { message: string }[];
}

/** What the run did, per mode: the evidence the summary shows. */
export type MigrationRun =
  | { kind: "sql-plan"; pending: { file: string; destructive: boolean }[] }
  | { kind: "sql-apply"; applied: AppliedMigration[] }
  | { kind: "sql-rollback"; downTo: string; undone: AppliedMigration[] }
  | { kind: "command"; command: string[]; exitCode: number; durationMs: number; lastLines: string[] }
  | { kind: "ecs-task"; task: StoppedTask };

export interface MigrationRunOutcome {
  mode: MigrationMode;
  /** The lint reports of the files in scope: the `migrations` output. */
  migrations: MigrationReport[];
  lint: LintTotals;
  /** Whether what this run applies (or would apply) drops or rewrites data. */
  destructive: boolean;
  /** Files pending before the run (sql: from the history; command, ecs-task: new in this change). */
  pending: string[];
  /** Files applied, in order, including those committed before a failing one. */
  applied: string[];
  /** Down files run, newest first, including those committed before a failing one. */
  rolledBack: string[];
  snapshot?: SnapshotTaken;
  /** The one-off task, once started (set even when following it failed). */
  taskArn?: string;
  run?: MigrationRun;
  /** What stopped the run: a lint failure, a refusal, a failed file or task, a cancellation. */
  failure?: unknown;
}

/** The run once the files are linted: nothing pending yet, nothing applied. */
export function lintedRun(
  mode: MigrationMode,
  inScope: MigrationReport[],
  failure?: UserError,
): MigrationRunOutcome {
  const lint = lintTotals(inScope);
  const outcome: MigrationRunOutcome = {
    mode,
    migrations: inScope,
    lint,
    destructive: lint.destructive,
    pending: [],
    applied: [],
    rolledBack: [],
  };
  if (failure) outcome.failure = failure;
  return outcome;
}

/** Command and ecs-task: the tool decides what is pending; the new files are what this run brings. */
export function withNewFilesPending(outcome: MigrationRunOutcome): MigrationRunOutcome {
  return { ...outcome, pending: outcome.migrations.map((m) => m.file) };
}

/** Sql: pending is what the history lacks; destructive when one of those files is. */
export function withSqlPending(
  outcome: MigrationRunOutcome,
  pending: readonly { file: string }[],
  destructiveFiles: ReadonlySet<string>,
): MigrationRunOutcome {
  return {
    ...outcome,
    pending: pending.map((m) => m.file),
    destructive: pending.some((m) => destructiveFiles.has(m.file)),
  };
}

/** Every file the lint found destructive, in scope or not (the sql plan may pend an older one). */
export function destructiveFiles(reports: readonly MigrationReport[]): Set<string> {
  return new Set(reports.filter((r) => r.destructive).map((r) => r.file));
}

/** A tool or task that succeeded applied whatever was pending. */
export function appliedByTool(outcome: MigrationRunOutcome, run: MigrationRun): MigrationRunOutcome {
  return { ...outcome, run, applied: outcome.pending };
}

/**
 * Runs one step of a migration run when the run has not failed yet; a step that throws becomes the
 * outcome's failure, so the outcome keeps everything the run did before it.
 */
export async function nextStep(
  outcome: MigrationRunOutcome,
  step: (outcome: MigrationRunOutcome) => Promise<MigrationRunOutcome>,
): Promise<MigrationRunOutcome> {
  if (outcome.failure !== undefined) return outcome;
  try {
    return await step(outcome);
  } catch (failure) {
    return { ...outcome, failure };
  }
}

// ---- the `report` output ----

export interface MigrationRunReport {
  mode: MigrationMode;
  lint: { files: number; errors: number; warnings: number; suppressed: number };
  destructive: boolean;
  pending: string[];
  applied: string[];
  rolledBack: string[];
  snapshotId?: string;
  taskArn?: string;
  /** The tool's or the task's exit code, when it succeeded. */
  exitCode?: number;
  durationMs?: number;
}

export function migrationRunReport(outcome: MigrationRunOutcome): MigrationRunReport {
  const { lint, run } = outcome;
  const report: MigrationRunReport = {
    mode: outcome.mode,
    lint: { files: lint.files, errors: lint.errors, warnings: lint.warnings, suppressed: lint.suppressed },
    destructive: outcome.destructive,
    pending: outcome.pending,
    applied: outcome.applied,
    rolledBack: outcome.rolledBack,
  };
  if (outcome.snapshot) report.snapshotId = outcome.snapshot.snapshotId;
  if (outcome.taskArn !== undefined) report.taskArn = outcome.taskArn;
  if (outcome.failure === undefined && run?.kind === "command") {
    report.exitCode = run.exitCode;
    report.durationMs = run.durationMs;
  }
  if (outcome.failure === undefined && run?.kind === "ecs-task") {
    report.exitCode = 0;
    report.durationMs = run.task.durationMs;
  }
  return report;
}

// migrate's inputs → settings, checked before anything runs: which inputs each mode needs and which it
// refuses, so a misconfigured run changes nothing. One function per kind of check.
import { type AwsSettings, awsSettingsFromInputs } from "@shipline/core/aws/inputs";
import { CommandLineError, splitCommandLine } from "@shipline/core/migrations/command-line";
import type { LayoutChoice } from "@shipline/core/migrations/discovery";
import { parseRuleLevels, type RuleLevels } from "@shipline/core/migrations/lint";
import type { BackupPolicy, LintFailOn } from "@shipline/core/migrations/run-outcome";
import { inputError } from "@shipline/core/runtime/inputs";
import type { Secrets } from "@shipline/core/runtime/secrets";
import type { Inputs, Mode } from "./inputs";

export interface LintSettings {
  /** False: the files are only read for the destructive flag, with no annotations and no gate. */
  enabled: boolean;
  scope: "new" | "all";
  baseRef: string | undefined;
  levels: RuleLevels;
  failOn: LintFailOn;
  layout: LayoutChoice;
  globs: string[];
  /** The PostgreSQL major the migrations run on; version-dependent rules follow it. */
  postgresVersion: number;
}

export interface SqlSettings {
  /** Say what is pending and apply nothing. */
  plan: boolean;
  /** Roll back to this version with the down files instead of applying. */
  downTo: string | undefined;
  historyTable: string;
  lockWaitMs: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

export interface BackupSettings {
  policy: BackupPolicy;
  /** The database to snapshot; set whenever the policy is not never. */
  target: { kind: "instance" | "cluster"; identifier: string } | undefined;
  timeoutMs: number;
}

export interface EcsTaskSettings {
  cluster: string;
  /** The service whose network configuration and launch settings the task copies. */
  service: string;
  taskDefinition: string;
  container: string | undefined;
}

export interface Settings {
  mode: Mode;
  /** As given (messages show it); the phases resolve it in the workspace. */
  workingDirectory: string;
  lint: LintSettings;
  /** The database URL and the variable the project's tool reads it from (command mode). */
  database: { url: string | undefined; env: string };
  /** The command as words (command mode, or the ecs-task container override). */
  command: string[] | undefined;
  sql: SqlSettings;
  backup: BackupSettings;
  ecsTask: EcsTaskSettings | undefined;
  timeoutMs: number;
  pollIntervalMs: number;
  logTailLines: number;
  aws: AwsSettings;
}

function refuse(name: string, given: unknown, message: string, fix: string): void {
  if (given !== undefined && given !== false) throw inputError(name, message, fix);
}

export function settingsFrom(inputs: Inputs, secrets: Secrets): Settings {
  // A URL carries its password in several printed forms (encoded, in the userinfo): mask them all.
  if (inputs.databaseUrl) secrets.addUrl(inputs.databaseUrl);
  const lint = lintSettingsFrom(inputs);
  const command = commandFrom(inputs);
  checkSqlOnlyInputs(inputs);
  if (inputs.mode === "lint") checkLintMode(inputs);
  if (inputs.mode === "sql") checkSqlMode(inputs);
  if (inputs.mode === "command" && !command) {
    throw inputError(
      "command",
      "it is required in mode command.",
      "Give the migration command, e.g. `npx prisma migrate deploy` or `alembic upgrade head`.",
    );
  }
  return {
    mode: inputs.mode,
    workingDirectory: inputs.workingDirectory,
    lint,
    database: { url: inputs.databaseUrl, env: inputs.databaseUrlEnv },
    command,
    sql: {
      plan: inputs.plan,
      downTo: inputs.downTo,
      historyTable: inputs.historyTable,
      lockWaitMs: inputs.lockWait,
      lockTimeoutMs: inputs.lockTimeout,
      statementTimeoutMs: inputs.statementTimeout,
    },
    ecsTask: ecsTaskFrom(inputs),
    backup: backupFrom(inputs),
    timeoutMs: inputs.timeout,
    pollIntervalMs: inputs.pollInterval,
    logTailLines: inputs.logTailLines,
    aws: awsSettingsFromInputs(inputs),
  };
}

function lintSettingsFrom(inputs: Inputs): LintSettings {
  let levels: RuleLevels;
  try {
    levels = parseRuleLevels(inputs.rules ?? {});
  } catch (error) {
    throw inputError(
      "rules",
      error instanceof Error ? `${error.message}.` : String(error),
      "Write one `rule-id=off|warn|error` per line; the rule ids are listed in the migrate README.",
    );
  }
  const globs = inputs.migrationsGlob ?? [];
  if (inputs.layout === "glob" && globs.length === 0) {
    throw inputError(
      "migrations-glob",
      "it is required when `layout` is glob.",
      "Give one or more patterns, such as db/migrations/*.sql.",
    );
  }
  if (globs.length > 0 && inputs.layout !== "glob" && inputs.layout !== "auto") {
    throw inputError(
      "migrations-glob",
      `it only applies to layout glob, not ${inputs.layout}.`,
      "Remove it, or set `layout: glob`.",
    );
  }
  return {
    enabled: inputs.lint,
    scope: inputs.lintScope,
    baseRef: inputs.baseRef,
    levels,
    failOn: inputs.failOn,
    // A glob given with the default layout means "these files", not "these as well".
    layout: inputs.layout === "auto" && globs.length > 0 ? "glob" : inputs.layout,
    globs,
    postgresVersion: Number(inputs.postgresVersion),
  };
}

function commandFrom(inputs: Inputs): string[] | undefined {
  if (inputs.command === undefined) return undefined;
  let command: string[];
  try {
    command = splitCommandLine(inputs.command);
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    throw inputError(
      "command",
      error.message,
      "Give the program and its arguments, e.g. `npx prisma migrate deploy`.",
    );
  }
  return command.length === 0 ? undefined : command;
}

function checkSqlOnlyInputs(inputs: Inputs): void {
  if (inputs.mode === "sql") return;
  refuse("plan", inputs.plan, "it only applies to mode sql.", "Remove it, or use `mode: sql`.");
  refuse("down-to", inputs.downTo, "it only applies to mode sql.", "Remove it, or use `mode: sql`.");
}

function checkLintMode(inputs: Inputs): void {
  if (!inputs.lint) {
    throw inputError(
      "lint",
      "it is false in mode lint, which only lints.",
      "Set `lint: true`, or choose a mode that applies migrations.",
    );
  }
  refuse("command", inputs.command, "it does nothing in mode lint.", "Remove it, or use `mode: command`.");
  if (inputs.backup !== "never") {
    throw inputError(
      "backup",
      "mode lint applies nothing, so there is nothing to back up for.",
      "Remove `backup`, or choose a mode that applies migrations.",
    );
  }
}

function checkSqlMode(inputs: Inputs): void {
  if (!inputs.databaseUrl) {
    throw inputError(
      "database-url",
      "it is required in mode sql.",
      "Pass the database URL from a repository or environment secret (`database-url: ` followed by the secrets expression).",
    );
  }
  refuse(
    "command",
    inputs.command,
    "mode sql runs the files itself.",
    "Remove `command`, or use `mode: command`.",
  );
  if (inputs.layout === "prisma" || inputs.layout === "alembic") {
    throw inputError(
      "layout",
      `the sql runner runs plain SQL files, not ${inputs.layout} migrations.`,
      `Use \`mode: command\` with ${inputs.layout === "prisma" ? "`npx prisma migrate deploy`" : "`alembic upgrade head`"}.`,
    );
  }
  if (inputs.plan && inputs.downTo) {
    throw inputError("down-to", "it cannot be combined with `plan: true`.", "Remove one of them.");
  }
}

/** The one-off task's inputs: all required in mode ecs-task, all refused in the others. */
function ecsTaskFrom(inputs: Inputs): EcsTaskSettings | undefined {
  const required = [
    ["cluster", inputs.cluster],
    ["service", inputs.service],
    ["task-definition", inputs.taskDefinition],
  ] as const;
  if (inputs.mode !== "ecs-task") {
    for (const [name, value] of [...required, ["container", inputs.container] as const]) {
      refuse(name, value, "it only applies to mode ecs-task.", "Remove it, or use `mode: ecs-task`.");
    }
    return undefined;
  }
  if (inputs.databaseUrl) {
    throw inputError(
      "database-url",
      "it would be visible in the task's overrides (DescribeTasks) in mode ecs-task.",
      "Give the task definition the database URL as a secret (Secrets Manager or SSM), and remove `database-url`.",
    );
  }
  for (const [name, value] of required) {
    if (!value) {
      throw inputError(
        name,
        "it is required in mode ecs-task.",
        name === "service"
          ? "Name the service whose network configuration the task copies."
          : `Give the ${name}.`,
      );
    }
  }
  return {
    cluster: inputs.cluster as string,
    service: inputs.service as string,
    taskDefinition: inputs.taskDefinition as string,
    container: inputs.container,
  };
}

/** A backup needs exactly one database to snapshot; without a backup, naming one is a mistake. */
function backupFrom(inputs: Inputs): BackupSettings {
  const settings: BackupSettings = {
    policy: inputs.backup,
    target: undefined,
    timeoutMs: inputs.backupTimeout,
  };
  if (inputs.backup === "never") {
    for (const [name, value] of [
      ["db-instance-identifier", inputs.dbInstanceIdentifier],
      ["db-cluster-identifier", inputs.dbClusterIdentifier],
    ] as const) {
      refuse(
        name,
        value,
        "it is only used for backups.",
        "Set `backup: always` or `backup: if-destructive`, or remove it.",
      );
    }
    return settings;
  }
  if (inputs.dbInstanceIdentifier && inputs.dbClusterIdentifier) {
    throw inputError(
      "db-cluster-identifier",
      "both a DB instance and a DB cluster are given.",
      "Give `db-cluster-identifier` for Aurora, or `db-instance-identifier` for an RDS instance, not both.",
    );
  }
  if (inputs.dbClusterIdentifier)
    settings.target = { kind: "cluster", identifier: inputs.dbClusterIdentifier };
  else if (inputs.dbInstanceIdentifier) {
    settings.target = { kind: "instance", identifier: inputs.dbInstanceIdentifier };
  } else {
    throw inputError(
      "db-instance-identifier",
      `\`backup: ${inputs.backup}\` needs the database to snapshot.`,
      "Give `db-instance-identifier` (RDS) or `db-cluster-identifier` (Aurora).",
    );
  }
  return settings;
}

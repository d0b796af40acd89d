// Cross-input rules of migrate, checked before anything runs: which inputs each mode needs and which
// it refuses, so a misconfigured run changes nothing.

import { CommandLineError, splitCommandLine } from "@shipline/core/migrations/command-line";
import { parseRuleLevels, type RuleLevels } from "@shipline/core/migrations/lint";
import { inputError } from "@shipline/core/runtime/inputs";
import type { Inputs, Mode } from "./inputs";

export interface Settings {
  mode: Mode;
  levels: RuleLevels;
  /** The command as words (command mode, or the ecs-task container override). */
  command: string[] | undefined;
  backup: { kind: "instance" | "cluster"; identifier: string } | undefined;
}

function refuse(name: string, given: unknown, message: string, fix: string): void {
  if (given !== undefined && given !== false) throw inputError(name, message, fix);
}

export function settingsFrom(inputs: Inputs): Settings {
  const mode = inputs.mode;
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

  if (inputs.layout === "glob" && (inputs.migrationsGlob ?? []).length === 0) {
    throw inputError(
      "migrations-glob",
      "it is required when `layout` is glob.",
      "Give one or more patterns, such as db/migrations/*.sql.",
    );
  }
  if ((inputs.migrationsGlob ?? []).length > 0 && inputs.layout !== "glob" && inputs.layout !== "auto") {
    throw inputError(
      "migrations-glob",
      `it only applies to layout glob, not ${inputs.layout}.`,
      "Remove it, or set `layout: glob`.",
    );
  }

  let command: string[] | undefined;
  if (inputs.command !== undefined) {
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
    if (command.length === 0) command = undefined;
  }

  const sqlOnly = "only applies to mode sql";
  if (mode !== "sql") {
    refuse("plan", inputs.plan, `it ${sqlOnly}.`, "Remove it, or use `mode: sql`.");
    refuse("down-to", inputs.downTo, `it ${sqlOnly}.`, "Remove it, or use `mode: sql`.");
  }
  if (mode === "lint") {
    if (!inputs.lint)
      throw inputError(
        "lint",
        "it is false in mode lint, which only lints.",
        "Set `lint: true`, or choose a mode that applies migrations.",
      );
    refuse("command", inputs.command, "it does nothing in mode lint.", "Remove it, or use `mode: command`.");
    if (inputs.backup !== "never")
      throw inputError(
        "backup",
        "mode lint applies nothing, so there is nothing to back up for.",
        "Remove `backup`, or choose a mode that applies migrations.",
      );
  }
  if (mode === "sql") {
    if (!inputs.databaseUrl)
      throw inputError(
        "database-url",
        "it is required in mode sql.",
        "Pass the database URL from a repository or environment secret (`database-url: ` followed by the secrets expression).",
      );
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
    if (inputs.plan && inputs.downTo)
      throw inputError("down-to", "it cannot be combined with `plan: true`.", "Remove one of them.");
  }
  if (mode === "command" && !command) {
    throw inputError(
      "command",
      "it is required in mode command.",
      "Give the migration command, e.g. `npx prisma migrate deploy` or `alembic upgrade head`.",
    );
  }
  if (mode === "ecs-task") {
    if (inputs.databaseUrl) {
      throw inputError(
        "database-url",
        "it would be visible in the task's overrides (DescribeTasks) in mode ecs-task.",
        "Give the task definition the database URL as a secret (Secrets Manager or SSM), and remove `database-url`.",
      );
    }
    for (const [name, value] of [
      ["cluster", inputs.cluster],
      ["service", inputs.service],
      ["task-definition", inputs.taskDefinition],
    ] as const) {
      if (!value)
        throw inputError(
          name,
          "it is required in mode ecs-task.",
          name === "service"
            ? "Name the service whose network configuration the task copies."
            : `Give the ${name}.`,
        );
    }
  } else {
    for (const [name, value] of [
      ["cluster", inputs.cluster],
      ["service", inputs.service],
      ["task-definition", inputs.taskDefinition],
      ["container", inputs.container],
    ] as const) {
      refuse(name, value, "it only applies to mode ecs-task.", "Remove it, or use `mode: ecs-task`.");
    }
  }

  let backup: Settings["backup"];
  if (inputs.backup !== "never") {
    if (inputs.dbInstanceIdentifier && inputs.dbClusterIdentifier) {
      throw inputError(
        "db-cluster-identifier",
        "both a DB instance and a DB cluster are given.",
        "Give `db-cluster-identifier` for Aurora, or `db-instance-identifier` for an RDS instance, not both.",
      );
    }
    if (inputs.dbClusterIdentifier) backup = { kind: "cluster", identifier: inputs.dbClusterIdentifier };
    else if (inputs.dbInstanceIdentifier)
      backup = { kind: "instance", identifier: inputs.dbInstanceIdentifier };
    else
      throw inputError(
        "db-instance-identifier",
        `\`backup: ${inputs.backup}\` needs the database to snapshot.`,
        "Give `db-instance-identifier` (RDS) or `db-cluster-identifier` (Aurora).",
      );
  } else {
    refuse(
      "db-instance-identifier",
      inputs.dbInstanceIdentifier,
      "it is only used for backups.",
      "Set `backup: always` or `backup: if-destructive`, or remove it.",
    );
    refuse(
      "db-cluster-identifier",
      inputs.dbClusterIdentifier,
      "it is only used for backups.",
      "Set `backup: always` or `backup: if-destructive`, or remove it.",
    );
  }

  return { mode, levels, command, backup };
}

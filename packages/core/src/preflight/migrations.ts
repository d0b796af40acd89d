// Are the pending migrations safe to run now? Pending are the files added since the commit production
// runs; they must lint clean at error level (the same lint as migrate), a destructive one needs
// `allow-destructive` and a backup, and a drop of a column or table that the running version's code
// still names is refused: that code keeps running while the new version rolls out (and is what a
// rollback returns to). The runbook's rule: never drop a column in the same release as the code change.
import { realpathSync } from "node:fs";
import { relative, resolve } from "node:path";
import type { Node } from "libpg-query";
import type { CommandRunner } from "../migrations/alembic";
import { collectMigrations } from "../migrations/collect";
import { type LayoutChoice, migrationSql } from "../migrations/discovery";
import type { RuleLevels } from "../migrations/lint";
import { filesAddedSince, type Git } from "../migrations/new-files";
import { alterTableWith, dropNames, unqualified } from "../migrations/rules/tree";
import type { SqlParser } from "../migrations/sql-parser";
import type { MigrationFile, MigrationReport } from "../migrations/types";
import { check, type Evidence, type PreflightCheck } from "./report";

export interface MigrationQuestion {
  workspace: string;
  directory: string;
  layout: LayoutChoice;
  globs: readonly string[];
  levels: RuleLevels;
  /** The commit production runs; undefined when no production deployment is recorded (a first release). */
  runningSha: string | undefined;
  allowDestructive: boolean;
  /** The backup setting the deploy's migrate step gets: never, always or if-destructive. */
  backup: "never" | "always" | "if-destructive";
}

/** A dropped column or table, and where the running version's code names it. */
export interface UsedDrop {
  file: string;
  line: number;
  object: string;
  kind: "column" | "table";
  usedAt: string[];
}

export interface MigrationFacts {
  /** Every migration file found (pending or not). */
  found: number;
  /** What the discovery could not read (an Alembic project without alembic installed). */
  notes: string[];
  pending: MigrationReport[];
  usedDrops: UsedDrop[];
  /** Set when the running version's code could not be searched. */
  unsearchable?: string;
}

interface Drop {
  file: string;
  line: number;
  object: string;
  name: string;
  kind: "column" | "table";
}

function dropsIn(parser: SqlParser, migration: MigrationFile): Drop[] {
  const parsed = parser.parse(migrationSql(migration));
  const drops: Drop[] = [];
  for (const statement of parsed.statements) {
    const node = statement.node as Node;
    if ("DropStmt" in node && node.DropStmt.removeType === "OBJECT_TABLE") {
      for (const name of dropNames(node))
        drops.push({
          file: migration.file,
          line: statement.line,
          object: name,
          name: unqualified(name),
          kind: "table",
        });
    }
    const alter = alterTableWith(node, "AT_DropColumn");
    for (const cmd of alter?.cmds ?? []) {
      if (cmd.subtype !== "AT_DropColumn" || !cmd.name) continue;
      const table = alter?.relation?.relname ?? "?";
      drops.push({
        file: migration.file,
        line: statement.line,
        object: `${table}.${cmd.name}`,
        name: cmd.name,
        kind: "column",
      });
    }
  }
  return drops;
}

/**
 * The pathspecs that leave the migration directories out of a search of the whole repository
 * (whatever directory git runs in): the migrations name what they drop.
 */
async function outsideMigrations(git: Git, migrationDirs: readonly string[]): Promise<string[]> {
  const top = await git(["rev-parse", "--show-toplevel"]);
  if (top.exitCode !== 0) throw new Error(`git rev-parse failed: ${top.stderr.trim()}`);
  const root = top.stdout.trim();
  return [":(top)", ...migrationDirs.map((d) => `:(top,exclude)${relative(root, realpathSync(d)) || "."}`)];
}

/** `git grep` of a whole word at a commit over `pathspecs`; paths are the repository's. */
async function usesOf(git: Git, sha: string, name: string, pathspecs: readonly string[]): Promise<string[]> {
  const found = await git([
    "grep",
    "-n",
    "-w",
    "-I",
    "-F",
    "--full-name",
    "-e",
    name,
    sha,
    "--",
    ...pathspecs,
  ]);
  // git grep exits 1 when nothing matches.
  if (found.exitCode === 1) return [];
  if (found.exitCode !== 0) throw new Error(`git grep failed: ${found.stderr.trim()}`);
  return found.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => line.replace(`${sha}:`, ""))
    .map((line) => line.split(":").slice(0, 2).join(":"))
    .slice(0, 5);
}

export async function readMigrationFacts(
  deps: { parser: SqlParser; git: Git; run: CommandRunner },
  question: MigrationQuestion,
): Promise<MigrationFacts> {
  let addedFiles: Set<string> | undefined;
  let unsearchable: string | undefined;
  if (question.runningSha) {
    const known = await deps.git(["cat-file", "-e", `${question.runningSha}^{commit}`]);
    if (known.exitCode !== 0) {
      unsearchable = `the commit production runs (${question.runningSha.slice(0, 12)}) is not in this checkout; check out with \`fetch-depth: 0\``;
    } else addedFiles = await filesAddedSince(deps.git, question.runningSha);
  }
  const collection = await collectMigrations({
    workspace: question.workspace,
    directory: question.directory,
    layout: question.layout,
    globs: question.globs,
    parser: deps.parser,
    levels: question.levels,
    lintOptions: { runnerSetsLockTimeout: false },
    run: deps.run,
    addedFiles,
  });
  const pendingFiles = collection.migrations.filter((m) => m.inScope);
  const usedDrops: UsedDrop[] = [];
  const dirs = [...new Set(pendingFiles.map((m) => resolve(question.workspace, m.migration.file, "..")))];
  let pathspecs: string[] | undefined;
  for (const { migration } of pendingFiles) {
    for (const drop of dropsIn(deps.parser, migration)) {
      if (!question.runningSha || unsearchable) {
        usedDrops.push({ ...drop, usedAt: [] });
        continue;
      }
      // Worked out at the first drop, once for all of them.
      pathspecs ??= await outsideMigrations(deps.git, dirs);
      const usedAt = await usesOf(deps.git, question.runningSha, drop.name, pathspecs);
      if (usedAt.length > 0) usedDrops.push({ ...drop, usedAt });
    }
  }
  return {
    found: collection.migrations.length,
    notes: collection.notes.map((n) => n.message),
    pending: pendingFiles.map((m) => m.report),
    usedDrops,
    ...(unsearchable ? { unsearchable } : {}),
  };
}

const EXPAND_CONTRACT =
  "Expand and contract: release the code that stops using it first (and let it reach production), then drop it in a later release, after a backup.";

/** Pure: the check from what was read. */
export function judgeMigrations(question: MigrationQuestion, facts: MigrationFacts): PreflightCheck {
  const { pending } = facts;
  const evidence: Evidence[] = [
    {
      label: "pending migrations",
      value: pending.length === 0 ? "none" : pending.map((p) => p.file).join(", "),
    },
    {
      label: "compared with",
      value: question.runningSha
        ? `production's commit ${question.runningSha.slice(0, 12)}`
        : "nothing (no production deployment recorded: every migration is pending)",
    },
  ];
  const problems: string[] = [];
  const fixes: string[] = [];
  // A project whose migrations cannot be read is not known to be safe.
  for (const note of facts.notes) {
    problems.push(note);
    fixes.push(
      "Make the migrations readable in this job (as migrate needs them), or set `check-migrations: false`.",
    );
  }
  const errors = pending.flatMap((p) =>
    p.findings.filter((f) => f.severity === "error").map((f) => ({ p, f })),
  );
  if (errors.length > 0) {
    problems.push(
      `the lint finds ${errors.length} error${errors.length === 1 ? "" : "s"}: ${errors
        .slice(0, 5)
        .map(({ p, f }) => `${p.file}:${f.line} ${f.rule}`)
        .join(", ")}`,
    );
    fixes.push(errors[0]?.f.fix ?? "");
  }
  const destructive = pending.filter((p) => p.destructive);
  if (destructive.length > 0) {
    evidence.push({ label: "destructive", value: destructive.map((p) => p.file).join(", ") });
    if (!question.allowDestructive) {
      problems.push(
        `${destructive.map((p) => p.file).join(", ")} ${destructive.length === 1 ? "is" : "are"} destructive and \`allow-destructive\` is false`,
      );
      fixes.push("Set `allow-destructive: true` for this release once the drop is intended.");
    }
    if (question.backup === "never") {
      problems.push("a destructive migration needs a backup, and `backup` is never");
      fixes.push("Set `backup: if-destructive` (or always) with the database to snapshot.");
    }
  }
  if (facts.unsearchable && facts.usedDrops.length > 0) {
    problems.push(
      `${facts.usedDrops.map((d) => d.object).join(", ")} ${facts.usedDrops.length === 1 ? "is" : "are"} dropped, and ${facts.unsearchable}, so whether the running code still uses ${facts.usedDrops.length === 1 ? "it" : "them"} cannot be told`,
    );
    fixes.push(EXPAND_CONTRACT);
  } else if (!question.runningSha && facts.usedDrops.length > 0) {
    problems.push(
      `${facts.usedDrops.map((d) => d.object).join(", ")} ${facts.usedDrops.length === 1 ? "is" : "are"} dropped, and no production deployment says which code runs there`,
    );
    fixes.push(EXPAND_CONTRACT);
  } else {
    for (const drop of facts.usedDrops) {
      problems.push(
        `${drop.file}:${drop.line} drops ${drop.kind} ${drop.object}, which the running version still uses (${drop.usedAt.join(", ")})`,
      );
      evidence.push({ label: `uses of ${drop.object}`, value: drop.usedAt.join(", ") });
    }
    if (facts.usedDrops.length > 0) fixes.push(EXPAND_CONTRACT);
  }
  if (problems.length > 0)
    return check(
      "migrations",
      "fail",
      `Not safe: ${problems.join("; ")}.`,
      evidence,
      [...new Set(fixes)].filter(Boolean).join(" "),
    );
  return check(
    "migrations",
    "pass",
    pending.length === 0
      ? "No pending migrations."
      : `${pending.length} pending migration${pending.length === 1 ? "" : "s"} lint clean at error level${destructive.length > 0 ? "; the destructive ones are allowed, with a backup, and drop nothing the running code uses" : ""}.`,
    evidence,
  );
}

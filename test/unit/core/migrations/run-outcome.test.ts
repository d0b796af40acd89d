// A migration run as values: the lint's verdict, the backup decision, what is pending and destructive,
// and the `report` output rendered from the outcome, failures included.
import { describe, expect, it } from "vitest";
import {
  appliedByTool,
  decideBackup,
  destructiveFiles,
  judgeLint,
  lintedRun,
  lintFailure,
  type MigrationRunOutcome,
  migrationRunReport,
  nextStep,
  withNewFilesPending,
  withSqlPending,
} from "../../../../packages/core/src/migrations/run-outcome";
import type { Finding, MigrationReport } from "../../../../packages/core/src/migrations/types";
import { UserError } from "../../../../packages/core/src/runtime/errors";

function finding(severity: Finding["severity"], rule = "some-rule"): Finding {
  return { rule, severity, line: 1, message: "m", fix: "f" };
}

function report(file: string, findings: Finding[] = [], destructive = false): MigrationReport {
  return { file, version: file, statements: 2, destructive, findings, suppressed: 0 };
}

const clean = report("db/V1__a.sql");
const warned = report("db/V2__b.sql", [finding("warning")]);
const failed = report("db/V3__c.sql", [finding("error"), finding("error"), finding("warning")], true);

describe("judgeLint", () => {
  it.each([
    ["error", 2],
    ["warning", 4],
    ["never", 0],
  ] as const)("with fail-on %s counts %i failing findings", (failOn, failing) => {
    expect(judgeLint([clean, warned, failed], failOn)).toEqual({ failing, filesWithFindings: 2, failOn });
  });

  it("stops the run naming the count, the level and the files, and that nothing was applied", () => {
    const error = lintFailure(judgeLint([clean, warned, failed], "warning"));
    expect(error).toBeInstanceOf(UserError);
    expect(error?.message).toBe(
      "The migration lint found 4 problems at warning level or above in 2 files; nothing was applied.",
    );
    expect(error?.fix).toMatch(/shipline-ignore: <rule> <reason>/);
    expect(lintFailure(judgeLint([failed], "error"))?.message).toMatch(/found 2 problems .* in 1 file;/);
  });

  it("lets the run go on when nothing reaches the fail-on level", () => {
    expect(lintFailure(judgeLint([clean, warned], "error"))).toBeUndefined();
    expect(lintFailure(judgeLint([failed], "never"))).toBeUndefined();
  });
});

describe("decideBackup", () => {
  it.each([
    ["never", false, { take: false }],
    ["never", true, { take: false }],
    ["always", false, { take: true, why: "`backup: always`" }],
    ["if-destructive", true, { take: true, why: "the pending migrations are destructive" }],
    [
      "if-destructive",
      false,
      { take: false, why: "none of the pending migrations is destructive (`backup: if-destructive`)" },
    ],
  ] as const)("backup %s with destructive %s decides %j", (policy, destructive, decision) => {
    expect(decideBackup(policy, destructive)).toEqual(decision);
  });
});

describe("pending and destructive", () => {
  it("starts from the lint: the in-scope reports, their totals, nothing pending or applied", () => {
    const outcome = lintedRun("sql", [clean, failed]);
    expect(outcome).toMatchObject({
      mode: "sql",
      destructive: true,
      pending: [],
      applied: [],
      rolledBack: [],
    });
    expect(outcome.lint).toMatchObject({ files: 2, errors: 2, warnings: 1, destructive: true });
    expect(outcome.failure).toBeUndefined();
    expect(lintedRun("lint", [failed], new UserError("lint failed")).failure).toBeInstanceOf(UserError);
  });

  it("takes the new files as pending for the project's tool", () => {
    expect(withNewFilesPending(lintedRun("command", [clean, warned])).pending).toEqual([
      "db/V1__a.sql",
      "db/V2__b.sql",
    ]);
  });

  it("judges a sql run destructive by the pending files only, including one outside the lint's scope", () => {
    const all = destructiveFiles([clean, failed, report("db/V0__old.sql", [], true)]);
    const start = lintedRun("sql", [failed]);
    expect(withSqlPending(start, [{ file: "db/V1__a.sql" }], all)).toMatchObject({
      pending: ["db/V1__a.sql"],
      destructive: false,
    });
    expect(withSqlPending(start, [{ file: "db/V0__old.sql" }], all).destructive).toBe(true);
  });
});

describe("nextStep", () => {
  it("keeps what the run did before a step that throws, with the error as its failure", async () => {
    const start = withNewFilesPending(lintedRun("command", [clean]));
    const boom = new UserError("tool exited 3");
    const outcome = await nextStep({ ...start, taskArn: "arn:task" }, async () => {
      throw boom;
    });
    expect(outcome).toMatchObject({ taskArn: "arn:task", pending: ["db/V1__a.sql"], failure: boom });
  });

  it("runs no step after a failure", async () => {
    let ran = false;
    const stopped: MigrationRunOutcome = { ...lintedRun("sql", []), failure: new Error("lock") };
    const outcome = await nextStep(stopped, async (o) => {
      ran = true;
      return o;
    });
    expect(ran).toBe(false);
    expect(outcome).toBe(stopped);
  });
});

describe("migrationRunReport", () => {
  const snapshot = {
    snapshotId: "shipline-shop-run-7",
    created: true,
    kind: "instance" as const,
    database: "shop",
    why: "`backup: always`",
    durationMs: 240_000,
  };

  it("reports a successful tool run with its exit code, duration and snapshot", () => {
    const pending = { ...withNewFilesPending(lintedRun("command", [warned])), snapshot };
    const done = appliedByTool(pending, {
      kind: "command",
      command: ["npx", "prisma", "migrate", "deploy"],
      exitCode: 0,
      durationMs: 1_500,
      lastLines: [],
    });
    expect(migrationRunReport(done)).toEqual({
      mode: "command",
      lint: { files: 1, errors: 0, warnings: 1, suppressed: 0 },
      destructive: false,
      pending: ["db/V2__b.sql"],
      applied: ["db/V2__b.sql"],
      rolledBack: [],
      snapshotId: "shipline-shop-run-7",
      exitCode: 0,
      durationMs: 1_500,
    });
  });

  it("reports a failed task with its ARN, nothing applied and no exit code", () => {
    const task = {
      taskArn: "arn:aws:ecs:eu-west-1:123456789012:task/default/abc",
      container: { name: "app", exitCode: 1 },
      stopCode: "EssentialContainerExited",
      stoppedReason: "Essential container in task exited",
      durationMs: 20_000,
      succeeded: false,
      logTail: [],
    };
    const outcome: MigrationRunOutcome = {
      ...withNewFilesPending(lintedRun("ecs-task", [failed])),
      taskArn: task.taskArn,
      run: { kind: "ecs-task", task },
      failure: new UserError("The migration task failed."),
    };
    const json = migrationRunReport(outcome);
    expect(json).toMatchObject({
      mode: "ecs-task",
      taskArn: task.taskArn,
      applied: [],
      pending: ["db/V3__c.sql"],
    });
    expect(json).not.toHaveProperty("exitCode");
    expect(json).not.toHaveProperty("durationMs");
    expect(json).not.toHaveProperty("snapshotId");
  });

  it("reports a successful task with exit code 0 and the task's duration", () => {
    const task = {
      taskArn: "arn:task",
      container: { name: "app", exitCode: 0 },
      stopCode: "EssentialContainerExited",
      stoppedReason: undefined,
      durationMs: 31_000,
      succeeded: true,
      logTail: [],
    };
    const done = appliedByTool(
      { ...withNewFilesPending(lintedRun("ecs-task", [clean])), taskArn: "arn:task" },
      { kind: "ecs-task", task },
    );
    expect(migrationRunReport(done)).toMatchObject({
      applied: ["db/V1__a.sql"],
      exitCode: 0,
      durationMs: 31_000,
    });
  });
});

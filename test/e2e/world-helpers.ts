// What the end-to-end tests read back from a run of the deploy workflow and from the world's database.
import pg from "pg";
import { expect } from "vitest";
import { TASK_DEFINITION_ARN } from "../world/account";
import type { StepRecord, WorkflowRun } from "../world/runner/run-workflow";
import type { World } from "../world/world";

/** The prefix of the shop account's task-definition ARNs; append `family:revision`. */
export const ARN = TASK_DEFINITION_ARN;

/** Parses a JSON output; a missing output parses as null, so the assertion on it fails visibly. */
export function json<T = unknown>(text: string | undefined): T {
  return JSON.parse(text ?? "null") as T;
}

/** The step with this id in a workflow run; throws when the run has none. */
export function step(run: WorkflowRun, id: string): StepRecord {
  const found = run.steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id}`);
  return found;
}

/**
 * The bad release (v1.1.0, or the second merge) of the "bad-release" shop: its migration applied, its
 * revision shop-web:3 deployed over shop-web:2, then the health gate failed it on the error rate.
 * Returns the gate step for the checks particular to the caller.
 */
export function expectGateFailedTheBadRelease(run: WorkflowRun): StepRecord {
  expect(step(run, "migrate").outputs.applied).toBe(
    JSON.stringify(["db/migrations/002_add_gift_message.sql"]),
  );
  expect(step(run, "deploy").outputs).toMatchObject({
    "task-definition-arn": `${ARN}shop-web:3`,
    "previous-task-definition-arn": `${ARN}shop-web:2`,
    status: "succeeded",
  });
  const gate = step(run, "gate");
  expect(gate.outcome).toBe("failure");
  expect(gate.outputs.verdict).toBe("fail");
  expect(json(gate.outputs["failed-checks"])).toEqual(["error rate (metrics endpoint)"]);
  return gate;
}

/** Runs one query against the world's PostgreSQL on a fresh connection and returns its rows. */
export async function query<T extends pg.QueryResultRow>(world: World, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: world.databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The columns of the shop's orders table, in table order. */
export async function orderColumns(world: World): Promise<string[]> {
  const rows = await query<{ column_name: string }>(
    world,
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position",
  );
  return rows.map((r) => r.column_name);
}

/** The migration versions shipline's SQL runner recorded as applied. */
export async function appliedVersions(world: World): Promise<string[]> {
  const rows = await query<{ version: string }>(
    world,
    "SELECT version FROM shipline_migrations ORDER BY version",
  );
  return rows.map((r) => r.version);
}

// The RDS snapshot before migrations, through the bundle and the AWS simulator: always, only when
// destructive, reused on a re-run, and a failed or impossible backup stops the run before anything
// is applied.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runAction } from "../../rig/harness";
import { type RdsScenario, type Simulator, simulatorEnv, startSimulator } from "../../sim/index";
import { tempWorkspace } from "./workspace";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function simulator(rds: RdsScenario): Promise<Simulator> {
  // A simulated minute per API call: a four-minute snapshot is "creating" for the first few polls
  // and then available, however fast or loaded the machine is.
  sim = await startSimulator({ scenario: { clock: { mode: "stepped", stepMs: 60_000 }, rds } });
  return sim;
}

/** A workspace whose "migration tool" leaves a marker file, so a test can tell whether it ran. */
function workspace(files: Record<string, string> = {}): string {
  return tempWorkspace({
    "tool.cjs": 'require("node:fs").writeFileSync("migrated", "yes");\nconsole.log("migrated");\n',
    ...files,
  });
}

const DESTRUCTIVE = {
  "db/V1__drop.sql":
    "SET lock_timeout = '5s';\n-- shipline-ignore: dropping-column unused since v1\nALTER TABLE accounts DROP COLUMN legacy;\n",
};
const HARMLESS = {
  "db/V1__add.sql": "SET lock_timeout = '5s';\nALTER TABLE accounts ADD COLUMN note text;\n",
};

function inputs(extra: Record<string, string>): Record<string, string> {
  return {
    mode: "command",
    command: `${process.execPath} tool.cjs`,
    "lint-scope": "all",
    "poll-interval": "1s",
    ...extra,
  };
}

describe("migrate bundle: backup before applying", () => {
  it("takes a snapshot of the DB instance, waits until it is available, then migrates", async () => {
    const s = await simulator({ instances: [{ id: "shop-db" }] });
    const ws = workspace(HARMLESS);
    const run = await runAction("migrate", {
      workspace: ws,
      env: simulatorEnv(s),
      inputs: inputs({ backup: "always", "db-instance-identifier": "shop-db" }),
    });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs["snapshot-id"]).toBe("shipline-shop-db-run-1001");
    const snapshots = s.rds.snapshots("instance");
    expect(snapshots).toMatchObject([
      {
        id: "shipline-shop-db-run-1001",
        database: "shop-db",
        status: "available",
        tags: { "shipline:repository": "acme/shop", "shipline:run-id": "1001" },
      },
    ]);
    expect(run.stdout).toMatch(/Snapshot shipline-shop-db-run-1001: creating/);
    expect(run.stdout).toMatch(/Snapshot shipline-shop-db-run-1001: available 100%/);
    // The migration ran only after the snapshot was available.
    const log = run.stdout;
    expect(log.indexOf("is available")).toBeLessThan(log.indexOf("migrated"));
    expect(existsSync(join(ws, "migrated"))).toBe(true);
    expect(run.summary).toContain("Took snapshot `shipline-shop-db-run-1001` of `shop-db`");
    expect(s.iamActions()).toEqual(
      expect.arrayContaining(["rds:CreateDBSnapshot", "rds:DescribeDBSnapshots"]),
    );
  });

  it("reuses the snapshot on a re-run of the same workflow run instead of taking a second one", async () => {
    const s = await simulator({ instances: [{ id: "shop-db" }] });
    const ws = workspace(HARMLESS);
    const given = inputs({ backup: "always", "db-instance-identifier": "shop-db" });
    const first = await runAction("migrate", { workspace: ws, env: simulatorEnv(s), inputs: given });
    const second = await runAction("migrate", {
      workspace: ws,
      env: { ...simulatorEnv(s), GITHUB_RUN_ATTEMPT: "2" },
      inputs: given,
    });
    expect(first.exitCode).toBe(0);
    expect(second.exitCode).toBe(0);
    expect(second.outputs["snapshot-id"]).toBe(first.outputs["snapshot-id"]);
    expect(second.stdout).toContain("already exists (an earlier attempt of this run took it); using it");
    expect(s.rds.snapshots()).toHaveLength(1);
  });

  it("snapshots an Aurora cluster only when a pending migration is destructive", async () => {
    const s = await simulator({ clusters: [{ id: "shop" }] });
    const harmless = await runAction("migrate", {
      workspace: workspace(HARMLESS),
      env: simulatorEnv(s),
      inputs: inputs({ backup: "if-destructive", "db-cluster-identifier": "shop" }),
    });
    expect(harmless.exitCode).toBe(0);
    expect(harmless.outputs["snapshot-id"]).toBeUndefined();
    expect(harmless.stdout).toContain("No backup: none of the pending migrations is destructive");
    expect(s.calls.filter((c) => c.service === "rds")).toEqual([]);

    const destructive = await runAction("migrate", {
      workspace: workspace(DESTRUCTIVE),
      env: { ...simulatorEnv(s), GITHUB_RUN_ID: "2002" },
      inputs: inputs({ backup: "if-destructive", "db-cluster-identifier": "shop" }),
    });
    expect(destructive.errors).toEqual([]);
    expect(destructive.outputs.destructive).toBe("true");
    expect(destructive.outputs["snapshot-id"]).toBe("shipline-shop-run-2002");
    expect(s.rds.snapshots("cluster")).toMatchObject([{ id: "shipline-shop-run-2002", status: "available" }]);
  });

  it("stops before migrating when the snapshot fails", async () => {
    const s = await simulator({ instances: [{ id: "shop-db", failSnapshots: true }] });
    const ws = workspace(HARMLESS);
    const run = await runAction("migrate", {
      workspace: ws,
      env: simulatorEnv(s),
      inputs: inputs({ backup: "always", "db-instance-identifier": "shop-db" }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)?.message).toMatch(
      /Snapshot shipline-shop-db-run-1001 ended in status "failed"; no migration was applied/,
    );
    expect(existsSync(join(ws, "migrated"))).toBe(false);
  });

  it.each([
    [
      "a program that is not installed",
      "shipline-no-such-migrator up",
      /`shipline-no-such-migrator` is not installed/,
    ],
    [
      "a script path that does not exist",
      "./bin/migrate up",
      /`\.\/bin\/migrate` is not an executable file in \./,
    ],
  ])("refuses %s before taking the snapshot", async (_, command, message) => {
    const s = await simulator({ instances: [{ id: "shop-db" }] });
    const run = await runAction("migrate", {
      workspace: workspace(HARMLESS),
      env: simulatorEnv(s),
      inputs: inputs({ command, backup: "always", "db-instance-identifier": "shop-db" }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toMatch(message);
    expect(run.errors[0]?.message).toContain("Fix: Install the tool in an earlier step");
    expect(s.calls.filter((c) => c.service === "rds")).toEqual([]);
    expect(s.rds.snapshots()).toEqual([]);
  });

  it("explains an unknown database and migrates nothing", async () => {
    const s = await simulator({ instances: [{ id: "shop-db" }] });
    const ws = workspace(HARMLESS);
    const run = await runAction("migrate", {
      workspace: ws,
      env: simulatorEnv(s),
      inputs: inputs({ backup: "always", "db-instance-identifier": "shop-dbx" }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)?.message).toMatch(
      /RDS has no DB instance "shop-dbx" in this account and region\.\nFix: Check the identifier/,
    );
    expect(existsSync(join(ws, "migrated"))).toBe(false);
  });

  it("calls RDS throttling beyond the retries the user's to act on, and migrates nothing", async () => {
    const s = await simulator({ instances: [{ id: "shop-db" }] });
    await fetch(`${s.endpoint}/_sim/faults`, {
      method: "POST",
      body: JSON.stringify({ service: "rds", operation: "CreateDBSnapshot", kind: "throttle" }),
    });
    const ws = workspace(HARMLESS);
    const run = await runAction("migrate", {
      workspace: ws,
      env: simulatorEnv(s),
      inputs: inputs({ backup: "always", "db-instance-identifier": "shop-db", "aws-max-attempts": "2" }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toMatch(
      /^AWS kept throttling migrate's calls after 2 attempts: Throttling/,
    );
    expect(run.errors[0]?.message).toMatch(/\nFix: Raise `aws-max-attempts`/);
    expect(run.stdout).not.toContain("This is a bug in shipline");
    expect(existsSync(join(ws, "migrated"))).toBe(false);
    expect(s.rds.snapshots()).toEqual([]);
  });
});

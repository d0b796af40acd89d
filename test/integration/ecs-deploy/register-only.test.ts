// ecs-deploy register-only through the committed bundle and the simulator: the revision a migration
// task needs before the deploy is registered once, no service moves, and the deploy that follows
// reuses it. The chain runs the migrate bundle's ecs-task mode on that revision in between.
import { afterEach, describe, expect, it } from "vitest";
import { runAction } from "../../rig/harness";
import { type Simulator, simulatorEnv, startSimulator } from "../../sim/index";
import {
  arnOf,
  deploy,
  image,
  lastSeq,
  mutations,
  webService,
  webTaskDefinition,
  workspace,
  world,
} from "./stack";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const MIGRATION = {
  kind: "exit",
  exitCode: 0,
  runMs: 20_000,
  logs: ["migrating: 2 pending"],
  exitLogs: ["migrations applied"],
};

describe("ecs-deploy register-only", () => {
  it("registers the new revision once, moves no service, and the deploy after a migration task reuses it", async () => {
    sim = await startSimulator({
      scenario: world({ images: { [image("2")]: { commands: { "migrate up": MIGRATION } } } }),
    });
    const ws = workspace({ "deploy/task-definition.json": webTaskDefinition("1") });
    const inputs = {
      "task-definition": "deploy/task-definition.json",
      containers: `app=${image("2")}`,
    };

    const registered = await deploy(sim, { ...inputs, "register-only": "true" }, { workspace: ws });
    expect(registered.errors).toEqual([]);
    expect(registered.exitCode).toBe(0);
    expect(registered.outputs).toMatchObject({
      status: "registered",
      "task-definition-arn": arnOf("web:2"),
      "previous-task-definition-arn": arnOf("web:1"),
    });
    expect(JSON.parse(registered.outputs.images ?? "{}")).toEqual({ app: image("2") });
    expect(mutations(sim).map((c) => c.operation)).toEqual(["RegisterTaskDefinition"]);
    expect(webService(sim).taskDefinition).toBe(arnOf("web:1"));
    expect(registered.summary).toContain(
      "ECS task definition web:2 registered; not deployed to web (register-only)",
    );

    // A re-run finds the identical revision and registers nothing.
    let mark = lastSeq(sim);
    const again = await deploy(sim, { ...inputs, "register-only": "true" }, { workspace: ws });
    expect(again.exitCode).toBe(0);
    expect(again.outputs["task-definition-arn"]).toBe(arnOf("web:2"));
    expect(mutations(sim, mark)).toEqual([]);

    // The migration runs as a one-off task of that revision, with the new image.
    mark = lastSeq(sim);
    const migrate = await runAction("migrate", {
      workspace: ws,
      env: simulatorEnv(sim),
      inputs: {
        mode: "ecs-task",
        cluster: "prod",
        service: "web",
        "task-definition": registered.outputs["task-definition-arn"] ?? "",
        container: "app",
        command: "./bin/migrate up",
        "poll-interval": "1s",
      },
    });
    expect(migrate.errors).toEqual([]);
    expect(migrate.exitCode).toBe(0);
    expect(migrate.stdout).toContain("migrations applied");
    expect(mutations(sim, mark).map((c) => [c.operation, c.input.taskDefinition])).toEqual([
      ["RunTask", arnOf("web:2")],
    ]);

    // The deploy with the same inputs reuses web:2: no second registration.
    mark = lastSeq(sim);
    const deployed = await deploy(sim, inputs, { workspace: ws });
    expect(deployed.errors).toEqual([]);
    expect(deployed.outputs).toMatchObject({ status: "succeeded", "task-definition-arn": arnOf("web:2") });
    expect(mutations(sim, mark).map((c) => c.operation)).toEqual(["UpdateService"]);
    expect(webService(sim).taskDefinition).toBe(arnOf("web:2"));
  });

  it.each([
    [{ plan: "true" }, "register-only", /`plan` changes nothing/],
    [
      { environment: "production", "github-token": "ghs_notused0000000000000000000000000000" },
      "environment",
      /`register-only` deploys nothing/,
    ],
  ])("refuses %o beside it before any call", async (extra, input, message) => {
    sim = await startSimulator({ scenario: world() });
    const run = await deploy(sim, { containers: `app=${image("2")}`, "register-only": "true", ...extra });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toMatch(message);
    expect(run.errors[0]?.message).toContain(`\`${input}\``);
    expect(sim.calls).toEqual([]);
  });
});

// run-task with the demo's task runtime: the task's command is one real process (a node script in a
// directory that stands for the image), whose output becomes the task's awslogs lines and whose exit
// code becomes the container's. What is asserted is what the process did and what the step made of
// it, never how fast either ran.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runAction } from "../../rig/harness";
import { type Scenario, type Simulator, simulatorEnv, startSimulator } from "../../sim/index";
import { DemoTaskRuntime } from "../../world/task-runtime";

const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:7";

/** The image's file system: a seed script that reports each table, then exits with its argument. */
function imageRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "shipline-run-task-image-"));
  writeFileSync(
    join(root, "seed.mjs"),
    [
      "const tables = ['customers', 'products', 'orders'];",
      "const code = Number(process.argv[2] ?? 0);",
      "console.log('seeding ' + tables.length + ' tables for ' + process.env.SEED_SET);",
      "for (const table of tables) console.log('seeded ' + table);",
      "if (code !== 0) console.error('seed failed: foreign key orders_customer_id_fkey violated');",
      "process.exitCode = code;",
    ].join("\n"),
  );
  return root;
}

function scenario(): Scenario {
  return {
    clock: { mode: "scaled", factor: 10 },
    logs: { groups: [{ name: "/ecs/shop" }] },
    ecs: {
      taskDefinitions: [
        {
          family: "shop-seed",
          containerDefinitions: [
            {
              name: "app",
              image: IMAGE,
              essential: true,
              logConfiguration: {
                logDriver: "awslogs",
                options: { "awslogs-group": "/ecs/shop", "awslogs-stream-prefix": "seed" },
              },
            },
          ],
        },
      ],
      clusters: [{ name: "default", containerInstances: 1 }],
    },
  };
}

let sim: Simulator | undefined;
let runtime: DemoTaskRuntime | undefined;
afterEach(async () => {
  await sim?.stop();
  await runtime?.close();
  sim = undefined;
  runtime = undefined;
});

async function seed(exitCode: number) {
  const root = imageRoot();
  sim = await startSimulator({ scenario: scenario() });
  runtime = new DemoTaskRuntime({ imageEnvironment: async () => ({}), imageFiles: async () => root });
  await sim.ecs.setTaskRuntime(runtime);
  const result = await runAction("run-task", {
    timeoutMs: 90_000,
    env: simulatorEnv(sim),
    inputs: {
      cluster: "default",
      "task-definition": "shop-seed",
      "launch-type": "EC2",
      command: `node /seed.mjs ${exitCode}`,
      environment: "SEED_SET=demo",
      "poll-interval": "100ms",
    },
  });
  return { result, runs: runtime.oneOff };
}

describe("run-task bundle with the demo's task runtime", () => {
  it("shows what the task's process wrote, and passes on its exit code 0", async () => {
    const { result, runs } = await seed(0);
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ command: ["node", "/seed.mjs", "0"], exitCode: 0 });
    expect(result.stdout).toContain("│ seeding 3 tables for demo");
    expect(result.stdout).toContain("│ seeded orders");
    expect(result.outputs["exit-code"]).toBe("0");
  });

  it("fails on the process's exit code 4, with what it wrote last", async () => {
    const { result, runs } = await seed(4);
    expect(result.exitCode).toBe(1);
    expect(runs[0]?.exitCode).toBe(4);
    expect(result.outputs["exit-code"]).toBe("4");
    const message = result.errors[0]?.message ?? "";
    expect(message).toMatch(/container "app" exit code 4\./);
    expect(message).toContain("seed failed: foreign key orders_customer_id_fkey violated");
    expect(message).toContain('Why: Container "app" exited with code 4.');
  });
});

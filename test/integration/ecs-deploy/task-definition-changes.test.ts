// ecs-deploy through the committed bundle against the simulator: what a step may change in the task
// definition and the service. Secrets from Secrets Manager and SSM reach the service's processes and
// never the run's output; a secret the execution role cannot read (or that does not exist) fails the
// deploy with Fargate's stopped reason and the permission to grant; an empty task-definition changes
// only the images; UpdateService carries only the service settings asked for.
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { leaksOf } from "../../rig/secret-scan";
import type { TaskRuntime, TaskRuntimeTask } from "../../sim/index";
import { type Scenario, type Simulator, startSimulator } from "../../sim/index";
import { arnOf, deploy, image, lastSeq, webTaskDefinition, workspace, world } from "./stack";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const EXECUTION_ROLE = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole";
const DATABASE_URL = "postgres://shop:Zq4-canary-db-Pw9@db.internal:5432/shop";
const API_KEY = "sk-canary-api-Kf7Yt2Lm0Qx";

/** One real process per task, started with the environment ECS hands the container; records what it saw. */
class EnvironmentEcho implements TaskRuntime {
  readonly seen: Record<string, string | null>[] = [];
  readonly #pending: Promise<void>[] = [];

  onTaskStarting(task: TaskRuntimeTask): undefined {
    const container = task.containers[0];
    if (!container) return undefined;
    const env = { PATH: process.env.PATH ?? "", ...container.environment, ...container.secretValues };
    const child = spawn(
      process.execPath,
      [
        "-e",
        "process.stdout.write(JSON.stringify({DATABASE_URL: process.env.DATABASE_URL ?? null, API_KEY: process.env.API_KEY ?? null}))",
      ],
      { env, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += String(chunk);
    });
    this.#pending.push(
      new Promise((resolve) =>
        child.once("close", () => {
          this.seen.push(JSON.parse(out) as Record<string, string | null>);
          resolve();
        }),
      ),
    );
    return undefined;
  }

  async settled(): Promise<void> {
    await Promise.all(this.#pending);
  }
}

/** The secret and the parameter, and a role that may read what `grant` names. */
function seedSecrets(s: Simulator, grant: { secret?: boolean; parameter?: boolean } = {}) {
  const secretArn = s.secretsmanager.put("shop/database-url", DATABASE_URL);
  const parameterArn = s.ssm.put("/shop/api-key", API_KEY, { type: "SecureString" });
  if (grant.secret ?? true)
    s.iam.allow(EXECUTION_ROLE, { actions: ["secretsmanager:GetSecretValue"], resources: [secretArn] });
  if (grant.parameter ?? true)
    s.iam.allow(EXECUTION_ROLE, { actions: ["ssm:GetParameters"], resources: [parameterArn] });
  return { secretArn, parameterArn };
}

const canaries = [
  { name: "database URL (Secrets Manager)", value: DATABASE_URL },
  { name: "API key (SSM)", value: API_KEY },
];

describe("ecs-deploy: secrets from Secrets Manager and SSM", () => {
  it("deploys a definition with a Secrets Manager secret and an SSM parameter: the service processes get both values, the run prints neither", async () => {
    sim = await startSimulator({ scenario: world({}) });
    const { secretArn } = seedSecrets(sim);
    const echo = new EnvironmentEcho();
    await sim.ecs.setTaskRuntime(echo);
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      secrets: `app.DATABASE_URL=${secretArn}\napp.API_KEY=/shop/api-key`,
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe("succeeded");
    const registered = sim.ecs.taskDefinition("web:2");
    expect(registered?.containerDefinitions?.[0]?.secrets).toEqual([
      { name: "DATABASE_URL", valueFrom: secretArn },
      { name: "API_KEY", valueFrom: "/shop/api-key" },
    ]);
    await echo.settled();
    // Every task of the new revision (three) started a process that had both values.
    expect(echo.seen).toHaveLength(3);
    for (const seen of echo.seen) expect(seen).toEqual({ DATABASE_URL, API_KEY });
    expect(leaksOf(canaries, "ecs-deploy", run)).toEqual([]);
    // The report names them, never their values or sources.
    const report = JSON.parse(run.outputs.report ?? "{}") as { changes: Record<string, unknown>[] };
    expect(report.changes).toContainEqual({
      scope: "app",
      field: "secret DATABASE_URL",
      kind: "added",
      masked: true,
    });
  });

  it("shows a plan with each secret by name only, and the service settings it would change", async () => {
    sim = await startSimulator({ scenario: world({}) });
    const { secretArn } = seedSecrets(sim);
    const run = await deploy(sim, {
      plan: "true",
      containers: `app=${image("2")}`,
      secrets: `app.DATABASE_URL=${secretArn}`,
      "docker-labels": "app.com.example.team=shop",
      "enable-execute-command": "true",
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe("planned");
    expect(run.stdout).toContain("app secret DATABASE_URL: added (value not shown)");
    expect(run.stdout).toContain("app label com.example.team: added shop");
    expect(run.stdout).toContain("service web enableExecuteCommand: false -> true");
    const printed = [
      run.stdout
        .split("\n")
        .filter((l) => !l.startsWith("::add-mask::"))
        .join("\n"),
      run.summary,
    ];
    for (const text of printed) expect(text).not.toContain(secretArn);
    expect(
      sim.calls.filter((c) => ["RegisterTaskDefinition", "UpdateService"].includes(c.operation)),
    ).toEqual([]);
  });

  it("fails the deploy when the execution role may not read the secret, with Fargate's stopped reason and the permission to grant", async () => {
    sim = await startSimulator({ scenario: world({}) });
    const { secretArn } = seedSecrets(sim, { secret: false });
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      secrets: `app.DATABASE_URL=${secretArn}\napp.API_KEY=/shop/api-key`,
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe("failed");
    expect(run.stdout).toContain(
      `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${secretArn} from secrets manager: AccessDeniedException`,
    );
    expect(run.stdout).toContain("stopCode TaskFailedToStart");
    expect(run.summary).toContain(
      `Allow the execution role ecsTaskExecutionRole secretsmanager:GetSecretValue on ${secretArn}`,
    );
    expect(leaksOf(canaries, "ecs-deploy", run)).toEqual([]);
    // The service is back on web:1 (the circuit breaker's rollback).
    expect(sim.ecs.service("web", "prod")?.taskDefinition).toBe(arnOf("web:1"));
  });

  it("fails the deploy when the SSM parameter does not exist, naming it", async () => {
    sim = await startSimulator({ scenario: world({}) });
    const { parameterArn } = seedSecrets(sim);
    sim.iam.allow(EXECUTION_ROLE, {
      actions: ["ssm:GetParameters"],
      resources: [parameterArn.replace("api-key", "*")],
    });
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      secrets: "app.API_KEY=/shop/api-key-typo",
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      "unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid parameters: /shop/api-key-typo",
    );
    expect(run.summary).toContain("The SSM parameter /shop/api-key-typo does not exist");
  });

  it("refuses a secret whose ARN is malformed before anything is registered, naming the input", async () => {
    sim = await startSimulator({ scenario: world({}) });
    const before = lastSeq(sim);
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      secrets: "app.DATABASE_URL=arn:aws:secretsmanager:eu-west-1:123456789012:shop/db",
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toMatch(/Input `secrets`: .*is not a Secrets Manager secret ARN/);
    expect(sim.calls.filter((c) => c.seq > before)).toEqual([]);
  });
});

/** web:1 with every kind of field a team writes, including ones AWS fills in and read-only ones. */
function richWorld(): Scenario {
  const scenario = world({});
  const rich = webTaskDefinition("1", {
    ephemeralStorage: { sizeInGiB: 30 },
    runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
    volumes: [{ name: "scratch", configuredAtLaunch: false }],
    placementConstraints: [],
    tags: [{ key: "team", value: "shop" }],
  });
  const [app] = rich.containerDefinitions;
  rich.containerDefinitions = [
    {
      ...app,
      command: ["node", "server.js"],
      entryPoint: ["/sbin/tini", "--"],
      dockerLabels: { "com.example.team": "shop" },
      healthCheck: { command: ["CMD-SHELL", "wget -qO- localhost:8080/health"], startPeriod: 10 },
      memoryReservation: 256,
      secrets: [
        {
          name: "DATABASE_URL",
          valueFrom: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/database-url-AbCdEf`,
        },
      ],
      mountPoints: [{ sourceVolume: "scratch", containerPath: "/tmp/scratch" }],
    } as (typeof rich.containerDefinitions)[number],
  ];
  const ecs = scenario.ecs as { taskDefinitions: unknown[] };
  ecs.taskDefinitions = [rich];
  return {
    ...scenario,
    secretsmanager: { secrets: [{ name: "shop/database-url", value: DATABASE_URL, arnSuffix: "AbCdEf" }] },
    iam: {
      roles: [
        {
          arn: EXECUTION_ROLE,
          allow: [
            {
              actions: ["secretsmanager:GetSecretValue"],
              resources: ["arn:aws:secretsmanager:*:*:secret:shop/*"],
            },
          ],
        },
      ],
    },
  };
}

describe("ecs-deploy: an empty task-definition", () => {
  it("registers a revision equal to the current one in every field but the image, sending none of the read-only fields", async () => {
    sim = await startSimulator({ scenario: richWorld() });
    const run = await deploy(sim, { containers: `app=${image("2")}` });
    expect(run.errors).toEqual([]);
    const registers = sim.calls.filter((c) => c.operation === "RegisterTaskDefinition");
    expect(registers).toHaveLength(1);
    const sent = registers[0]?.input as Record<string, unknown>;
    for (const field of [
      "taskDefinitionArn",
      "revision",
      "status",
      "requiresAttributes",
      "compatibilities",
      "registeredAt",
      "registeredBy",
      "deregisteredAt",
    ]) {
      expect(sent, field).not.toHaveProperty(field);
    }
    const before = sim.ecs.taskDefinition("web:1") as unknown as Record<string, unknown>;
    const after = sim.ecs.taskDefinition("web:2") as unknown as Record<string, unknown>;
    const own = new Set(["taskDefinitionArn", "revision", "registeredAt", "registeredBy"]);
    const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const field of fields) {
      if (own.has(field)) continue;
      if (field === "containerDefinitions") continue;
      expect(after[field], field).toEqual(before[field]);
    }
    const [a] = before.containerDefinitions as Record<string, unknown>[];
    const [b] = after.containerDefinitions as Record<string, unknown>[];
    for (const field of new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])) {
      if (field === "image") continue;
      expect(b?.[field], `app.${field}`).toEqual(a?.[field]);
    }
    expect(b?.image).toBe(image("2"));
    // Tags (read with include TAGS) are carried over too.
    expect(sent.tags).toEqual([{ key: "team", value: "shop" }]);
  });
});

describe("ecs-deploy: service settings", () => {
  it("sends in UpdateService exactly the settings asked for, and the new tasks have ECS Exec on", async () => {
    sim = await startSimulator({ scenario: world({}) });
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      "enable-execute-command": "true",
      "propagate-tags": "SERVICE",
    });
    expect(run.errors).toEqual([]);
    const updates = sim.calls.filter((c) => c.operation === "UpdateService");
    expect(updates.map((u) => u.input)).toEqual([
      {
        cluster: "prod",
        service: "web",
        taskDefinition: arnOf("web:2"),
        enableExecuteCommand: true,
        propagateTags: "SERVICE",
      },
    ]);
    const tasks = sim.ecs.tasks({ cluster: "prod", service: "web", desiredStatus: "RUNNING" });
    expect(tasks.length).toBe(3);
    for (const task of tasks) {
      expect(task.taskDefinitionArn).toBe(arnOf("web:2"));
      expect(task.enableExecuteCommand).toBe(true);
    }
    // Asked again, nothing differs: no UpdateService at all.
    const again = await deploy(sim, {
      containers: `app=${image("2")}`,
      "enable-execute-command": "true",
      "propagate-tags": "SERVICE",
    });
    expect(again.outputs.status).toBe("unchanged");
    expect(sim.calls.filter((c) => c.operation === "UpdateService")).toHaveLength(1);
  });

  it("sends nothing but the service and cluster with an image when no setting is asked for", async () => {
    sim = await startSimulator({ scenario: world({}) });
    const run = await deploy(sim, { containers: `app=${image("2")}` });
    expect(run.errors).toEqual([]);
    const updates = sim.calls.filter((c) => c.operation === "UpdateService");
    expect(Object.keys(updates[0]?.input ?? {}).sort()).toEqual(["cluster", "service", "taskDefinition"]);
  });

  it("refuses an EBS volume configuration for a volume the task definition does not configure at launch, before any change", async () => {
    sim = await startSimulator({ scenario: world({}) });
    const before = lastSeq(sim);
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      "volume-configurations": JSON.stringify([
        {
          name: "data",
          managedEBSVolume: { roleArn: "arn:aws:iam::123456789012:role/ecsInfrastructure", sizeInGiB: 20 },
        },
      ]),
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toMatch(
      /Input `volume-configurations`: volume "data" is not a volume the task definition configures at launch/,
    );
    expect(sim.calls.filter((c) => c.seq > before && c.operation === "RegisterTaskDefinition")).toEqual([]);
  });

  it("attaches an EBS volume configured at launch to a definition from a file with placeholders filled from the step's environment", async () => {
    sim = await startSimulator({ scenario: world({}) });
    const definition = webTaskDefinition(`\${env:IMAGE_TAG}`, {
      volumes: [{ name: "data", configuredAtLaunch: true }],
    });
    const ws = workspace({ "deploy/task-definition.json": definition });
    const run = await deploy(
      sim,
      {
        "task-definition": "deploy/task-definition.json",
        "volume-configurations": JSON.stringify([
          {
            name: "data",
            managedEBSVolume: {
              roleArn: "arn:aws:iam::123456789012:role/ecsInfrastructure",
              sizeInGiB: 20,
              volumeType: "gp3",
            },
          },
        ]),
      },
      { workspace: ws, env: { IMAGE_TAG: "2" } },
    );
    expect(run.errors).toEqual([]);
    expect(sim.ecs.taskDefinition("web:2")?.containerDefinitions?.[0]?.image).toBe(image("2"));
    const update = sim.calls.find((c) => c.operation === "UpdateService");
    expect(Object.keys(update?.input ?? {}).sort()).toEqual([
      "cluster",
      "service",
      "taskDefinition",
      "volumeConfigurations",
    ]);
    const primary = sim.ecs.service("web", "prod")?.deployments?.find((d) => d.status === "PRIMARY");
    expect(primary?.volumeConfigurations?.[0]?.name).toBe("data");
  });

  it("fails naming the placeholder whose variable is not set, before anything is registered", async () => {
    sim = await startSimulator({ scenario: world({}) });
    const ws = workspace({ "deploy/task-definition.json": webTaskDefinition(`\${env:IMAGE_TAG}`) });
    const before = lastSeq(sim);
    const run = await deploy(sim, { "task-definition": "deploy/task-definition.json" }, { workspace: ws });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toContain(
      `\${env:IMAGE_TAG} at containerDefinitions[0].image: IMAGE_TAG is not set`,
    );
    expect(sim.calls.filter((c) => c.seq > before && c.operation === "RegisterTaskDefinition")).toEqual([]);
  });
});

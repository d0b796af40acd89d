// The example scenarios under test/sim/scenarios load and behave as their names say, in-process and in
// the standalone simulator.
import { readFileSync } from "node:fs";
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { afterEach, describe, expect, it } from "vitest";
import { type Scenario, type Simulator, startSimulator } from "../../sim/index";
import { currentServiceDeployment, simulatorClients } from "./clients";
import { STANDALONE_TIMEOUT_MS, startStandalone } from "./standalone";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const MINUTE = 60_000;
const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web";

function scenario(name: string): Scenario {
  const loaded = JSON.parse(
    readFileSync(new URL(`../../sim/scenarios/${name}.json`, import.meta.url), "utf8"),
  ) as Scenario;
  return { ...loaded, clock: { ...loaded.clock, mode: "manual" } };
}

/** Registers the family's latest revision again with another image tag, and deploys it, as a client would. */
async function deploy(s: Simulator, tag: string, family = "shop-web"): Promise<void> {
  const { ecs } = simulatorClients(s);
  const current = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family })))
    .taskDefinition;
  const {
    taskDefinitionArn: _arn,
    revision: _revision,
    status: _status,
    requiresAttributes: _requires,
    compatibilities: _compatibilities,
    registeredAt: _registeredAt,
    registeredBy: _registeredBy,
    deregisteredAt: _deregisteredAt,
    ...body
  } = current ?? {};
  for (const container of body.containerDefinitions ?? []) container.image = `${IMAGE}:${tag}`;
  const td = await ecs.send(new RegisterTaskDefinitionCommand(body as never));
  await ecs.send(
    new UpdateServiceCommand({
      cluster: "staging",
      service: family,
      taskDefinition: td.taskDefinition?.taskDefinitionArn,
    }),
  );
}

describe("example scenarios", () => {
  it("rolling-web: a broken release trips the circuit breaker and rolls back to 1.4.0", async () => {
    sim = await startSimulator({ scenario: scenario("rolling-web") });
    const { ecs } = simulatorClients(sim);
    const before = (
      await ecs.send(new DescribeServicesCommand({ cluster: "staging", services: ["shop-web"] }))
    ).services?.[0];
    expect(before).toMatchObject({ runningCount: 4, desiredCount: 4 });
    await deploy(sim, "1.5.1-broken");
    const s = sim;
    const status = () => currentServiceDeployment(s, "shop-web", "staging")?.status;
    expect(sim.runUntil(() => status() === "ROLLBACK_SUCCESSFUL", 60 * MINUTE)).toBe(true);
    const after = (
      await ecs.send(new DescribeServicesCommand({ cluster: "staging", services: ["shop-web"] }))
    ).services?.[0];
    expect(after?.taskDefinition).toBe(before?.taskDefinition);
    const sd = await ecs.send(
      new DescribeServiceDeploymentsCommand({
        serviceDeploymentArns: [after?.currentServiceDeployment ?? ""],
      }),
    );
    expect(sd.serviceDeployments?.[0]?.deploymentCircuitBreaker).toEqual({
      status: "TRIGGERED",
      failureCount: 3,
      threshold: 3,
    });
  });

  it("blue-green-web: the deployment waits out its bake time after traffic moved", async () => {
    sim = await startSimulator({ scenario: scenario("blue-green-web") });
    await deploy(sim, "1.5.0");
    const s = sim;
    const sd = () => currentServiceDeployment(s, "shop-web", "staging");
    const share = () => sd()?.targetServiceRevision?.requestedProductionTrafficWeight;
    expect(sim.runUntil(() => share() === 100, 30 * MINUTE)).toBe(true);
    const shifted = sim.now();
    expect(sim.runUntil(() => sd()?.status === "SUCCESSFUL", 60 * MINUTE)).toBe(true);
    expect(sim.now() - shifted).toBeGreaterThanOrEqual(10 * MINUTE);
  });

  it("migration: the migration task exits 0 and leaves its output in the log stream", async () => {
    sim = await startSimulator({ scenario: scenario("migration") });
    const { ecs, logs } = simulatorClients(sim);
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: "staging",
        taskDefinition: "shop-migrate",
        launchType: "FARGATE",
        networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-0a1b2c3d"] } },
      }),
    );
    const arn = run.tasks?.[0]?.taskArn ?? "";
    sim.advance(2 * MINUTE);
    const task = (await ecs.send(new DescribeTasksCommand({ cluster: "staging", tasks: [arn] }))).tasks?.[0];
    expect(task?.containers?.[0]).toMatchObject({ name: "migrate", exitCode: 0 });
    const output = await logs.send(
      new GetLogEventsCommand({
        logGroupName: "/ecs/shop-migrate",
        logStreamName: `migrate/migrate/${arn.split("/").at(-1)}`,
        startFromHead: true,
      }),
    );
    expect(output.events?.map((e) => e.message)).toEqual([
      "Applying 0041_add_orders_status.sql",
      "Applying 0042_index_orders_created_at.sql",
      "Applied 2 migrations in 41.8s",
    ]);
  });

  it(
    "serves a scenario file from the standalone simulator",
    async () => {
      const standalone = await startStandalone([
        "--port",
        "0",
        "--manual",
        "--scenario",
        "test/sim/scenarios/rolling-web.json",
      ]);
      const { endpoint } = standalone;
      try {
        const state = (await fetch(`${endpoint}/_sim/state`).then((r) => r.json())) as {
          ecs: {
            services: { name: string; desiredCount: number; deployments: { rolloutState: string }[] }[];
          };
        };
        expect(
          state.ecs.services.map((s) => [s.name, s.desiredCount, s.deployments[0]?.rolloutState]),
        ).toEqual([["shop-web", 4, "COMPLETED"]]);
      } finally {
        await standalone.stop();
      }
    },
    STANDALONE_TIMEOUT_MS,
  );
});

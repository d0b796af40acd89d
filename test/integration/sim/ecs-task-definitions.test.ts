// Task definitions and clusters in the ECS simulator, through the real SDK client.
import {
  ClientException,
  CreateClusterCommand,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  paginateListTaskDefinitions,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../sim/index";
import { simulatorClients } from "./clients";
import { webScenario, webTaskDefinition } from "./web-scenario";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web";

describe("task definitions", () => {
  it("registers a new revision every time and returns the read-only fields AWS adds", async () => {
    sim = await startSimulator({ clock: { mode: "manual", start: Date.UTC(2026, 2, 2) } });
    const { ecs } = simulatorClients(sim);
    const first = await ecs.send(
      new RegisterTaskDefinitionCommand({
        ...webTaskDefinition(`${IMAGE}:1`),
        tags: [{ key: "team", value: "payments" }],
      } as never),
    );
    const second = await ecs.send(
      new RegisterTaskDefinitionCommand(webTaskDefinition(`${IMAGE}:1`) as never),
    );
    expect(first.taskDefinition?.revision).toBe(1);
    expect(second.taskDefinition?.revision).toBe(2);
    expect(first.tags).toEqual([{ key: "team", value: "payments" }]);

    const described = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: "web:1", include: ["TAGS"] }),
    );
    const td = described.taskDefinition;
    expect(td).toMatchObject({
      taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1",
      family: "web",
      revision: 1,
      status: "ACTIVE",
      compatibilities: ["EC2", "FARGATE"],
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      registeredBy: "arn:aws:iam::123456789012:root",
    });
    expect(td?.registeredAt?.toISOString()).toBe("2026-03-02T00:00:00.000Z");
    expect(td?.requiresAttributes?.map((a) => a.name)).toEqual(
      expect.arrayContaining([
        "ecs.capability.task-eni",
        "com.amazonaws.ecs.capability.logging-driver.awslogs",
        "com.amazonaws.ecs.capability.ecr-auth",
        "ecs.capability.execution-role-ecr-pull",
      ]),
    );
    expect(described.tags).toEqual([{ key: "team", value: "payments" }]);
    const withoutTags = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "web:1" }));
    expect(withoutTags.tags).toBeUndefined();
    // The family alone means the latest ACTIVE revision.
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "web" }));
    expect(latest.taskDefinition?.revision).toBe(2);
  });

  it("refuses invalid registrations with ClientException", async () => {
    sim = await startSimulator();
    const { ecs } = simulatorClients(sim);
    const cases: [string, Record<string, unknown>][] = [
      ["no image", { family: "web", containerDefinitions: [{ name: "app" }] }],
      ["bad family", { family: "web app", containerDefinitions: [{ name: "app", image: "x" }] }],
      [
        "fargate without awsvpc",
        {
          family: "web",
          requiresCompatibilities: ["FARGATE"],
          cpu: "256",
          memory: "512",
          containerDefinitions: [{ name: "a", image: "x" }],
        },
      ],
      [
        "no essential container",
        { family: "web", containerDefinitions: [{ name: "a", image: "x", essential: false }] },
      ],
    ];
    for (const [, input] of cases) {
      await expect(ecs.send(new RegisterTaskDefinitionCommand(input as never))).rejects.toBeInstanceOf(
        ClientException,
      );
    }
    expect(sim.calls.filter((c) => c.status === 200)).toHaveLength(0);
  });

  it("deletes only deregistered revisions, which stay describable as DELETE_IN_PROGRESS", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const { ecs } = simulatorClients(sim);
    await ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition(`${IMAGE}:2`) as never));
    const active = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ["web:2"] }));
    expect(active.taskDefinitions).toEqual([]);
    expect(active.failures).toMatchObject([{ arn: expect.stringMatching(/task-definition\/web:2$/) }]);
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "web:2" }));
    const deleted = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ["web:2"] }));
    expect(deleted.taskDefinitions?.map((t) => t.status)).toEqual(["DELETE_IN_PROGRESS"]);
    expect(
      (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "web:2" }))).taskDefinition?.status,
    ).toBe("DELETE_IN_PROGRESS");
    await expect(ecs.send(new RunTaskCommand({ taskDefinition: "web:2" }))).rejects.toMatchObject({
      name: "ClientException",
    });
    await expect(
      ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ["web"] })),
    ).rejects.toBeInstanceOf(ClientException);
  });

  it("deregisters a revision to INACTIVE, which can no longer be deployed", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const { ecs } = simulatorClients(sim);
    await ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition(`${IMAGE}:2`) as never));
    const out = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "web:2" }));
    expect(out.taskDefinition?.status).toBe("INACTIVE");
    expect(out.taskDefinition?.deregisteredAt).toBeInstanceOf(Date);
    // Still describable by revision, but the family now resolves to revision 1.
    expect(
      (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "web:2" }))).taskDefinition?.status,
    ).toBe("INACTIVE");
    expect(
      (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "web" }))).taskDefinition?.revision,
    ).toBe(1);
    await expect(
      ecs.send(new UpdateServiceCommand({ cluster: "default", service: "web", taskDefinition: "web:2" })),
    ).rejects.toMatchObject({ name: "ClientException", message: "TaskDefinition is inactive" });
    await expect(
      ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "web" })),
    ).rejects.toBeInstanceOf(ClientException);
    await expect(
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "web:9" })),
    ).rejects.toMatchObject({
      name: "ClientException",
      message: "Unable to describe task definition.",
    });
  });

  it("lists revisions by family and status, sorted, in pages", async () => {
    sim = await startSimulator();
    const { ecs } = simulatorClients(sim);
    for (let i = 0; i < 5; i++)
      await ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition(`${IMAGE}:${i}`) as never));
    await ecs.send(
      new RegisterTaskDefinitionCommand(webTaskDefinition(`${IMAGE}:m`, { family: "web-migrate" }) as never),
    );
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "web:2" }));
    const arn = (family: string, revision: number) =>
      `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:${revision}`;

    const active = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "web" }));
    expect(active.taskDefinitionArns).toEqual([arn("web", 1), arn("web", 3), arn("web", 4), arn("web", 5)]);
    const desc = await ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: "web", sort: "DESC", maxResults: 1 }),
    );
    expect(desc.taskDefinitionArns).toEqual([arn("web", 5)]);
    const inactive = await ecs.send(new ListTaskDefinitionsCommand({ status: "INACTIVE" }));
    expect(inactive.taskDefinitionArns).toEqual([arn("web", 2)]);

    const pages: string[][] = [];
    for await (const page of paginateListTaskDefinitions({ client: ecs, pageSize: 2 }, {})) {
      pages.push(page.taskDefinitionArns ?? []);
    }
    expect(pages).toEqual([
      [arn("web", 1), arn("web", 3)],
      [arn("web", 4), arn("web", 5)],
      [arn("web-migrate", 1)],
    ]);
    const families = await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: "web" }));
    expect(families.families).toEqual(["web", "web-migrate"]);
  });
});

describe("clusters", () => {
  it("has a default cluster, creates more idempotently and reports missing ones", async () => {
    sim = await startSimulator();
    const { ecs } = simulatorClients(sim);
    const created = await ecs.send(
      new CreateClusterCommand({ clusterName: "staging", capacityProviders: ["FARGATE"] }),
    );
    expect(created.cluster).toMatchObject({
      clusterName: "staging",
      status: "ACTIVE",
      capacityProviders: ["FARGATE"],
    });
    const again = await ecs.send(new CreateClusterCommand({ clusterName: "staging" }));
    expect(again.cluster?.clusterArn).toBe(created.cluster?.clusterArn);
    const out = await ecs.send(new DescribeClustersCommand({ clusters: ["default", "staging", "prod"] }));
    expect(out.clusters?.map((c) => c.clusterName)).toEqual(["default", "staging"]);
    expect(out.failures).toEqual([
      { arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod", reason: "MISSING" },
    ]);
  });
});

// The simulator's `compat` profile through the real SDK clients: what it answers differently from the
// "aws" profile, case by case, each checked against the same calls under "aws" so that a profile that
// quietly stopped differing would fail here (integration: simulator).
import { BatchGetImageCommand, ECRClient, PutImageCommand } from "@aws-sdk/client-ecr";
import {
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { afterEach, describe, expect, it } from "vitest";
import { type SimProfile, type Simulator, startSimulator } from "../../sim/index";
import { describeWeb, simulatorClientConfig, simulatorClients } from "./clients";
import { NETWORK, REGISTRY, webScenario, webTaskDefinition } from "./web-scenario";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(profile: SimProfile): Promise<Simulator> {
  sim = await startSimulator({ profile, scenario: webScenario() });
  return sim;
}

describe("the compat profile", () => {
  it("is the default's opposite only where it says: aws is the default", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    expect(sim.profile).toBe("aws");
    expect((await describeWeb(sim)).currentServiceDeployment).toMatch(/^arn:aws:ecs:/);
  });

  it("has no service deployments API: HTTP 500 with an HTML page", async () => {
    for (const profile of ["aws", "compat"] as const) {
      const s = await start(profile);
      const { ecs } = simulatorClients(s, 1);
      const list = ecs.send(new ListServiceDeploymentsCommand({ service: "web" }));
      if (profile === "aws") {
        await expect(list).resolves.toMatchObject({ serviceDeployments: expect.any(Array) });
      } else {
        const error = (await list.catch((e: unknown) => e)) as Error & {
          $metadata?: { httpStatusCode?: number };
        };
        expect(error).toBeInstanceOf(Error);
        expect(error.$metadata?.httpStatusCode).toBe(500);
        await expect(
          ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: ["arn:x"] })),
        ).rejects.toThrow();
      }
      await s.stop();
      sim = undefined;
    }
  });

  it("gives services without currentServiceDeployment, while deployments[] stays", async () => {
    const s = await start("compat");
    const service = await describeWeb(s);
    expect(service.currentServiceDeployment).toBeUndefined();
    expect(service.currentServiceRevisions).toBeUndefined();
    expect(service.deployments?.[0]).toMatchObject({ status: "PRIMARY", rolloutState: "COMPLETED" });
  });

  it("records the task definition of a forced UpdateService but starts no deployment", async () => {
    for (const profile of ["aws", "compat"] as const) {
      const s = await start(profile);
      const { ecs } = simulatorClients(s);
      const registered = await ecs.send(
        new RegisterTaskDefinitionCommand(webTaskDefinition(`${REGISTRY}/web:1`, { cpu: "512" }) as never),
      );
      const arn = registered.taskDefinition?.taskDefinitionArn as string;
      const before = await describeWeb(s);
      const out = await ecs.send(
        new UpdateServiceCommand({ service: "web", taskDefinition: arn, forceNewDeployment: true }),
      );
      expect(out.service?.taskDefinition).toBe(arn);
      const primary = out.service?.deployments?.find((d) => d.status === "PRIMARY");
      if (profile === "aws") {
        expect(primary?.taskDefinition).toBe(arn);
        expect(primary?.id).not.toBe(before.deployments?.[0]?.id);
      } else {
        // The service names the new revision; what runs is what ran.
        expect(primary?.id).toBe(before.deployments?.[0]?.id);
        expect(primary?.taskDefinition).toBe(before.taskDefinition);
        const later = await ecs.send(new DescribeServicesCommand({ services: ["web"] }));
        expect(later.services?.[0]?.taskDefinition).toBe(arn);
        expect(later.services?.[0]?.deployments).toHaveLength(1);
        // A plain update with a task definition starts a deployment as usual.
        const plain = await ecs.send(new UpdateServiceCommand({ service: "web", taskDefinition: arn }));
        expect(plain.service?.deployments?.find((d) => d.status === "PRIMARY")?.taskDefinition).toBe(arn);
        expect(plain.service?.deployments).toHaveLength(2);
      }
      await s.stop();
      sim = undefined;
    }
  });

  it.each([
    ["aws", 1],
    ["compat", 2],
  ] as [SimProfile, number][])(
    "%s: a RunTask repeated with the same client token starts %i task(s)",
    async (profile, tasks) => {
      const s = await start(profile);
      const { ecs } = simulatorClients(s);
      const request = {
        cluster: "default",
        taskDefinition: "web:1",
        launchType: "FARGATE" as const,
        networkConfiguration: NETWORK,
        startedBy: "one-off",
        clientToken: "run-77-attempt-1",
      };
      const first = await ecs.send(new RunTaskCommand(request));
      const again = await ecs.send(new RunTaskCommand(request));
      expect(new Set([first.tasks?.[0]?.taskArn, again.tasks?.[0]?.taskArn]).size).toBe(tasks);
      expect(s.ecs.tasks({ startedBy: "one-off" })).toHaveLength(tasks);
    },
  );

  it("answers BatchGetImage with the image's most recently written tag, not the tag asked", async () => {
    for (const profile of ["aws", "compat"] as const) {
      sim = await startSimulator({
        profile,
        scenario: { ecr: { repositories: [{ name: "shop/web", images: [{ tags: ["abc123"] }] }] } },
      });
      const ecr = new ECRClient(simulatorClientConfig(sim));
      const read = await ecr.send(
        new BatchGetImageCommand({ repositoryName: "shop/web", imageIds: [{ imageTag: "abc123" }] }),
      );
      const image = read.images?.[0];
      await ecr.send(
        new PutImageCommand({
          repositoryName: "shop/web",
          imageTag: "v1.0.0",
          imageManifest: image?.imageManifest,
          imageManifestMediaType: image?.imageManifestMediaType,
        }),
      );
      const again = await ecr.send(
        new BatchGetImageCommand({ repositoryName: "shop/web", imageIds: [{ imageTag: "abc123" }] }),
      );
      expect(again.images?.[0]?.imageId?.imageDigest).toBe(image?.imageId?.imageDigest);
      expect(again.images?.[0]?.imageId?.imageTag).toBe(profile === "aws" ? "abc123" : "v1.0.0");
      await sim.stop();
      sim = undefined;
    }
  });
});

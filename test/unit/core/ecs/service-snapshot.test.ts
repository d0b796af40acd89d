// What a service looks like before a deploy changes it: the services described (ten per call, errors
// a user can act on), the rollback target captured, the circuit breaker's default threshold.
import {
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  type Service,
} from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ServiceDeploymentsApi } from "../../../../packages/core/src/ecs/service-deployments";
import {
  captureRollbackTarget,
  circuitBreakerThreshold,
  describeServices,
} from "../../../../packages/core/src/ecs/service-snapshot";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
const ecsMock = mockClient(ECSClient);
const ecs = new ECSClient({ region: "eu-west-1" });
beforeEach(() => {
  ecsMock.reset();
});

function api() {
  return new ServiceDeploymentsApi(ecs, new RecordingLogger());
}

describe("captureRollbackTarget", () => {
  const settled: Service = {
    serviceName: "web",
    serviceArn: "arn:aws:ecs:eu-west-1:123456789012:service/prod/web",
    taskDefinition: TD(4),
    desiredCount: 3,
    deployments: [
      {
        id: "ecs-svc/4",
        status: "PRIMARY",
        taskDefinition: TD(4),
        rolloutState: "COMPLETED",
        runningCount: 3,
        desiredCount: 3,
      },
    ],
    currentServiceDeployment: "sd-4",
    currentServiceRevisions: [{ arn: "rev-4" }],
  };

  it("takes the PRIMARY deployment whose rollout COMPLETED, with the digests that ran", async () => {
    ecsMock.on(DescribeServiceRevisionsCommand).resolves({
      serviceRevisions: [
        {
          serviceRevisionArn: "rev-4",
          taskDefinition: TD(4),
          containerImages: [{ containerName: "app", image: "web:4", imageDigest: "sha256:44" }],
        },
      ],
    });
    expect(await captureRollbackTarget(settled, "prod", api())).toEqual({
      service: "web",
      taskDefinitionArn: TD(4),
      source: "completed-primary",
      serviceRevisionArn: "rev-4",
      serviceDeploymentArn: "sd-4",
      images: [{ container: "app", image: "web:4", digest: "sha256:44" }],
    });
  });

  it("takes the newest SUCCESSFUL service deployment while a rollout is in flight, never revision minus one", async () => {
    const inFlight: Service = {
      ...settled,
      taskDefinition: TD(9),
      deployments: [
        { id: "ecs-svc/9", status: "PRIMARY", taskDefinition: TD(9), rolloutState: "IN_PROGRESS" },
        { id: "ecs-svc/4", status: "ACTIVE", taskDefinition: TD(4), rolloutState: "COMPLETED" },
      ],
    };
    ecsMock.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: "sd-4",
          targetServiceRevisionArn: "rev-4",
          status: "SUCCESSFUL",
          createdAt: new Date(2),
        },
        {
          serviceDeploymentArn: "sd-2",
          targetServiceRevisionArn: "rev-2",
          status: "SUCCESSFUL",
          createdAt: new Date(1),
        },
      ],
    });
    ecsMock.on(DescribeServiceRevisionsCommand).resolves({
      serviceRevisions: [
        { serviceRevisionArn: "rev-2", taskDefinition: TD(2) },
        { serviceRevisionArn: "rev-4", taskDefinition: TD(4) },
      ],
    });
    const target = await captureRollbackTarget(inFlight, "prod", api());
    expect(target).toMatchObject({
      taskDefinitionArn: TD(4),
      source: "successful-service-deployment",
      serviceDeploymentArn: "sd-4",
    });
    expect(ecsMock.commandCalls(ListServiceDeploymentsCommand)[0]?.args[0].input).toMatchObject({
      status: ["SUCCESSFUL"],
    });
    // A re-run finds the revision it deploys already running: the target is the one before it.
    expect(await captureRollbackTarget(settled, "prod", api(), new Set([TD(4)]))).toMatchObject({
      taskDefinitionArn: TD(2),
      source: "successful-service-deployment",
    });
  });

  it("falls back to a COMPLETED deployment still draining when the API is denied", async () => {
    const denied = Object.assign(new Error("not authorized"), { name: "AccessDeniedException" });
    ecsMock.on(ListServiceDeploymentsCommand).rejects(denied);
    ecsMock.on(DescribeServiceRevisionsCommand).rejects(denied);
    const inFlight: Service = {
      ...settled,
      deployments: [
        { id: "ecs-svc/9", status: "PRIMARY", taskDefinition: TD(9), rolloutState: "IN_PROGRESS" },
        { id: "ecs-svc/4", status: "ACTIVE", taskDefinition: TD(4), rolloutState: "COMPLETED" },
      ],
    };
    expect(await captureRollbackTarget(inFlight, "prod", api())).toEqual({
      service: "web",
      taskDefinitionArn: TD(4),
      source: "completed-deployment",
      images: [],
    });
  });

  it("has none for a service that never completed a rollout", async () => {
    ecsMock.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
    const first: Service = {
      ...settled,
      deployments: [
        { id: "ecs-svc/1", status: "PRIMARY", taskDefinition: TD(1), rolloutState: "IN_PROGRESS" },
      ],
    };
    expect(await captureRollbackTarget(first, "prod", api())).toBeUndefined();
  });
});

describe("describeServices", () => {
  it("names the missing cluster and services", async () => {
    ecsMock
      .on(DescribeServicesCommand)
      .rejectsOnce(Object.assign(new Error("Cluster not found."), { name: "ClusterNotFoundException" }));
    await expect(describeServices(ecs, "nope", ["web"])).rejects.toThrow('ECS cluster "nope" was not found.');
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [
        { serviceName: "web", status: "ACTIVE" },
        { serviceName: "old", status: "DRAINING" },
      ],
      failures: [{ arn: "x", reason: "MISSING" }],
    });
    await expect(describeServices(ecs, "prod", ["web", "api", "old"])).rejects.toThrow(
      'In ECS cluster "prod", service "api" was not found; service "old" is DRAINING.',
    );
  });

  it("asks ten services per call", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `s${i}`);
    ecsMock.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
      services: input.services.map((serviceName) => ({ serviceName, status: "ACTIVE" })),
    }));
    expect((await describeServices(ecs, "prod", names)).map((s) => s.serviceName)).toEqual(names);
    expect(
      ecsMock.commandCalls(DescribeServicesCommand).map((c) => c.args[0].input.services?.length),
    ).toEqual([10, 2]);
  });
});

describe("circuitBreakerThreshold", () => {
  it.each([
    [1, 3],
    [6, 3],
    [7, 4],
    [100, 50],
    [1000, 200],
  ])("desired %i -> %i", (desired, threshold) => {
    expect(circuitBreakerThreshold(desired)).toBe(threshold);
  });
});

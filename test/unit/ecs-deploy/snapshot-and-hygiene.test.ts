// The rollback target captured before deploying, revision hygiene, the failure explainer and the
// settings of ecs-deploy, with SDK-level mocks.
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  type Service,
} from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { inputSpec } from "../../../actions/ecs-deploy/src/inputs";
import {
  environmentUpserts,
  settingsFrom,
  taskDefinitionSource,
} from "../../../actions/ecs-deploy/src/settings";
import {
  collectFailureEvidence,
  describeFailureEvidence,
  failureFix,
} from "../../../packages/core/src/ecs/failure-explainer";
import { revisionsToDeregister } from "../../../packages/core/src/ecs/revision-hygiene";
import { ServiceDeploymentsApi } from "../../../packages/core/src/ecs/service-deployments";
import {
  captureRollbackTarget,
  circuitBreakerThreshold,
  describeServices,
} from "../../../packages/core/src/ecs/service-snapshot";
import { parseInputs } from "../../../packages/core/src/runtime/inputs";
import { RecordingLogger } from "../../../packages/core/src/runtime/logger";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
const ecsMock = mockClient(ECSClient);
const logsMock = mockClient(CloudWatchLogsClient);
const ecs = new ECSClient({ region: "eu-west-1" });
const logs = new CloudWatchLogsClient({ region: "eu-west-1" });
beforeEach(() => {
  ecsMock.reset();
  logsMock.reset();
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

describe("revisionsToDeregister", () => {
  const active = [1, 2, 3, 4, 5, 6, 7].map(TD);
  it("keeps the newest N and every protected one", () => {
    expect(
      revisionsToDeregister(active, { family: "web", keep: 2, protect: new Set([TD(1), TD(4)]) }),
    ).toEqual({
      kept: [TD(7), TD(6), TD(4), TD(1)],
      deregistered: [TD(5), TD(3), TD(2)],
    });
  });
  it("deregisters nothing when there are no more than N", () => {
    expect(
      revisionsToDeregister(active.slice(0, 3), { family: "web", keep: 5, protect: new Set() }).deregistered,
    ).toEqual([]);
  });
  it("never deregisters the deployed revision even with keep 1 when it is not the newest", () => {
    expect(revisionsToDeregister(active, { family: "web", keep: 1, protect: new Set([TD(5)]) }).kept).toEqual(
      [TD(7), TD(5)],
    );
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

describe("collectFailureEvidence", () => {
  it("shows the newest stopped tasks of the failed revision with exit codes and log tails", async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: ["t/old", "t/a", "t/b", "t/other"] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: "arn:task/prod/old",
          taskDefinitionArn: TD(2),
          startedBy: "ecs-svc/1",
          stoppedAt: new Date(5),
          stopCode: "EssentialContainerExited",
        },
        {
          taskArn: "arn:task/prod/a",
          taskDefinitionArn: TD(2),
          startedBy: "ecs-svc/2",
          stoppedAt: new Date(10),
          stopCode: "EssentialContainerExited",
          stoppedReason: "Essential container in task exited",
          containers: [
            { name: "app", exitCode: 1, reason: "OutOfMemoryError: Container killed due to memory usage" },
          ],
        },
        {
          taskArn: "arn:task/prod/b",
          taskDefinitionArn: TD(2),
          startedBy: "ecs-svc/2",
          stoppedAt: new Date(20),
          stopCode: "TaskFailedToStart",
          stoppedReason: "CannotPullContainerError: pull access denied",
          containers: [{ name: "app", reason: "CannotPullContainerError: pull access denied" }],
        },
        { taskArn: "arn:task/prod/other", taskDefinitionArn: TD(1), stoppedAt: new Date(30) },
      ],
    });
    logsMock.on(GetLogEventsCommand, { logStreamName: "web/app/a" }).resolves({
      events: [
        { timestamp: 1, message: "booting" },
        { timestamp: 2, message: "FATAL: out of memory\n" },
      ],
    });
    logsMock
      .on(GetLogEventsCommand, { logStreamName: "web/app/b" })
      .rejects(new ResourceNotFoundException({ message: "no stream", $metadata: {} }));
    const evidence = await collectFailureEvidence(ecs, logs, {
      cluster: "prod",
      service: "web",
      taskDefinitionArn: TD(2),
      deploymentId: "ecs-svc/2",
      containers: [
        {
          name: "app",
          logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": "/ecs/web", "awslogs-stream-prefix": "web" },
          },
        },
      ],
      events: [
        {
          id: "e",
          message: "(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.",
          createdAt: new Date(0),
        },
      ],
      maxTasks: 2,
      tailLines: 5,
    });
    expect(evidence.stoppedTasks.map((t) => t.taskId)).toEqual(["b", "a"]);
    expect(evidence.stoppedTasks[1]?.containers[0]).toMatchObject({
      exitCode: 1,
      logTail: ["booting", "FATAL: out of memory"],
      logStream: "/ecs/web web/app/a",
    });
    const text = describeFailureEvidence(evidence);
    expect(text).toContain(
      "Stopped task a of web:2: stopCode EssentialContainerExited, stoppedReason: Essential container in task exited",
    );
    expect(text).toContain(
      "  container app: exit code 1, reason: OutOfMemoryError: Container killed due to memory usage",
    );
    expect(text).toContain("    │ FATAL: out of memory");
    expect(text).toContain("(no log lines in /ecs/web web/app/b)");
    expect(failureFix(evidence)).toMatch(/never started/);
    expect(ecsMock.commandCalls(ListTasksCommand)[0]?.args[0].input).toMatchObject({
      serviceName: "web",
      desiredStatus: "STOPPED",
    });
  });
});

describe("ecs-deploy settings", () => {
  function settings(given: Record<string, string>, env: NodeJS.ProcessEnv = { GITHUB_WORKSPACE: "/ws" }) {
    const inputs = parseInputs(inputSpec, {
      source: (name) => given[name] ?? inputSpec[name as keyof typeof inputSpec]?.default,
    });
    return settingsFrom(inputs, env);
  }

  it.each([
    [undefined, { kind: "current" }],
    ["ecs/web.json", { kind: "file", path: "/ws/ecs/web.json" }],
    ["/abs/td.yaml", { kind: "file", path: "/abs/td.yaml" }],
    ["web:12", { kind: "registered", ref: "web:12" }],
    [TD(12), { kind: "registered", ref: TD(12) }],
  ])("task-definition %s is %o", (value, source) => {
    expect(taskDefinitionSource(value, "/ws")).toEqual(source);
  });

  it("refuses an ARN that is not a task definition's", () => {
    expect(() => taskDefinitionSource("arn:aws:ecs:eu-west-1:123456789012:service/prod/web", "/ws")).toThrow(
      /is not a task-definition ARN/,
    );
  });

  it("splits container.NAME=value lines per container, keeping dots in names", () => {
    expect(
      environmentUpserts({
        "app.LOG_LEVEL": "debug",
        "app.spring.profiles.active": "prod",
        "worker.QUEUE": "q=1",
      }),
    ).toEqual({
      app: { LOG_LEVEL: "debug", "spring.profiles.active": "prod" },
      worker: { QUEUE: "q=1" },
    });
  });

  it.each([
    [
      { cluster: "prod", services: "web", environment: "production" },
      /`environment`: it records a GitHub deployment/,
    ],
    [{ cluster: "prod", services: "web", "environment-url": "https://x.example" }, /`environment-url`/],
    [
      { cluster: "prod", services: "web", containers: "app=web:1 extra" },
      /line 1 \(app\): "web:1 extra" is not an image reference/,
    ],
    [
      { cluster: "prod", services: "web, arn:aws:ecs:eu-west-1:123456789012:service/prod/web" },
      /named twice/,
    ],
  ])("refuses %o", (given, message) => {
    expect(() => settings(given)).toThrow(message);
  });

  it("renders only when images or environment variables are given", () => {
    expect(settings({ cluster: "prod", services: "web" }).rendering).toBe(false);
    expect(
      settings({ cluster: "prod", services: "web", containers: `app=web@sha256:${"a".repeat(64)}` })
        .rendering,
    ).toBe(true);
  });
});

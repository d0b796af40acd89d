// The failure explainer: the stopped tasks of the failed revision, with exit codes and log tails.
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  collectFailureEvidence,
  describeFailureEvidence,
  explainStoppedTask,
  failureFix,
  type StoppedTaskFacts,
} from "../../../../packages/core/src/ecs/failure-explainer";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
const ecsMock = mockClient(ECSClient);
const logsMock = mockClient(CloudWatchLogsClient);
const ecs = new ECSClient({ region: "eu-west-1" });
const logs = new CloudWatchLogsClient({ region: "eu-west-1" });
beforeEach(() => {
  ecsMock.reset();
  logsMock.reset();
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
    expect(failureFix(evidence)).toMatch(/Check the image exists at that tag or digest.*ecr:BatchGetImage/);
    expect(ecsMock.commandCalls(ListTasksCommand)[0]?.args[0].input).toMatchObject({
      serviceName: "web",
      desiredStatus: "STOPPED",
    });
  });
});

describe("explainStoppedTask", () => {
  const app = (exitCode: number | undefined, reason?: string) => ({ name: "app", exitCode, reason });
  const facts = (
    stopCode: string | undefined,
    stoppedReason: string | undefined,
    container = app(undefined),
    others: StoppedTaskFacts["containers"] = [],
  ): StoppedTaskFacts => ({ stopCode, stoppedReason, container, containers: [container, ...others] });

  it.each([
    [
      "an image that cannot be pulled",
      facts("TaskFailedToStart", "CannotPullContainerError: pull image manifest has been retried 5 time(s)"),
      /image could not be pulled/,
      /ecr:BatchGetImage.*subnets reach ECR/,
    ],
    [
      "a secret the execution role cannot read",
      facts(
        "TaskFailedToStart",
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf from secrets manager: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/abc is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf because no identity-based policy allows the secretsmanager:GetSecretValue action status code: 400, request id: x",
      ),
      /could not fetch what its execution role reads/,
      /Allow the execution role ecsTaskExecutionRole secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop\/db-AbCdEf/,
    ],
    [
      "an environment file the execution role cannot read",
      facts(
        "TaskFailedToStart",
        "ResourceInitializationError: failed to download env files: file download command: non empty error stream: service call has been retried 5 time(s): AccessDenied: Access Denied status code: 403, request id: x",
      ),
      /could not fetch what its execution role reads/,
      /s3:GetObject on the environment files/,
    ],
    [
      "a missing log group",
      facts(
        "TaskFailedToStart",
        "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. status code: 400",
      ),
      /could not fetch what its execution role reads/,
      /awslogs log group does not exist.*awslogs-create-group/,
    ],
    [
      "a command that failed",
      facts("EssentialContainerExited", "Essential container in task exited", app(3)),
      /Container "app" exited with code 3\./,
      /fix the command/,
    ],
    [
      "a container killed for its memory",
      facts(
        "EssentialContainerExited",
        "Essential container in task exited",
        app(137, "OutOfMemoryError: Container killed due to memory usage"),
      ),
      /more memory than it was given \(exit code 137\)/,
      /memory override/,
    ],
    [
      "a sidecar that exited and took the task with it",
      facts("EssentialContainerExited", "Essential container in task exited", app(143), [
        { name: "envoy", exitCode: 1, reason: undefined },
      ]),
      /Essential container "envoy" exited with code 1, which stopped the task before "app" finished/,
      /sidecar/,
    ],
    [
      "a StopTask from elsewhere",
      facts("UserInitiated", "stopped by the on-call engineer", app(143)),
      /stopped by a StopTask call \(stopped by the on-call engineer\)/,
      /CloudTrail/,
    ],
    [
      "Fargate Spot taking its capacity back",
      facts("SpotInterruption", "Your Spot Task was interrupted.", app(143)),
      /Fargate Spot took its capacity back/,
      /FARGATE rather than FARGATE_SPOT/,
    ],
  ])("explains %s", (_, given, cause, fix) => {
    const explained = explainStoppedTask(given);
    expect(explained.cause).toMatch(cause);
    expect(explained.fix).toMatch(fix);
  });

  it("gives the caller's advice when the command itself failed", () => {
    expect(
      explainStoppedTask(facts("EssentialContainerExited", undefined, app(1)), "Fix the backfill.").fix,
    ).toBe("Fix the backfill.");
  });
});

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
  failureFix,
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
    expect(failureFix(evidence)).toMatch(/never started/);
    expect(ecsMock.commandCalls(ListTasksCommand)[0]?.args[0].input).toMatchObject({
      serviceName: "web",
      desiredStatus: "STOPPED",
    });
  });
});

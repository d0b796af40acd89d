// Why a rollout failed, with the evidence a person needs in the job itself: the service events since
// the deployment started, the newest stopped tasks of the new revision (stop code, stopped reason,
// each container's exit code and reason) and the last lines of their awslogs streams.
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import {
  type ContainerDefinition,
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  type ServiceEvent,
  type Task,
} from "@aws-sdk/client-ecs";
import { tailLogStream } from "../aws/logs";
import { errorMessage } from "../runtime/errors";
import type { Logger } from "../runtime/logger";
import { SummaryBuilder } from "../runtime/summary";
import { awslogsStream } from "./one-off-task";
import { revisionLabel } from "./task-definition";

export interface ContainerEvidence {
  name: string;
  exitCode: number | undefined;
  reason: string | undefined;
  /** `<group> <stream>` of its awslogs stream, when it logs there. */
  logStream: string | undefined;
  logTail: string[];
  /** Why the log could not be read, when it could not. */
  logError?: string;
}

export interface StoppedTaskEvidence {
  taskArn: string;
  taskId: string;
  stoppedAt: Date | undefined;
  stopCode: string | undefined;
  stoppedReason: string | undefined;
  containers: ContainerEvidence[];
}

export interface FailureEvidence {
  service: string;
  taskDefinitionArn: string;
  events: { at: Date | undefined; message: string }[];
  stoppedTasks: StoppedTaskEvidence[];
}

export interface EvidenceRequest {
  cluster: string;
  service: string;
  /** The revision that failed: only its stopped tasks are shown. */
  taskDefinitionArn: string;
  /** Its container definitions, for their awslogs settings. */
  containers: readonly ContainerDefinition[];
  /** The service events seen since the deployment started, oldest first. */
  events: readonly ServiceEvent[];
  /** The deployments[] id that started the tasks, to prefer its tasks over older ones. */
  deploymentId?: string | undefined;
  maxTasks?: number;
  tailLines?: number;
}

function taskId(arn: string): string {
  return arn.split("/").pop() ?? arn;
}

function whenStopped(task: Task): number {
  return (task.stoppedAt ?? task.stoppingAt ?? task.executionStoppedAt ?? task.createdAt)?.getTime() ?? 0;
}

async function stoppedTasksOf(ecs: ECSClient, request: EvidenceRequest): Promise<Task[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  // The newest hundred stopped tasks of the service are plenty to find the failing revision's.
  do {
    const page = await ecs.send(
      new ListTasksCommand({
        cluster: request.cluster,
        serviceName: request.service,
        desiredStatus: "STOPPED",
        maxResults: 100,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken && arns.length < 100);
  const tasks: Task[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const out = await ecs.send(
      new DescribeTasksCommand({ cluster: request.cluster, tasks: arns.slice(i, i + 100) }),
    );
    tasks.push(...(out.tasks ?? []));
  }
  return tasks
    .filter((t) => t.taskDefinitionArn === request.taskDefinitionArn)
    .sort(
      (a, b) =>
        Number(b.startedBy === request.deploymentId) - Number(a.startedBy === request.deploymentId) ||
        whenStopped(b) - whenStopped(a),
    );
}

/**
 * Gathers the evidence. Reading it must not hide the failure itself, so problems reading a log are
 * recorded beside the task instead of thrown.
 */
export async function collectFailureEvidence(
  ecs: ECSClient,
  logs: CloudWatchLogsClient | undefined,
  request: EvidenceRequest,
): Promise<FailureEvidence> {
  const tailLines = request.tailLines ?? 20;
  const tasks = (await stoppedTasksOf(ecs, request)).slice(0, request.maxTasks ?? 3);
  const stoppedTasks: StoppedTaskEvidence[] = [];
  for (const task of tasks) {
    const taskArn = task.taskArn ?? "";
    const containers: ContainerEvidence[] = [];
    for (const container of task.containers ?? []) {
      const name = container.name ?? "";
      const definition = request.containers.find((c) => c.name === name);
      const options =
        definition?.logConfiguration?.logDriver === "awslogs"
          ? definition.logConfiguration.options
          : undefined;
      const group = options?.["awslogs-group"];
      const evidence: ContainerEvidence = {
        name,
        exitCode: container.exitCode ?? undefined,
        reason: container.reason,
        logStream: undefined,
        logTail: [],
      };
      if (group) {
        const stream = awslogsStream(options?.["awslogs-stream-prefix"], name, taskArn);
        evidence.logStream = `${group} ${stream}`;
        if (logs) {
          try {
            evidence.logTail = (await tailLogStream(logs, { group, stream, limit: tailLines })).map(
              (l) => l.message,
            );
          } catch (error) {
            evidence.logError = errorMessage(error);
          }
        }
      }
      containers.push(evidence);
    }
    stoppedTasks.push({
      taskArn,
      taskId: taskId(taskArn),
      stoppedAt: task.stoppedAt ?? task.stoppingAt,
      stopCode: task.stopCode,
      stoppedReason: task.stoppedReason,
      containers,
    });
  }
  return {
    service: request.service,
    taskDefinitionArn: request.taskDefinitionArn,
    events: request.events.map((e) => ({ at: e.createdAt, message: e.message ?? "" })),
    stoppedTasks,
  };
}

function exitText(container: ContainerEvidence): string {
  return container.exitCode === undefined ? "no exit code" : `exit code ${container.exitCode}`;
}

/** The evidence as log lines. */
export function describeFailureEvidence(evidence: FailureEvidence): string {
  const lines: string[] = [];
  const revision = revisionLabel(evidence.taskDefinitionArn);
  lines.push(`Service events since the deployment started (${evidence.events.length}):`);
  for (const event of evidence.events)
    lines.push(`  ${event.at?.toISOString() ?? ""} ${event.message}`.trimEnd());
  if (evidence.events.length === 0) lines.push("  (none)");
  if (evidence.stoppedTasks.length === 0) {
    lines.push(
      `No stopped tasks of ${revision} were found (tasks are listed for about an hour after they stop).`,
    );
  }
  for (const task of evidence.stoppedTasks) {
    lines.push(
      `Stopped task ${task.taskId} of ${revision}: stopCode ${task.stopCode ?? "none"}, stoppedReason: ${task.stoppedReason ?? "none"}`,
    );
    for (const container of task.containers) {
      lines.push(
        `  container ${container.name}: ${exitText(container)}${container.reason ? `, reason: ${container.reason}` : ""}`,
      );
      if (container.logError)
        lines.push(`    (could not read ${container.logStream ?? "its log"}: ${container.logError})`);
      else if (container.logStream && container.logTail.length === 0)
        lines.push(`    (no log lines in ${container.logStream})`);
      if (container.logTail.length > 0) {
        lines.push(
          `    last ${container.logTail.length} log lines of ${container.logStream ?? "the container"}:`,
        );
        for (const line of container.logTail) lines.push(`    │ ${line}`);
      }
    }
  }
  return lines.join("\n");
}

/** The evidence as step-summary sections. */
export function summarizeFailureEvidence(summary: SummaryBuilder, evidence: FailureEvidence): void {
  const revision = revisionLabel(evidence.taskDefinitionArn);
  if (evidence.stoppedTasks.length > 0) {
    summary.heading(`Stopped tasks of ${revision} (${evidence.service})`, 4);
    summary.table(
      ["Task", "Stop code", "Stopped reason", "Container", "Exit code", "Reason"],
      evidence.stoppedTasks.flatMap((task) =>
        task.containers.map((c, i) => [
          i === 0 ? task.taskId : "",
          i === 0 ? (task.stopCode ?? "") : "",
          i === 0 ? (task.stoppedReason ?? "") : "",
          c.name,
          c.exitCode ?? "none",
          c.reason ?? "",
        ]),
      ),
    );
    for (const task of evidence.stoppedTasks) {
      for (const c of task.containers) {
        if (c.logTail.length === 0) continue;
        summary.details(
          `Last ${c.logTail.length} log lines of ${c.name} in task ${task.taskId}`,
          new SummaryBuilder().code(c.logTail.join("\n")),
          task === evidence.stoppedTasks[0],
        );
      }
    }
  }
  if (evidence.events.length > 0) {
    summary.details(
      `Service events of ${evidence.service} since the deployment started (${evidence.events.length})`,
      new SummaryBuilder().table(
        ["Time", "Event"],
        evidence.events.map((e) => [e.at?.toISOString() ?? "", e.message]),
      ),
    );
  }
}

/** The execution role named in an access denial (`assumed-role/<role>/<task>`), when there is one. */
function deniedRole(reason: string): string {
  const match = /assumed-role\/([^/\s]+)\//.exec(reason);
  return match ? `the execution role ${match[1]}` : "the task's execution role";
}

/**
 * What to do about a task that could not fetch what its execution role reads before it starts
 * (ResourceInitializationError): secrets, parameters, environment files, the log group. Undefined for
 * any other stopped reason.
 */
export function resourceInitializationFix(reason: string): string | undefined {
  if (!reason.includes("ResourceInitializationError")) return undefined;
  const role = deniedRole(reason);
  const resource = /on resource: (\S+)/.exec(reason)?.[1];
  if (reason.includes("unable to retrieve secret from asm")) {
    const secret = /failed to fetch secret (\S+)/.exec(reason)?.[1] ?? resource ?? "the secret";
    if (/AccessDeniedException: Access to KMS/i.test(reason))
      return `Allow ${role} kms:Decrypt on the KMS key that encrypts ${secret} (a customer managed key needs it; aws/secretsmanager does not).`;
    if (reason.includes("AccessDeniedException"))
      return `Allow ${role} secretsmanager:GetSecretValue on ${resource ?? secret} (and kms:Decrypt on the secret's KMS key if it is customer managed), then try again.`;
    if (reason.includes("ResourceNotFoundException"))
      return `The secret ${secret} does not exist in that account and region (or not the version asked for): create it, or correct the ARN in \`secrets\` or the task definition.`;
    const key = /did not contain json key (\S+)/.exec(reason)?.[1];
    if (key)
      return `The secret's value has no JSON key ${key}: add the key to the secret, or correct the key in the secret's ARN (…:secret:<name>:<json-key>::).`;
  }
  if (reason.includes("unable to retrieve secrets from ssm")) {
    if (reason.includes("AccessDeniedException") && resource)
      return `Allow ${role} ssm:GetParameters on ${resource} (and kms:Decrypt on the key of a SecureString encrypted with a customer managed key), then try again.`;
    if (reason.includes("AccessDeniedException"))
      return `Allow ${role} kms:Decrypt on the KMS key of the SecureString parameter, then try again.`;
    const missing = /invalid parameters: (.+)$/.exec(reason)?.[1];
    if (missing)
      return `The SSM parameter ${missing} does not exist in the task's region: create it, or correct its name or ARN in \`secrets\` or the task definition.`;
  }
  if (reason.includes("failed to download env files")) {
    if (/AccessDenied/.test(reason))
      return `Allow ${role} s3:GetObject on the environment files (arn:aws:s3:::<bucket>/<key>.env) and s3:GetBucketLocation on their bucket.`;
    if (/NoSuchKey/.test(reason))
      return "An environment file does not exist: upload it, or correct its ARN in `environment-files` or the task definition.";
  }
  if (reason.includes("log group does not exist"))
    return 'The awslogs log group does not exist: create it, or set the log option "awslogs-create-group": "true" (the execution role then needs logs:CreateLogGroup).';
  return "The task could not fetch what it needs before starting: check that its subnets reach ECR, Secrets Manager, SSM, S3 and CloudWatch Logs (a NAT gateway, a public IP or VPC endpoints) and what its execution role may read.";
}

/** A container that ran and exited with a non-zero code (not one that never got an exit code). */
function exitedWithError(container: { exitCode?: number | undefined }): boolean {
  return container.exitCode !== undefined && container.exitCode !== 0;
}

/** What to do next, from the evidence. */
export function failureFix(evidence: FailureEvidence): string {
  const tasks = evidence.stoppedTasks;
  for (const task of tasks) {
    const fix = resourceInitializationFix(task.stoppedReason ?? "");
    if (fix) return fix;
  }
  if (tasks.some((t) => /health checks/i.test(t.stoppedReason ?? ""))) {
    return "The new tasks failed their health checks: read the log lines above, check the health check path and the grace period, then deploy a fixed image.";
  }
  const task =
    tasks.find((t) => t.stopCode === "TaskFailedToStart") ??
    tasks.find((t) => t.containers.some(exitedWithError));
  if (!task) return "Read the service events above, fix the cause, and deploy again.";
  // A stopped task of a service is explained as a one-off task's is (pull errors, memory, sidecars).
  const container = task.containers.find(exitedWithError) ??
    task.containers[0] ?? { name: "", exitCode: undefined, reason: undefined };
  return explainStoppedTask(
    { stopCode: task.stopCode, stoppedReason: task.stoppedReason, container, containers: task.containers },
    "The new containers exited: read their last log lines above, fix the cause, and deploy again.",
  ).fix;
}

/** Gathers the evidence, logging it; never throws (a failure to explain must not hide the failure). */
export async function explainFailure(
  ecs: ECSClient,
  logs: CloudWatchLogsClient | undefined,
  request: EvidenceRequest,
  logger: Logger,
): Promise<FailureEvidence> {
  try {
    const evidence = await collectFailureEvidence(ecs, logs, request);
    logger.info(describeFailureEvidence(evidence));
    return evidence;
  } catch (error) {
    logger.warning(`Could not gather the stopped tasks of ${request.service}: ${errorMessage(error)}`);
    const evidence: FailureEvidence = {
      service: request.service,
      taskDefinitionArn: request.taskDefinitionArn,
      events: request.events.map((e) => ({ at: e.createdAt, message: e.message ?? "" })),
      stoppedTasks: [],
    };
    logger.info(describeFailureEvidence(evidence));
    return evidence;
  }
}

/** What a stopped task tells about itself: enough to say why it stopped. */
export interface StoppedTaskFacts {
  stopCode: string | undefined;
  stoppedReason: string | undefined;
  /** The container that decides (a one-off task's command, a service's essential container). */
  container: { name: string; exitCode: number | undefined; reason: string | undefined };
  /** Every container of the task, the deciding one included. */
  containers: readonly { name: string; exitCode: number | undefined; reason: string | undefined }[];
}

export interface StopExplanation {
  /** What happened, in a sentence. */
  cause: string;
  /** What to do about it. */
  fix: string;
}

const OOM_EXIT = 137;
const SIGTERM_EXIT = 143;

/**
 * Why a task stopped, from its stop code, stopped reason and exit codes, in the words a person acts
 * on. `commandFix` is the advice when the container's own command failed.
 */
export function explainStoppedTask(
  facts: StoppedTaskFacts,
  commandFix = "Read its log lines above, fix the command, and run it again.",
): StopExplanation {
  const reasons = [facts.stoppedReason, facts.container.reason, ...facts.containers.map((c) => c.reason)]
    .filter((r): r is string => Boolean(r))
    .join(" ");
  const { container } = facts;
  if (
    facts.stopCode === "TaskFailedToStart" ||
    (container.exitCode === undefined && /Error:/.test(reasons))
  ) {
    if (/CannotPullContainerError/.test(reasons)) {
      return {
        cause: "The task never ran: its image could not be pulled.",
        fix: "Check the image exists at that tag or digest, that the execution role may pull it (ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer), and that the subnets reach ECR (a NAT gateway, a public IP, or VPC endpoints).",
      };
    }
    // One explanation of what the execution role fetches before a task starts, for every caller.
    const initFix = resourceInitializationFix(reasons);
    if (initFix) {
      return {
        cause:
          "The task never ran: ECS could not fetch what its execution role reads for it before it starts.",
        fix: initFix,
      };
    }
    if (/CannotStartContainerError/.test(reasons)) {
      return {
        cause: "The task never ran: its container could not be started.",
        fix: "Check the command and entry point exist in the image, and the container's memory and cpu.",
      };
    }
    return {
      cause: "The task never ran.",
      fix: "Read the stopped reason above: check the image, the subnets (they must reach ECR, Secrets Manager and CloudWatch Logs), the execution role and the task role.",
    };
  }
  if (facts.stopCode === "UserInitiated") {
    return {
      cause: `The task was stopped by a StopTask call (${facts.stoppedReason ?? "no reason given"}).`,
      fix: "Find who stopped it (CloudTrail records StopTask), then run it again if it should have finished.",
    };
  }
  if (facts.stopCode === "SpotInterruption") {
    return {
      cause: "Fargate Spot took its capacity back and stopped the task.",
      fix: "Run one-off work that must finish on FARGATE rather than FARGATE_SPOT, or make it safe to run again and retry.",
    };
  }
  if (facts.stopCode === "TerminationNotice" || facts.stopCode === "ServiceSchedulerInitiated") {
    return {
      cause: `ECS stopped the task (${facts.stopCode}: ${facts.stoppedReason ?? "no reason given"}).`,
      fix: "Nothing in the task caused it: run it again.",
    };
  }
  if (container.exitCode === OOM_EXIT || /OutOfMemory/i.test(container.reason ?? "")) {
    return {
      cause: `Container "${container.name}" was killed for using more memory than it was given (exit code ${container.exitCode ?? "none"}).`,
      fix: "Give the container more memory (a memory override, or the task definition's), or make the command use less.",
    };
  }
  if (container.exitCode === 0 || container.exitCode === undefined || container.exitCode === SIGTERM_EXIT) {
    const other = facts.containers.find((c) => c.name !== container.name && exitedWithError(c));
    if (other) {
      return {
        cause: `Essential container "${other.name}" exited with code ${other.exitCode}, which stopped the task${container.exitCode === 0 ? "" : ` before "${container.name}" finished`}.`,
        fix: `Read "${other.name}"'s log: a sidecar that exits stops every container of the task.`,
      };
    }
  }
  if (container.exitCode === SIGTERM_EXIT) {
    return {
      cause: `Container "${container.name}" was ended by SIGTERM (exit code 143) before it finished.`,
      fix: "Something stopped the task: read the stopped reason above, then run it again.",
    };
  }
  if (exitedWithError(container)) {
    return {
      cause: `Container "${container.name}" exited with code ${container.exitCode}.`,
      fix: commandFix,
    };
  }
  return {
    cause: `The task stopped without an exit code from container "${container.name}".`,
    fix: "Read the stopped reason above; run it again once it is resolved.",
  };
}

// Following one-off ECS tasks to STOPPED: their awslogs output streamed between polls, a progress
// line whenever something changes (and now and then when nothing does), the named container's exit
// code judged, and the tasks stopped when the wait times out or the workflow is cancelled.
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTasksCommand, type ECSClient, type Task } from "@aws-sdk/client-ecs";
import { type LogLine, LogStreamFollower, type LogStreamRef, tailLogStream } from "../aws/logs";
import type { Clock } from "../runtime/clock";
import { CancelledError, errorMessage, UserError } from "../runtime/errors";
import { formatDuration } from "../runtime/format";
import type { Logger } from "../runtime/logger";
import { done, PollTimeoutError, pending, poll } from "../runtime/poller";
import { stopTasks } from "./one-off-task";

export interface ContainerResult {
  name: string;
  exitCode: number | undefined;
  reason: string | undefined;
  lastStatus: string | undefined;
}

export interface TaskOutcome {
  taskArn: string;
  lastStatus: string;
  stopCode: string | undefined;
  stoppedReason: string | undefined;
  container: ContainerResult;
  /** Every container of the task, the judged one included. */
  containers: ContainerResult[];
  /** The container's awslogs stream, when it has one. */
  logStream: LogStreamRef | undefined;
  /** The last lines of the container's log (empty when it has no awslogs stream). */
  logTail: LogLine[];
  durationMs: number;
  succeeded: boolean;
}

export interface FollowedTask {
  taskArn: string;
  /** The judged container's awslogs stream, when it has one. */
  logStream: LogStreamRef | undefined;
}

export interface FollowOptions {
  cluster: string;
  tasks: readonly FollowedTask[];
  /** The container whose exit code decides. */
  container: string;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  intervalMs: number;
  tailLines: number;
  /** Who stops the task on a timeout, for its stoppedReason: "shipline migrate". */
  actor: string;
  /** What to do when the tasks outlive the timeout. */
  timeoutFix: string;
}

/** A progress line at least this often while nothing changes. */
const HEARTBEAT_MS = 60_000;

/** The tasks outlived the timeout and were stopped; `outcomes` holds what was last seen of them. */
export class TaskWaitTimeout extends UserError {
  constructor(
    message: string,
    fix: string,
    readonly outcomes: TaskOutcome[],
  ) {
    super(message, { input: "timeout", fix });
  }
}

export function taskIdOf(taskArn: string): string {
  return taskArn.split("/").pop() ?? taskArn;
}

function containerOf(task: Task | undefined, name: string): ContainerResult {
  const c = task?.containers?.find((x) => x.name === name);
  return { name, exitCode: c?.exitCode ?? undefined, reason: c?.reason, lastStatus: c?.lastStatus };
}

/** Only an exit code of 0 from the named container of a STOPPED task is a success. */
export function judge(task: Task, container: string): boolean {
  return task.lastStatus === "STOPPED" && containerOf(task, container).exitCode === 0;
}

class Followed {
  readonly follower: LogStreamFollower | undefined;
  task: Task | undefined;
  lastSeen = "";
  linesShown = 0;

  constructor(
    readonly ref: FollowedTask,
    logs: CloudWatchLogsClient | undefined,
    keep: number,
  ) {
    this.follower = logs && ref.logStream ? new LogStreamFollower(logs, ref.logStream, { keep }) : undefined;
  }

  get stopped(): boolean {
    return this.task?.lastStatus === "STOPPED";
  }
}

/**
 * Polls the tasks until every one is STOPPED (never waiting for RUNNING: a fast task goes PENDING →
 * STOPPED between two polls), streaming their log lines between polls. On cancellation or timeout the
 * tasks still running are stopped before the error is raised.
 */
export async function followTasks(
  ecs: ECSClient,
  logs: CloudWatchLogsClient | undefined,
  options: FollowOptions,
): Promise<TaskOutcome[]> {
  const { clock, logger, cluster } = options;
  const started = clock.now();
  const several = options.tasks.length > 1;
  const followed = options.tasks.map((t) => new Followed(t, logs, Math.max(options.tailLines, 50)));
  // Each line marked as the task's output and tagged with its task when there are several. A task may
  // print what it was given: the logger redacts every line it writes, as the summary and outputs do.
  const emit = (line: LogLine, taskArn: string): void =>
    logger.info(`│ ${several ? `[${taskIdOf(taskArn).slice(0, 8)}] ` : ""}${line.message}`);
  // A log that cannot be read (a role without logs:GetLogEvents, throttling) does not fail the task,
  // but the user is told once why no output shows, rather than left with a silent step.
  let logWarned = false;
  const drain = async (one: Followed): Promise<void> => {
    if (!one.follower) return;
    try {
      for (const line of await one.follower.read()) {
        one.linesShown++;
        emit(line, one.ref.taskArn);
      }
    } catch (error) {
      if (logWarned) {
        logger.debug(`Reading the task's log failed: ${errorMessage(error)}`);
        return;
      }
      logWarned = true;
      const ref = one.ref.logStream;
      logger.warning(
        `Cannot read the task's log${ref ? ` (${ref.group} ${ref.stream})` : ""}: ${error instanceof Error && error.name !== "Error" ? `${error.name}: ` : ""}${errorMessage(error)}. The task is followed without its output; allow logs:GetLogEvents on the log group to see it.`,
      );
    }
  };
  const drainAll = async (): Promise<void> => {
    for (const one of followed) await drain(one);
  };

  let lastProgressAt = clock.now();
  const outcomes = (): TaskOutcome[] =>
    followed.map((one) => ({
      taskArn: one.ref.taskArn,
      lastStatus: one.task?.lastStatus ?? "UNKNOWN",
      stopCode: one.task?.stopCode,
      stoppedReason: one.task?.stoppedReason,
      container: containerOf(one.task, options.container),
      containers: (one.task?.containers ?? []).map((c) => containerOf(one.task, c.name ?? "")),
      logStream: one.ref.logStream,
      logTail: one.follower?.recent(options.tailLines) ?? [],
      durationMs: clock.now() - started,
      succeeded: one.task ? judge(one.task, options.container) : false,
    }));
  const unfinished = (): string[] => followed.filter((f) => !f.stopped).map((f) => f.ref.taskArn);

  try {
    await poll(
      {
        intervalMs: options.intervalMs,
        timeoutMs: options.timeoutMs,
        clock,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      async ({ elapsedMs }) => {
        const open = followed.filter((f) => !f.stopped);
        const out = await ecs.send(
          new DescribeTasksCommand({ cluster, tasks: open.map((f) => f.ref.taskArn) }),
        );
        const changed: Followed[] = [];
        for (const one of open) {
          const current = out.tasks?.find((t) => t.taskArn === one.ref.taskArn);
          if (!current) {
            const reason = out.failures?.find((f) => f.arn === one.ref.taskArn)?.reason ?? "MISSING";
            throw new UserError(`ECS no longer knows task ${one.ref.taskArn} (${reason}).`, {
              fix: "Tasks are forgotten about an hour after they stop; look for it in the cluster's stopped tasks, or re-run.",
            });
          }
          one.task = current;
          await drain(one);
          const container = containerOf(current, options.container);
          const seen = `${current.lastStatus ?? "?"} (container ${container.lastStatus ?? "not started"})`;
          if (seen !== one.lastSeen) {
            one.lastSeen = seen;
            changed.push(one);
          }
        }
        // What changed, on every poll; everything still open, now and then, when nothing did.
        const quiet = changed.length === 0 && clock.now() - lastProgressAt >= HEARTBEAT_MS;
        for (const one of quiet ? open : changed) {
          logger.progress(
            `Task ${taskIdOf(one.ref.taskArn)}: ${one.lastSeen}, ${formatDuration(elapsedMs)}${quiet ? `, ${one.linesShown} log lines so far` : ""}`,
          );
        }
        if (quiet || changed.length > 0) lastProgressAt = clock.now();
        return unfinished().length === 0 ? done(true) : pending;
      },
    );
  } catch (error) {
    if (error instanceof CancelledError || (error instanceof Error && error.name === "AbortError")) {
      await stopTasks(ecs, cluster, unfinished(), "The GitHub workflow run was cancelled.", logger);
      throw error;
    }
    if (error instanceof PollTimeoutError) {
      const running = unfinished();
      await stopTasks(
        ecs,
        cluster,
        running,
        `${options.actor} timeout of ${formatDuration(options.timeoutMs)} reached.`,
        logger,
      );
      await drainAll();
      const seen = outcomes();
      const tail = seen.find((o) => running.includes(o.taskArn))?.logTail ?? [];
      const which = running.length === 1 ? `Task ${running[0]}` : `Tasks ${running.join(", ")}`;
      throw new TaskWaitTimeout(
        `${which} did not stop within ${formatDuration(options.timeoutMs)}, so ${running.length === 1 ? "it was" : "they were"} stopped.${tail.length ? ` The last ${tail.length} log lines:\n${tail.map((l) => l.message).join("\n")}` : ""}`,
        options.timeoutFix,
        seen,
      );
    }
    throw error;
  }

  // CloudWatch can lag the container by a moment: read once more after a pause.
  await drainAll();
  if (followed.some((f) => f.follower)) {
    await clock.sleep(Math.min(options.intervalMs, 2_000), options.signal).catch(() => undefined);
    await drainAll();
  }
  const result = outcomes();
  for (const outcome of result) {
    if (logs && outcome.logStream && outcome.logTail.length === 0) {
      outcome.logTail = await tailLogStream(logs, { ...outcome.logStream, limit: options.tailLines }).catch(
        () => [],
      );
    }
  }
  return result;
}

/** One task followed to STOPPED (see followTasks). */
export async function followTask(
  ecs: ECSClient,
  logs: CloudWatchLogsClient | undefined,
  options: Omit<FollowOptions, "tasks"> & FollowedTask,
): Promise<TaskOutcome> {
  const { taskArn, logStream, ...rest } = options;
  const [outcome] = await followTasks(ecs, logs, { ...rest, tasks: [{ taskArn, logStream }] });
  return outcome as TaskOutcome;
}

/** A failure message with the evidence: stop code, stopped reason, exit code, container reason, log tail. */
export function describeTaskFailure(outcome: TaskOutcome): string {
  const c = outcome.container;
  const exit =
    c.exitCode === undefined
      ? "no exit code (the container did not run to completion)"
      : `exit code ${c.exitCode}`;
  const lines = [
    `Task ${outcome.taskArn} stopped after ${formatDuration(outcome.durationMs)}: container "${c.name}" ${exit}.`,
    `stopCode: ${outcome.stopCode ?? "none"}`,
    `stoppedReason: ${outcome.stoppedReason ?? "none"}`,
  ];
  if (c.reason) lines.push(`container reason: ${c.reason}`);
  if (outcome.logTail.length > 0) {
    lines.push(
      `Last ${outcome.logTail.length} log line${outcome.logTail.length === 1 ? "" : "s"}:`,
      ...outcome.logTail.map((l) => `  ${l.message}`),
    );
  } else {
    lines.push("The container wrote no log lines.");
  }
  return lines.join("\n");
}

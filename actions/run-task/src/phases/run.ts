// Starts the task (or finds the one this step already started) and follows it until it stops, its
// log lines shown as they arrive.
import { awsUserError } from "@shipline/core/aws/errors";
import { followTasks, type TaskOutcome, TaskWaitTimeout } from "@shipline/core/ecs/one-off-follow";
import { awslogsStream, type StartedTasks, startOneOffTasks } from "@shipline/core/ecs/one-off-task";
import { CancelledError, isAbortError, UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";
import type { PreparedRun } from "./prepare";

export interface RunResult {
  started: StartedTasks;
  /** What was last seen of each task: stopped ones, or the state when the wait ended. */
  outcomes: TaskOutcome[];
  /** Why the run did not end with every task followed to its stop, when it did not. */
  interrupted: unknown;
}

export async function startTasks(context: ActionContext, prepared: PreparedRun): Promise<StartedTasks> {
  const { logger } = context;
  const { count } = prepared.request;
  // A cancel that arrived while the step prepared must not be followed by a start.
  if (context.signal.aborted) throw new CancelledError();
  return logger.group(count === 1 ? "Start the task" : `Start ${count} tasks`, async () => {
    const started = await startOneOffTasks(prepared.ecs, prepared.request, logger);
    if (!started.resumed) {
      for (const task of started.tasks)
        logger.info(`Started ${task.taskArn} (${task.lastStatus ?? "PROVISIONING"}).`);
    }
    return started;
  });
}

/** The task runs on in ECS when AWS stops answering: say so, rather than leave it unmentioned. */
function lostTrackOf(taskArns: readonly string[], error: unknown): unknown {
  const explained = awsUserError(error, "run-task");
  if (!explained) return error;
  return new UserError(
    `${taskArns.join(", ")} ${taskArns.length === 1 ? "was" : "were"} started and keep${taskArns.length === 1 ? "s" : ""} running in ECS, but this step could not follow: ${explained.message}`,
    {
      fix: `${explained.fix ?? ""} Re-running this job attempt follows the same task again; it starts none.`.trim(),
      cause: error,
    },
  );
}

export async function followToTheEnd(
  context: ActionContext,
  settings: Settings,
  prepared: PreparedRun,
  started: StartedTasks,
): Promise<RunResult> {
  const { logger } = context;
  const { target } = prepared;
  const tasks = started.tasks.map((task) => {
    const taskArn = task.taskArn as string;
    const logStream = target.logs
      ? {
          group: target.logs.group,
          stream: awslogsStream(target.logs.streamPrefix, target.container, taskArn),
        }
      : undefined;
    return { taskArn, logStream };
  });
  const several = tasks.length > 1;
  const where =
    tasks.length === 1 && tasks[0]?.logStream
      ? ` (log ${tasks[0].logStream.group} ${tasks[0].logStream.stream})`
      : "";
  return logger.group(
    `Follow ${several ? "the tasks" : "the task"} until ${several ? "they stop" : "it stops"}${where}`,
    async () => {
      try {
        const outcomes = await followTasks(prepared.ecs, target.logs ? prepared.logs : undefined, {
          cluster: settings.cluster,
          tasks,
          container: target.container,
          clock: context.clock,
          logger,
          signal: context.signal,
          timeoutMs: settings.timeoutMs,
          intervalMs: settings.pollIntervalMs,
          tailLines: settings.logTailLines,
          actor: "shipline run-task",
          timeoutFix: "Find out what the task waited on in its log, or raise `timeout` if it needs longer.",
        });
        return { started, outcomes, interrupted: undefined };
      } catch (error) {
        if (error instanceof TaskWaitTimeout)
          return { started, outcomes: error.outcomes, interrupted: error };
        if (isAbortError(error)) return { started, outcomes: [], interrupted: error };
        return {
          started,
          outcomes: [],
          interrupted: lostTrackOf(
            tasks.map((t) => t.taskArn),
            error,
          ),
        };
      }
    },
  );
}

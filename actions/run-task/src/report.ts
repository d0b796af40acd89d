// The run's verdict and its rendering in one place: the outputs, the JSON report and the step summary,
// and the error that fails the step when a task did not exit 0.
import { logStreamConsoleUrl, taskConsoleUrl } from "@shipline/core/aws/console";
import { explainStoppedTask, type StopExplanation } from "@shipline/core/ecs/failure-explainer";
import { describeTaskFailure, type TaskOutcome, taskIdOf } from "@shipline/core/ecs/one-off-follow";
import { isAbortError, UserError } from "@shipline/core/runtime/errors";
import { formatDuration } from "@shipline/core/runtime/format";
import type { Outputs } from "@shipline/core/runtime/outputs";
import type { ActionContext } from "@shipline/core/runtime/run";
import { SummaryBuilder } from "@shipline/core/runtime/summary";
import type { outputSpec } from "./outputs";
import type { PreparedRun } from "./phases/prepare";
import type { RunResult } from "./phases/run";

type RunTaskOutputs = Outputs<(typeof outputSpec)[number]>;

export type Verdict = "pass" | "fail" | "timed-out" | "cancelled" | "unknown";

const COMMAND_FIX =
  "The task's command failed: read its log lines above, fix the cause, and run the step again.";

function explain(outcome: TaskOutcome): StopExplanation {
  return explainStoppedTask(outcome, COMMAND_FIX);
}

export function verdictOf(result: RunResult): Verdict {
  if (result.interrupted) {
    if (isAbortError(result.interrupted)) return "cancelled";
    return result.outcomes.length > 0 ? "timed-out" : "unknown";
  }
  return result.outcomes.every((o) => o.succeeded) ? "pass" : "fail";
}

/** The exit code that speaks for the run: the first failing task's, else the first task's. */
function exitCodeOf(outcomes: readonly TaskOutcome[]): number | undefined {
  const failing = outcomes.find((o) => o.lastStatus === "STOPPED" && o.container.exitCode !== 0);
  return (failing ?? outcomes[0])?.container.exitCode;
}

function logUrlOf(prepared: PreparedRun, outcome: TaskOutcome | undefined): string | undefined {
  return outcome?.logStream ? logStreamConsoleUrl(prepared.region, outcome.logStream) : undefined;
}

/** The step's failure, with the evidence and what to do; undefined when every task exited 0. */
export function failureOf(result: RunResult): unknown {
  if (result.interrupted) return result.interrupted;
  const failed = result.outcomes.filter((o) => !o.succeeded);
  const [first] = failed;
  if (!first) return undefined;
  const count = result.outcomes.length;
  const head = count === 1 ? "The task failed." : `${failed.length} of ${count} tasks failed.`;
  const body = failed.map((o) => `${describeTaskFailure(o)}\nWhy: ${explain(o).cause}`).join("\n\n");
  return new UserError(`${head}\n${body}`, { fix: explain(first).fix });
}

export function publishStarted(outputs: RunTaskOutputs, taskArns: readonly string[]): void {
  outputs.setAll({ "task-arn": taskArns[0] ?? "", "task-arns": [...taskArns] });
}

export function publishReport(
  context: ActionContext,
  outputs: RunTaskOutputs,
  prepared: PreparedRun,
  result: RunResult,
): void {
  const verdict = verdictOf(result);
  const { outcomes } = result;
  const failing = outcomes.find((o) => !o.succeeded);
  const exitCode = exitCodeOf(outcomes);
  const logUrl = logUrlOf(prepared, failing ?? outcomes[0]);
  const taskArns = result.started.tasks.map((t) => t.taskArn as string);
  outputs.setAll({
    "task-arn": taskArns[0] ?? "",
    "task-arns": taskArns,
    "exit-code": exitCode === undefined ? "" : String(exitCode),
    "log-url": logUrl ?? "",
    report: {
      verdict,
      cluster: prepared.request.cluster,
      taskDefinitionArn: prepared.target.taskDefinitionArn,
      container: prepared.target.container,
      resumed: result.started.resumed,
      exitCode: exitCode ?? null,
      logUrl: logUrl ?? null,
      tasks: outcomes.map((o) => ({
        taskArn: o.taskArn,
        lastStatus: o.lastStatus,
        stopCode: o.stopCode ?? null,
        stoppedReason: o.stoppedReason ?? null,
        exitCode: o.container.exitCode ?? null,
        containers: o.containers.map((c) => ({
          name: c.name,
          exitCode: c.exitCode ?? null,
          reason: c.reason ?? null,
        })),
        logStream: o.logStream ?? null,
        durationSeconds: Math.round(o.durationMs / 1000),
        succeeded: o.succeeded,
        ...(o.succeeded || o.lastStatus !== "STOPPED" ? {} : { explanation: explain(o) }),
      })),
    },
  });
  summarize(context.summary, prepared, result, verdict);
}

const VERDICT_TEXT: Record<Verdict, string> = {
  pass: "✅ passed: every task's container exited 0",
  fail: "❌ failed",
  "timed-out": "⏱️ timed out: the task was stopped",
  cancelled: "🛑 cancelled: the task was stopped",
  unknown: "⚠️ not followed to the end",
};

function summarize(
  summary: SummaryBuilder,
  prepared: PreparedRun,
  result: RunResult,
  verdict: Verdict,
): void {
  const { target, region, request } = prepared;
  summary.heading(`One-off task: ${VERDICT_TEXT[verdict]}`, 2);
  summary.paragraph(
    `Task definition \`${target.taskDefinitionArn}\`, container \`${target.container}\`, cluster \`${request.cluster}\`${result.started.resumed ? " (started by an earlier run of this step, and followed again)" : ""}.`,
  );
  const byArn = new Map(result.outcomes.map((o) => [o.taskArn, o]));
  summary.table(
    ["Task", "Status", "Exit code", "Stop code", "Stopped reason", "Duration", "Log"],
    result.started.tasks.map((task) => {
      const arn = task.taskArn as string;
      const o = byArn.get(arn);
      const logUrl = logUrlOf(prepared, o);
      return [
        `[${taskIdOf(arn)}](${taskConsoleUrl(region, request.cluster, arn)})`,
        o?.lastStatus ?? task.lastStatus ?? "",
        o?.container.exitCode ?? "none",
        o?.stopCode ?? "",
        o?.stoppedReason ?? "",
        o ? formatDuration(o.durationMs) : "",
        logUrl ? `[${o?.logStream?.stream}](${logUrl})` : "",
      ];
    }),
  );
  for (const o of result.outcomes) {
    if (o.succeeded) continue;
    if (o.lastStatus === "STOPPED") {
      const { cause, fix } = explain(o);
      summary.paragraph(`**${taskIdOf(o.taskArn)}**: ${cause} ${fix}`);
    }
    if (o.logTail.length > 0) {
      summary.details(
        `Last ${o.logTail.length} log lines of ${target.container} in task ${taskIdOf(o.taskArn)}`,
        new SummaryBuilder().code(o.logTail.map((l) => l.message).join("\n")),
        true,
      );
    }
  }
}

// run-task: a one-off ECS task (a backfill, a seed script, a smoke job, a maintenance command) in the
// service's network, started once per step however often it is re-run, followed with its log until
// it stops, and judged by its container's exit code.
import type { ActionContext } from "@shipline/core/runtime/run";
import { inputSpec } from "./inputs";
import { outputSpec } from "./outputs";
import { prepareRun } from "./phases/prepare";
import { followToTheEnd, startTasks } from "./phases/run";
import { failureOf, publishReport, publishStarted } from "./report";
import { settingsFrom } from "./settings";

export async function main(context: ActionContext): Promise<void> {
  const inputs = context.inputs(inputSpec);
  const settings = settingsFrom(inputs, context.env, context.logger.secrets);
  const outputs = context.outputs(outputSpec);

  const prepared = await prepareRun(context, settings);
  const started = await startTasks(context, prepared);
  // Set at once: a step that fails from here on still names the tasks it started.
  publishStarted(
    outputs,
    started.tasks.map((t) => t.taskArn as string),
  );
  const result = await followToTheEnd(context, settings, prepared, started);
  publishReport(context, outputs, prepared, result);
  const failure = failureOf(result);
  if (failure) throw failure;
}

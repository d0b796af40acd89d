// health-gate's watch inputs → the watch's configuration: after the gate passed, the same probes,
// target groups and metrics, plus the named CloudWatch alarms and the error lines in the service's
// logs, once per `watch-interval` for `watch`; and where the GitHub deployment's final status goes.
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { type AwsSettings, createAwsClient, warnIfBeyondSessionLife } from "@shipline/core/aws/clients";
import { createGitHubClient, type GitHubClient } from "@shipline/core/github/client";
import { type AlarmReader, cloudWatchAlarmReader } from "@shipline/core/health/alarms";
import { LogErrorCounter } from "@shipline/core/health/log-errors";
import type { WatchConfig } from "@shipline/core/health/watch";
import type { Clock } from "@shipline/core/runtime/clock";
import { formatDuration } from "@shipline/core/runtime/format";
import { inputError } from "@shipline/core/runtime/inputs";
import type { Logger } from "@shipline/core/runtime/logger";
import type { Inputs } from "./inputs";
import type { Settings } from "./settings";

export interface WatchSettings {
  config: WatchConfig;
  /** Skip the gate: the deployment passed its gate earlier (the scheduled check). */
  skipGate: boolean;
  readAlarms?: AlarmReader;
  logErrors?: LogErrorCounter;
  /** The GitHub deployment that gets the final status, verified or failed. */
  deployment?: { github: GitHubClient; id: number };
}

/** undefined when there is no watch (`watch` 0s and no `skip-gate`). */
export function watchSettingsFrom(
  inputs: Inputs,
  gate: Settings,
  aws: AwsSettings,
  deps: { logger: Logger; clock: Clock; env: NodeJS.ProcessEnv },
): WatchSettings | undefined {
  const watching = inputs.watch > 0 || inputs.skipGate;
  if (!watching) {
    noteUnusedWatchInputs(inputs, deps.logger);
    return undefined;
  }
  if (inputs.deploymentId !== undefined && inputs.githubToken === undefined) {
    throw inputError(
      "deployment-id",
      "it is set, and giving the deployment its final status needs a token.",
      "Set `github-token` (with `deployments: write`), or remove `deployment-id`.",
    );
  }
  if (inputs.watch > 0 && inputs.watchInterval > inputs.watch) {
    throw inputError(
      "watch-interval",
      `${formatDuration(inputs.watchInterval)} is longer than \`watch\` (${formatDuration(inputs.watch)}).`,
      "Make `watch-interval` at most `watch`.",
    );
  }
  if (inputs.logGroup === undefined && inputs.deployedAt !== undefined)
    deps.logger.warning("`deployed-at` is set but there is no `log-group` whose baseline it would end.");
  const alarmNames = [...new Set(inputs.alarmNames ?? [])];
  const { gate: g } = gate;
  const config: WatchConfig = {
    windowMs: inputs.watch,
    intervalMs: inputs.watchInterval,
    failureThreshold: g.settings.failureThreshold,
    minRequests: g.settings.minRequests,
    probes: g.probes,
    targetGroupArns: g.targetGroupArns,
    metricSources: g.metricSources,
    alarmNames,
  };
  const settings: WatchSettings = { config, skipGate: inputs.skipGate };
  const clients = { env: deps.env, logger: deps.logger };
  if (alarmNames.length > 0) {
    settings.readAlarms = cloudWatchAlarmReader(createAwsClient(CloudWatchClient, aws, clients), alarmNames);
  }
  const logErrors = logErrorsFrom(inputs, aws, deps);
  if (logErrors) settings.logErrors = logErrors;
  const anything =
    config.probes.length + config.targetGroupArns.length + config.metricSources.length + alarmNames.length >
      0 || settings.logErrors !== undefined;
  if (!anything)
    throw inputError(
      "watch",
      "the watch has nothing to look at (smoke tests run once, in the gate only).",
      "Give `health-urls`, `target-group-arns`, metrics, `alarm-names` or `log-group`.",
    );
  if (alarmNames.length > 0 || settings.logErrors || config.targetGroupArns.length > 0)
    warnIfBeyondSessionLife(inputs.watch + g.settings.timeoutMs, "watch", deps.logger);
  if (inputs.githubToken !== undefined && inputs.deploymentId !== undefined) {
    settings.deployment = {
      github: createGitHubClient(inputs.githubToken, { logger: deps.logger }),
      id: inputs.deploymentId,
    };
  }
  return settings;
}

/** The error-line counter of `log-group`, with the baseline window that ends at `deployed-at`. */
function logErrorsFrom(
  inputs: Inputs,
  aws: AwsSettings,
  deps: { logger: Logger; clock: Clock; env: NodeJS.ProcessEnv },
): LogErrorCounter | undefined {
  if (inputs.logGroup === undefined) return undefined;
  if (inputs.logErrorPattern.trim() === "")
    throw inputError(
      "log-error-pattern",
      "it is empty, so every line would count as an error.",
      "Give a filter pattern such as `?ERROR ?Exception`.",
    );
  const deployedAt = inputs.deployedAt === undefined ? deps.clock.now() : Date.parse(inputs.deployedAt);
  if (deployedAt > deps.clock.now() + 5 * 60_000)
    throw inputError(
      "deployed-at",
      `${inputs.deployedAt} is in the future.`,
      "Give the time the deploy began (ecs-deploy's report has it as startedAt).",
    );
  if (inputs.deployedAt === undefined)
    deps.logger.warning(
      "`deployed-at` is not set: the previous version's error-line rate is measured up to now, which includes the rollout. Pass ecs-deploy's start time for a clean baseline.",
    );
  return new LogErrorCounter(
    {
      logGroup: inputs.logGroup,
      pattern: inputs.logErrorPattern,
      baseline: { endMs: deployedAt, durationMs: inputs.logBaseline },
      factor: inputs.logErrorFactor,
      minPerMinute: inputs.logErrorMinRate,
    },
    createAwsClient(CloudWatchLogsClient, aws, { env: deps.env, logger: deps.logger }),
  );
}

/**
 * Without a watch (staging, where `watch` is 0s), the inputs only the watch reads are not used: said
 * once, so one caller can give both environments the same inputs.
 */
function noteUnusedWatchInputs(inputs: Inputs, logger: Logger): void {
  const unused = [
    (inputs.alarmNames ?? []).length > 0 && "alarm-names",
    inputs.logGroup !== undefined && "log-group",
    inputs.deploymentId !== undefined && "deployment-id",
  ].filter((name): name is string => Boolean(name));
  if (unused.length > 0)
    logger.info(
      `${unused.map((n) => `\`${n}\``).join(", ")}: read by the watch after the gate; \`watch\` is 0s, so not used.`,
    );
}

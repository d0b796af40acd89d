// The five checks, each gathering what its judge in core needs and returning the judged result. Every
// read is a read: nothing here changes AWS or GitHub.
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { createAwsClient } from "@shipline/core/aws/clients";
import { ServiceDeploymentsApi } from "@shipline/core/ecs/service-deployments";
import type { GitHubClient, RepoRef } from "@shipline/core/github/client";
import type { GitHubTime } from "@shipline/core/github/deployment-record";
import { gitIn } from "@shipline/core/migrations/new-files";
import { loadSqlParser } from "@shipline/core/migrations/sql-parser";
import { judgeMigrations, readMigrationFacts } from "@shipline/core/preflight/migrations";
import { check, type PreflightCheck, turnedOff } from "@shipline/core/preflight/report";
import {
  judgeRollbackTargets,
  readRollbackTargets,
  type ServiceTarget,
} from "@shipline/core/preflight/rollback-target";
import { judgeStaging } from "@shipline/core/preflight/staging";
import { judgeWindow } from "@shipline/core/preflight/window";
import { execCommand } from "@shipline/core/runtime/exec";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";
import { productionCommit, releaseOf, stagingHistory } from "./github";

export interface CheckDeps {
  context: ActionContext;
  settings: Settings;
  github: GitHubClient;
  repo: RepoRef;
  /** GitHub's clock, from the Date of its answers: ages compare GitHub's times with GitHub's now. */
  time: GitHubTime;
}

function now(deps: CheckDeps): number {
  return deps.time.latest ?? deps.context.clock.now();
}

export async function stagingCheck(deps: CheckDeps): Promise<PreflightCheck> {
  const { settings, github, repo, time, context } = deps;
  const staging = settings.staging;
  if (!settings.checks.staging || !staging) return turnedOff("staging", "check-staging");
  const history = await stagingHistory(
    github,
    repo,
    staging.environment,
    staging.digest,
    settings.sha,
    time,
    context.env,
  );
  context.logger.info(`${history.length} deployment(s) recorded by shipline in ${staging.environment}.`);
  return judgeStaging(
    {
      environment: staging.environment,
      digests: [staging.digest],
      sha: settings.sha,
      minAgeMs: staging.minAgeMs,
      now: now(deps),
    },
    history,
  );
}

export async function rollbackTargetCheck(
  deps: CheckDeps,
): Promise<{ result: PreflightCheck; targets: ServiceTarget[] }> {
  const { settings, context } = deps;
  const { cluster, services } = settings.production;
  if (!settings.checks["rollback-target"] || !settings.aws || !cluster)
    return { result: turnedOff("rollback-target", "check-rollback-target"), targets: [] };
  const ecs = createAwsClient(ECSClient, settings.aws, { logger: context.logger });
  const ecr = createAwsClient(ECRClient, settings.aws, { logger: context.logger });
  const api = new ServiceDeploymentsApi(ecs, context.logger);
  const read = await readRollbackTargets({ ecs, ecr, api }, cluster, services);
  return { result: judgeRollbackTargets(read), targets: Array.isArray(read) ? read : [] };
}

export async function migrationsCheck(
  deps: CheckDeps,
  targets: readonly ServiceTarget[],
): Promise<PreflightCheck> {
  const { settings, github, repo, time, context } = deps;
  if (!settings.checks.migrations) return turnedOff("migrations", "check-migrations");
  const running = await productionCommit(
    github,
    repo,
    settings.production.environment,
    targets.flatMap((t) => (t.taskDefinitionArn ? [t.taskDefinitionArn] : [])),
    time,
    context.env,
  );
  context.logger.info(
    running
      ? `Production runs commit ${running.sha.slice(0, 12)} (GitHub deployment #${running.deployment.id}).`
      : `No production deployment recorded in ${settings.production.environment}: every migration is pending.`,
  );
  const question = { ...settings.migrations, runningSha: running?.sha };
  const facts = await readMigrationFacts(
    {
      parser: await loadSqlParser(),
      git: gitIn(settings.migrations.directory),
      run: (command, args, cwd) => execCommand(command, args, { cwd, echo: false }),
    },
    question,
  );
  return judgeMigrations(question, facts);
}

export function windowCheck(deps: CheckDeps): PreflightCheck {
  const { settings } = deps;
  if (!settings.checks.window) return turnedOff("window", "check-window");
  const { zone, windows, freezes } = settings.window;
  const judged = judgeWindow(now(deps), zone, windows, freezes);
  const evidence = [
    { label: "time", value: judged.local.text },
    ...(windows.length ? [{ label: "windows", value: windows.map((w) => w.text).join("; ") }] : []),
    ...(freezes.length ? [{ label: "freezes", value: freezes.map((f) => f.text).join("; ") }] : []),
  ];
  if (judged.open) {
    const where = judged.window ? `inside ${judged.window.text}` : "outside every freeze";
    return check("window", "pass", `${judged.local.text} is ${where}.`, evidence);
  }
  return check(
    "window",
    "fail",
    `${judged.why}.`,
    evidence,
    "Release inside a window, or set `override-window: true` with `override-reason`.",
  );
}

export async function releaseNotesCheck(deps: CheckDeps): Promise<PreflightCheck> {
  const { settings, github, repo, time } = deps;
  if (!settings.checks["release-notes"] || !settings.tag)
    return turnedOff("release-notes", "check-release-notes");
  const release = await releaseOf(github, repo, settings.tag, time);
  if (!release) {
    return check(
      "release-notes",
      "fail",
      `No release for ${settings.tag} that this token can see (a draft is listed only to a token with \`contents: write\`, a published release to any).`,
      [],
      "Write the release notes first (shipline release-notes; a draft needs a token with `contents: write` to be seen, as in a job without AWS credentials), or publish them, then run preflight again.",
    );
  }
  return check(
    "release-notes",
    "pass",
    `The release ${release.name ?? settings.tag} exists (${release.draft ? "draft" : "published"}).`,
    [{ label: "release", value: settings.tag, url: release.url }],
  );
}

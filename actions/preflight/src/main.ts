// preflight: go / no-go for a production deploy, from evidence. Reads GitHub (the staging record, the
// production deployment, the release) and AWS (the production services, their images in ECR) and
// lints the pending migrations; changes nothing anywhere. Each check is judged by a pure function in
// core; this file only gathers what they need, in order.
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { createAwsClient } from "@shipline/core/aws/clients";
import { ServiceDeploymentsApi } from "@shipline/core/ecs/service-deployments";
import { createGitHubClient, repoFromEnv, runUrl } from "@shipline/core/github/client";
import type { GitHubTime } from "@shipline/core/github/deployment-record";
import { gitIn } from "@shipline/core/migrations/new-files";
import { loadSqlParser } from "@shipline/core/migrations/sql-parser";
import { judgeMigrations, readMigrationFacts } from "@shipline/core/preflight/migrations";
import { check, concludePreflight, type PreflightCheck, turnedOff } from "@shipline/core/preflight/report";
import {
  judgeRollbackTargets,
  readRollbackTargets,
  type ServiceTarget,
} from "@shipline/core/preflight/rollback-target";
import { judgeStaging } from "@shipline/core/preflight/staging";
import { judgeWindow } from "@shipline/core/preflight/window";
import { execCommand } from "@shipline/core/runtime/exec";
import type { ActionContext } from "@shipline/core/runtime/run";
import { inputSpec } from "./inputs";
import { productionCommit, releaseOf, stagingHistory } from "./phases/github";
import { publish } from "./report";
import { settingsFrom } from "./settings";

export async function main(context: ActionContext): Promise<void> {
  const { logger, env } = context;
  const settings = settingsFrom(context.inputs(inputSpec), env);
  const repo = repoFromEnv(env);
  const github = createGitHubClient(settings.token, { logger, clock: context.clock, signal: context.signal });
  // Ages are GitHub's timestamps against GitHub's own clock (the Date of its answers), so a runner
  // whose clock is off cannot make a young deployment look old.
  const time: GitHubTime = { latest: undefined };
  const checks: PreflightCheck[] = [];

  const staging = settings.staging;
  await logger.group("Staging", async () => {
    if (!settings.checks.staging || !staging) return void checks.push(turnedOff("staging", "check-staging"));
    const history = await stagingHistory(
      github,
      repo,
      staging.environment,
      staging.digest,
      settings.sha,
      time,
      env,
    );
    logger.info(`${history.length} recorded deployment(s) in ${staging.environment}.`);
    const now = time.latest ?? context.clock.now();
    checks.push(
      judgeStaging(
        {
          environment: staging.environment,
          digests: [staging.digest],
          sha: settings.sha,
          minAgeMs: staging.minAgeMs,
          now,
        },
        history,
      ),
    );
  });

  let targets: ServiceTarget[] = [];
  await logger.group("Rollback target", async () => {
    const { cluster, services } = settings.production;
    if (!settings.checks["rollback-target"] || !settings.aws || !cluster)
      return void checks.push(turnedOff("rollback-target", "check-rollback-target"));
    const ecs = createAwsClient(ECSClient, settings.aws, { logger });
    const ecr = createAwsClient(ECRClient, settings.aws, { logger });
    const read = await readRollbackTargets(
      { ecs, ecr, api: new ServiceDeploymentsApi(ecs, logger) },
      cluster,
      services,
    );
    if (Array.isArray(read)) targets = read;
    checks.push(judgeRollbackTargets(read));
  });

  await logger.group("Migrations", async () => {
    if (!settings.checks.migrations) return void checks.push(turnedOff("migrations", "check-migrations"));
    const running = await productionCommit(
      github,
      repo,
      settings.production.environment,
      targets.flatMap((t) => (t.taskDefinitionArn ? [t.taskDefinitionArn] : [])),
      time,
      env,
    );
    const question = { ...settings.migrations, runningSha: running?.sha };
    const git = gitIn(settings.migrations.directory);
    const facts = await readMigrationFacts(
      {
        parser: await loadSqlParser(),
        git,
        run: (command, args, cwd) => execCommand(command, args, { cwd, echo: false }),
      },
      question,
    );
    checks.push(judgeMigrations(question, facts));
  });

  await logger.group("Release window", async () => {
    if (!settings.checks.window) return void checks.push(turnedOff("window", "check-window"));
    const now = time.latest ?? context.clock.now();
    const { zone, windows, freezes } = settings.window;
    const judged = judgeWindow(now, zone, windows, freezes);
    const evidence = [
      { label: "time", value: judged.local.text },
      ...(windows.length ? [{ label: "windows", value: windows.map((w) => w.text).join("; ") }] : []),
      ...(freezes.length ? [{ label: "freezes", value: freezes.map((f) => f.text).join("; ") }] : []),
    ];
    checks.push(
      judged.open
        ? check(
            "window",
            "pass",
            `${judged.local.text} is ${judged.window ? `inside ${judged.window.text}` : "outside every freeze"}.`,
            evidence,
          )
        : check(
            "window",
            "fail",
            `${judged.why}.`,
            evidence,
            "Release inside a window, or set `override-window: true` with `override-reason`.",
          ),
    );
  });

  await logger.group("Release notes", async () => {
    if (!settings.checks["release-notes"] || !settings.tag)
      return void checks.push(turnedOff("release-notes", "check-release-notes"));
    const release = await releaseOf(github, repo, settings.tag, time);
    checks.push(
      release
        ? check(
            "release-notes",
            "pass",
            `The release ${release.name ?? settings.tag} exists (${release.draft ? "draft" : "published"}).`,
            [{ label: "release", value: settings.tag, url: release.url }],
          )
        : check(
            "release-notes",
            "fail",
            `No release (draft or published) for ${settings.tag}.`,
            [],
            "Write the release notes first (shipline release-notes with `draft: true`), then run preflight again.",
          ),
    );
  });

  const override = settings.override
    ? { ...settings.override, actor: env.GITHUB_ACTOR ?? null, runUrl: runUrl(env) ?? null }
    : undefined;
  const report = concludePreflight(checks, time.latest ?? context.clock.now(), override);
  publish(context, report, settings.failOnNoGo);
}

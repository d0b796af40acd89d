// preflight: go / no-go for a production deploy, from evidence. Reads GitHub (the staging record, the
// production deployment, the release) and AWS (the production services, their images in ECR) and
// lints the pending migrations; changes nothing anywhere. Each check is judged by a pure function in
// core; the phases gather what the judges need, one titled group each.
import { createGitHubClient, repoFromEnv, runUrl } from "@shipline/core/github/client";
import { concludePreflight, type PreflightCheck } from "@shipline/core/preflight/report";
import type { ActionContext } from "@shipline/core/runtime/run";
import { inputSpec } from "./inputs";
import {
  type CheckDeps,
  migrationsCheck,
  releaseNotesCheck,
  rollbackTargetCheck,
  stagingCheck,
  windowCheck,
} from "./phases/checks";
import { publish } from "./report";
import { settingsFrom } from "./settings";

export async function main(context: ActionContext): Promise<void> {
  const { logger, env } = context;
  const settings = settingsFrom(context.inputs(inputSpec), env);
  const github = createGitHubClient(settings.token, { logger, clock: context.clock, signal: context.signal });
  const deps: CheckDeps = { context, settings, github, repo: repoFromEnv(env), time: { latest: undefined } };
  const checks: PreflightCheck[] = [];
  checks.push(await logger.group("Staging", () => stagingCheck(deps)));
  const rollback = await logger.group("Rollback target", () => rollbackTargetCheck(deps));
  checks.push(rollback.result);
  checks.push(await logger.group("Migrations", () => migrationsCheck(deps, rollback.targets)));
  checks.push(await logger.group("Release window", async () => windowCheck(deps)));
  checks.push(await logger.group("Release notes", () => releaseNotesCheck(deps)));
  const override = settings.override
    ? { ...settings.override, actor: env.GITHUB_ACTOR ?? null, runUrl: runUrl(env) ?? null }
    : undefined;
  publish(
    context,
    concludePreflight(checks, deps.time.latest ?? context.clock.now(), override),
    settings.failOnNoGo,
  );
}

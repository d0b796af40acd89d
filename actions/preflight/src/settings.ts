// preflight's inputs turned into validated settings, before anything is read from AWS or GitHub: each
// check's inputs are required only when the check is on, and the schedule lines are parsed here.
import { resolve } from "node:path";
import { type AwsSettings, awsSettingsFromInputs, resolveRegion } from "@shipline/core/aws/clients";
import { parseRuleLevels } from "@shipline/core/migrations/lint";
import type { MigrationQuestion } from "@shipline/core/preflight/migrations";
import type { CheckId } from "@shipline/core/preflight/report";
import {
  checkTimeZone,
  type DeployWindow,
  type FreezePeriod,
  parseFreeze,
  parseWindow,
  ScheduleError,
} from "@shipline/core/preflight/window";
import { inputError } from "@shipline/core/runtime/inputs";
import type { Inputs } from "./inputs";

export interface Settings {
  token: string;
  checks: Record<CheckId, boolean>;
  staging: { environment: string; image: string; digest: string; minAgeMs: number } | undefined;
  production: { environment: string; cluster: string | undefined; services: string[] };
  migrations: Omit<MigrationQuestion, "runningSha">;
  window: { zone: string; windows: DeployWindow[]; freezes: FreezePeriod[] };
  override: { checks: CheckId[]; reason: string } | undefined;
  tag: string | undefined;
  sha: string;
  failOnNoGo: boolean;
  aws: AwsSettings | undefined;
}

function lines(text: string | undefined): string[] {
  return (text ?? "")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

function schedule(inputs: Inputs): Settings["window"] {
  try {
    checkTimeZone(inputs.timeZone);
  } catch (error) {
    throw inputError(
      "time-zone",
      `${(error as Error).message}.`,
      "Give a name such as Europe/Berlin, America/New_York or UTC.",
    );
  }
  const windows: DeployWindow[] = [];
  for (const line of inputs.deployWindows ?? []) {
    try {
      windows.push(parseWindow(line));
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      throw inputError(
        "deploy-windows",
        `${error.message}.`,
        'Write one window per line, such as "Mon-Thu 09:00-16:00".',
      );
    }
  }
  const freezes: FreezePeriod[] = [];
  // Commas separate periods too, so a one-line repository variable can hold several.
  for (const line of lines(inputs.freezePeriods)
    .flatMap((l) => l.split(/\s*,\s*/))
    .filter(Boolean)) {
    try {
      freezes.push(parseFreeze(line));
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      throw inputError(
        "freeze-periods",
        `${error.message}.`,
        'Write one period per line, such as "2026-12-21..2027-01-04 year-end".',
      );
    }
  }
  return { zone: inputs.timeZone, windows, freezes };
}

function ruleLevels(inputs: Inputs): ReturnType<typeof parseRuleLevels> {
  try {
    return parseRuleLevels(inputs.rules ?? {});
  } catch (error) {
    throw inputError("rules", `${(error as Error).message}.`, "Give the same `rules` as migrate gets.");
  }
}

function tagOf(inputs: Inputs, env: NodeJS.ProcessEnv): string | undefined {
  if (inputs.tag) return inputs.tag;
  const ref = env.GITHUB_REF ?? "";
  return ref.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : undefined;
}

function checksOf(inputs: Inputs): Record<CheckId, boolean> {
  return {
    staging: inputs.checkStaging,
    "rollback-target": inputs.checkRollbackTarget,
    migrations: inputs.checkMigrations,
    window: inputs.checkWindow,
    "release-notes": inputs.checkReleaseNotes,
  };
}

/** Each check on needs its own inputs. */
function requireCheckInputs(inputs: Inputs, checks: Record<CheckId, boolean>, tag: string | undefined): void {
  if (checks.staging && !inputs.image)
    throw inputError(
      "image",
      "the staging check needs the image production would run.",
      "Pass build-push's `image` output (repo@sha256:...), or set `check-staging: false`.",
    );
  if (checks["rollback-target"] && (!inputs.cluster || !inputs.services?.length)) {
    throw inputError(
      inputs.cluster ? "services" : "cluster",
      "the rollback-target check reads the production services.",
      "Give `cluster` and `services`, or set `check-rollback-target: false`.",
    );
  }
  if (checks["release-notes"] && !tag)
    throw inputError(
      "tag",
      "the release-notes check needs the version tag, and this run is not for a tag.",
      "Give `tag`, run on a tag push, or set `check-release-notes: false`.",
    );
  if (checks.migrations && inputs.layout === "glob" && !inputs.migrationsGlob?.length)
    throw inputError(
      "layout",
      "the glob layout needs `migrations-glob`.",
      "Give `migrations-glob` (as migrate gets it), or another layout.",
    );
}

/** An override names what it overrides and why; a reason alone overrides nothing. */
function overrideOf(inputs: Inputs): Settings["override"] {
  const reason = inputs.overrideReason?.trim() ?? "";
  if (inputs.overrideWindow && reason.length < 10)
    throw inputError(
      "override-reason",
      "an override of the release window needs a reason (10 characters or more).",
      "Say why this release cannot wait, such as `override-reason: hotfix for INC-123, approved by the on-call lead`.",
    );
  if (!inputs.overrideWindow && reason)
    throw inputError(
      "override-reason",
      "a reason is given, but nothing is overridden.",
      "Set `override-window: true` with it, or remove `override-reason`.",
    );
  return inputs.overrideWindow ? { checks: ["window"], reason } : undefined;
}

function migrationsOf(inputs: Inputs, env: NodeJS.ProcessEnv): Settings["migrations"] {
  const workspace = resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const globs = inputs.migrationsGlob ?? [];
  return {
    workspace,
    directory: resolve(workspace, inputs.workingDirectory),
    // As migrate reads them: patterns given with the auto layout are the glob layout.
    layout: inputs.layout === "auto" && globs.length > 0 ? "glob" : inputs.layout,
    globs,
    levels: ruleLevels(inputs),
    allowDestructive: inputs.allowDestructive,
    backup: inputs.backup,
  };
}

export function settingsFrom(inputs: Inputs, env: NodeJS.ProcessEnv): Settings {
  const checks = checksOf(inputs);
  const tag = tagOf(inputs, env);
  requireCheckInputs(inputs, checks, tag);
  const override = overrideOf(inputs);
  const aws = checks["rollback-target"] ? awsSettingsFromInputs(inputs) : undefined;
  if (aws) resolveRegion(aws, env);
  const image = inputs.image;
  return {
    token: inputs.githubToken,
    checks,
    staging: image
      ? {
          environment: inputs.stagingEnvironment,
          image,
          digest: image.slice(image.lastIndexOf("@") + 1),
          minAgeMs: inputs.minStagingAge,
        }
      : undefined,
    production: {
      environment: inputs.productionEnvironment,
      cluster: inputs.cluster,
      services: inputs.services ?? [],
    },
    migrations: migrationsOf(inputs, env),
    window: schedule(inputs),
    override,
    tag,
    sha: env.GITHUB_SHA ?? "",
    failOnNoGo: inputs.failOnNoGo,
    aws,
  };
}

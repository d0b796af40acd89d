// Which deployment the scheduled watch (.github/workflows/watch.yml) checks: the environment's newest
// deployment that shipline recorded, when ecs-deploy made it, its deploy job is done with it, and it
// is not older than max-age. "Done with it" is read from the marks health-gate leaves in the
// deployment's statuses (deployment-record.ts): `verified` when the deploy job's watch ended, or a
// gate verdict (pass, or inconclusive) older than skip-younger-than when there was no watch, or the
// job ended before its watch did. A deployment whose newest mark says it failed or was rolled back is
// not checked again.
//
// The workflow's github-script step loads this module from the checked-out shipline
// (dist/health-gate/watch-selection.cjs, bundled by scripts/build.ts) and passes it its own Octokit.

import type { DeployRecord } from "../ecs/deploy-record";
import { parseDeployRecord } from "../ecs/deploy-record";
import { formatDuration } from "../runtime/format";
import { InvalidValue, parseDurationMs } from "../runtime/inputs";
import type { GitHubClient, RepoRef } from "./client";
import {
  type DeployPayload,
  type GitHubTime,
  type RecordedDeployment,
  type RecordedStatus,
  recordedDeployments,
  statusesOf,
} from "./deployment-record";

export interface WatchWindow {
  /** Deployments created longer ago than this are no longer checked. */
  maxAgeMs: number;
  /** Without a `verified` mark, the gate's verdict must be older than this (the deploy job's watch). */
  settleMs: number;
}

export type WatchSelection =
  | { due: true; deploymentId: number; payload: DeployPayload; reason: string }
  | { due: false; reason: string };

/** A duration input (30m, 24h, 1h30m) in milliseconds, read as every duration input is; the error names it. */
export function parseWatchDuration(input: string, text: string | undefined): number {
  try {
    return parseDurationMs(String(text ?? "").trim());
  } catch (error) {
    if (error instanceof InvalidValue) throw new Error(`${input}: ${error.message} ${error.fix}`);
    throw error;
  }
}

const ago = (ms: number): string => `${formatDuration(Math.max(0, ms))} ago`;

/** The newest status that carries a mark (statusesOf reads them newest first): the latest decision. */
function latestDecision(statuses: readonly RecordedStatus[]): RecordedStatus | undefined {
  return statuses.find((s) => s.mark !== undefined);
}

/**
 * Decides on the environment's newest shipline deployment (with its statuses read), at GitHub's time
 * `now`. Pure: the reading is selectDeploymentToCheck's.
 */
export function decideWatch(
  newest: RecordedDeployment | undefined,
  now: number,
  window: WatchWindow,
  environment: string,
): WatchSelection {
  if (!newest)
    return { due: false, reason: `No deployment of ${environment} by shipline: nothing to check.` };
  const { id, payload } = newest;
  if (payload.shipline !== "ecs-deploy") {
    return {
      due: false,
      reason: `The newest deployment of ${environment} (${id}) is auto-rollback's restore of ${payload.taskDefinitionArn}: nothing to check.`,
    };
  }
  const what = `Deployment ${id} of ${environment} (${payload.revision})`;
  const age = now - newest.createdAt;
  if (age > window.maxAgeMs) {
    return {
      due: false,
      reason: `${what} is ${formatDuration(Math.max(0, age))} old, older than max-age: nothing to check.`,
    };
  }
  const decision = latestDecision(newest.statuses);
  const mark = decision?.mark;
  if (!decision || !mark || mark.kind === "rolled-out") {
    return { due: false, reason: `${what} has no gate verdict yet: its deploy job is still on it.` };
  }
  if (mark.kind === "verified") {
    return {
      due: true,
      deploymentId: id,
      payload,
      reason: `${what}: its deploy job's watch verified it ${ago(now - decision.at)}; checking it.`,
    };
  }
  if (mark.kind === "rolled-back" || (mark.kind === "gate" && mark.verdict === "fail")) {
    return {
      due: false,
      reason: `${what} is already marked ${mark.kind === "rolled-back" ? "rolled back" : "failed"}: nothing to check.`,
    };
  }
  // gate:pass (no watch, or the deploy job ended before its watch did) or gate:inconclusive.
  const since = now - decision.at;
  const verdict = `gate ${mark.verdict}`;
  if (since < window.settleMs) {
    return {
      due: false,
      reason: `${what}: ${verdict} ${ago(since)}, younger than skip-younger-than: its deploy job may still be watching it.`,
    };
  }
  return {
    due: true,
    deploymentId: id,
    payload,
    reason: `${what}: ${verdict} ${ago(since)} and no watch verified it; checking it.`,
  };
}

/** The deploy record auto-rollback needs, from the payload ecs-deploy stored; checked as the input is. */
function deployRecordOfPayload(payload: DeployPayload, deploymentId: number): DeployRecord {
  try {
    return parseDeployRecord({
      version: 1,
      cluster: payload.cluster,
      taskDefinitionArn: payload.taskDefinitionArn,
      status: "succeeded",
      services: payload.services.map((name) => ({
        name,
        previousTaskDefinitionArn: payload.previousTaskDefinitionArn[name] ?? null,
        serviceDeploymentArn: null,
      })),
      images: payload.images,
    });
  } catch (error) {
    throw new Error(
      `GitHub deployment ${deploymentId}'s payload does not describe a deploy that can be rolled back (${(error as Error).message}).`,
    );
  }
}

/**
 * Reads the environment's newest shipline deployment (paginating past other tools' deployments and
 * other environments' answers) and its statuses, and decides. Ages are measured on GitHub's clock
 * (the Date header of its answers) against GitHub's own timestamps.
 */
export async function selectDeploymentToCheck(
  github: GitHubClient,
  repo: RepoRef,
  options: {
    environment: string;
    maxAge: string | undefined;
    skipYoungerThan: string | undefined;
    env?: NodeJS.ProcessEnv;
  },
): Promise<WatchSelection & { record?: DeployRecord }> {
  const window = {
    maxAgeMs: parseWatchDuration("max-age", options.maxAge),
    settleMs: parseWatchDuration("skip-younger-than", options.skipYoungerThan),
  };
  if (!options.environment.trim()) throw new Error("environment: it is empty; name the GitHub environment.");
  const time: GitHubTime = { latest: undefined };
  const [newest] = await recordedDeployments(github, repo, {
    environment: options.environment,
    limit: 1,
    time,
    ...(options.env ? { env: options.env } : {}),
  });
  if (newest) newest.statuses = await statusesOf(github, repo, newest.id, time);
  const now = time.latest ?? Date.now();
  const selection = decideWatch(newest, now, window, options.environment);
  if (!selection.due) return selection;
  return { ...selection, record: deployRecordOfPayload(selection.payload, selection.deploymentId) };
}

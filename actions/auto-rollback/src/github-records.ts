// The GitHub side of a rollback: the bad deployment's status set to failure, the restored revision
// recorded as the environment's current deployment, and an incident issue upserted by a marker.

import { revisionLabel } from "@shipline/core/ecs/task-definition";
import {
  createDeployment,
  type GitHubClient,
  type RepoRef,
  runUrl,
  setDeploymentStatus,
  upsertIssue,
} from "@shipline/core/github/client";
import {
  markedDescription,
  recordedDeployments,
  rollbackPayload,
} from "@shipline/core/github/deployment-record";

export interface DeploymentMarks {
  /** Deployments set to failure (the bad ones). */
  failed: number[];
  /** The deployment recorded for the restored revision, if one was. */
  restored: number | undefined;
  /** Why the restored revision was not recorded, when it was restored but not recorded. */
  unrecorded?: string;
}

/**
 * Marks the environment's deployments of the bad revisions as failed, and records the restored
 * revision as a new successful deployment (with the ref its own deployment had), unless the newest
 * deployment already records it (a re-run).
 */
export async function markDeployments(
  github: GitHubClient,
  repo: RepoRef,
  request: {
    environment: string;
    env: NodeJS.ProcessEnv;
    bad: readonly string[];
    target: string;
    description: string;
    /** Whether the target was restored and verified (only then is it recorded as deployed). */
    restored: boolean;
  },
): Promise<DeploymentMarks> {
  // The environment's shipline records, every page GitHub has up to the newest 300, each checked to
  // be of this environment (core's reader).
  const listed = await recordedDeployments(github, repo, {
    environment: request.environment,
    limit: 300,
    env: request.env,
  });
  const logUrl = runUrl(request.env);
  const marks: DeploymentMarks = { failed: [], restored: undefined };
  const newest = listed[0];
  const alreadyRestored =
    newest?.payload.shipline === "auto-rollback" && newest.payload.taskDefinitionArn === request.target;
  for (const bad of request.bad) {
    const deployment = listed.find(
      (d) => d.payload.taskDefinitionArn === bad && d.payload.shipline !== "auto-rollback",
    );
    if (!deployment || alreadyRestored) continue;
    await setDeploymentStatus(github, {
      ...repo,
      deploymentId: deployment.id,
      state: "failure",
      // The mark tells a later reader (preflight) that this deployment was rolled back.
      description: markedDescription({ kind: "rolled-back" }, request.description),
      logUrl,
    });
    marks.failed.push(deployment.id);
  }
  if (alreadyRestored || !request.restored) return marks;
  // The record says which commit production runs (preflight reads it for the pending migrations):
  // only the target's own deployment knows it. This run's commit is the bad one's, never a guess.
  const previous = listed.find((d) => d.payload.taskDefinitionArn === request.target);
  if (!previous) {
    marks.unrecorded = `no deployment of ${revisionLabel(request.target)} is recorded in ${request.environment}, so its commit is unknown`;
    return marks;
  }
  const ref = previous.ref;
  const id = await createDeployment(github, {
    ...repo,
    ref,
    environment: request.environment,
    description: `Rollback to ${revisionLabel(request.target)}`,
    payload: { ...rollbackPayload(request.target, request.bad) },
  });
  await setDeploymentStatus(github, {
    ...repo,
    deploymentId: id,
    state: "success",
    description: `Restored ${revisionLabel(request.target)} and verified it`,
    logUrl,
  });
  marks.restored = id;
  return marks;
}

export async function upsertIncident(
  github: GitHubClient,
  repo: RepoRef,
  incident: { key: string; title: string; body: string; labels: string[] },
): Promise<{ url: string; number: number; created: boolean }> {
  const result = await upsertIssue(github, { ...repo, ...incident });
  return { url: result.url, number: result.number, created: result.created };
}

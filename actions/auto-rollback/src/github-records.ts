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
  type DeploymentPayload,
  markedDescription,
  parseDeploymentPayload,
  rollbackPayload,
} from "@shipline/core/github/deployment-record";

interface ListedDeployment {
  id: number;
  ref: string;
  payload: unknown;
}

/** The record shipline keeps in the deployment's payload; an empty one for another tool's deployment. */
function payloadOf(deployment: ListedDeployment): Partial<DeploymentPayload> {
  return parseDeploymentPayload(deployment.payload) ?? {};
}

async function deploymentsOf(
  github: GitHubClient,
  repo: RepoRef,
  environment: string,
): Promise<ListedDeployment[]> {
  const { data } = await github.rest.repos.listDeployments({ ...repo, environment, per_page: 50 });
  return data as unknown as ListedDeployment[];
}

export interface DeploymentMarks {
  /** Deployments set to failure (the bad ones). */
  failed: number[];
  /** The deployment recorded for the restored revision, if one was. */
  restored: number | undefined;
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
  const listed = await deploymentsOf(github, repo, request.environment);
  const logUrl = runUrl(request.env);
  const marks: DeploymentMarks = { failed: [], restored: undefined };
  const newest = listed[0];
  const newestPayload = newest ? payloadOf(newest) : {};
  const alreadyRestored =
    newestPayload.shipline === "auto-rollback" && newestPayload.taskDefinitionArn === request.target;
  for (const bad of request.bad) {
    const deployment = listed.find(
      (d) => payloadOf(d).taskDefinitionArn === bad && payloadOf(d).shipline !== "auto-rollback",
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
  const previous = listed.find((d) => payloadOf(d).taskDefinitionArn === request.target);
  const ref = previous?.ref ?? request.env.GITHUB_SHA;
  if (!ref) return marks;
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

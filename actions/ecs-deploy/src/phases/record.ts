// The GitHub deployment of a run (with `environment`): created in_progress before ECS is changed; the
// report sets its final status (success, failure or error). The payload carries the task
// definitions, so auto-rollback can find the deployment it rolls back.
import type { DeployRevision } from "@shipline/core/ecs/deploy-execute";
import { changesServices, type DeployPlan } from "@shipline/core/ecs/deploy-plan";
import {
  createDeployment,
  createGitHubClient,
  type DeploymentState,
  type GitHubClient,
  repoFromEnv,
  runUrl,
  setDeploymentStatus,
} from "@shipline/core/github/client";
import {
  type DeployPayload,
  deployPayload,
  markedDescription,
  type RecordMark,
} from "@shipline/core/github/deployment-record";
import { errorMessage, UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { DeploymentSettings } from "../settings";

export class GitHubDeploymentRecord {
  constructor(
    private readonly github: GitHubClient,
    private readonly env: NodeJS.ProcessEnv,
    readonly id: number,
    private readonly environmentUrl: string | undefined,
  ) {}

  async set(state: DeploymentState, description: string, mark?: RecordMark): Promise<void> {
    await setDeploymentStatus(this.github, {
      ...repoFromEnv(this.env),
      deploymentId: this.id,
      state,
      description: mark ? markedDescription(mark, description) : description,
      logUrl: runUrl(this.env),
      environmentUrl: state === "success" ? this.environmentUrl : undefined,
    });
  }
}

function payloadOf(
  plan: DeployPlan,
  revision: DeployRevision,
  images: Record<string, string>,
  settings: DeploymentSettings,
): DeployPayload {
  const previous: Record<string, string> = {};
  for (const s of plan.services) if (s.rollbackTarget) previous[s.name] = s.rollbackTarget.taskDefinitionArn;
  return deployPayload({
    cluster: plan.cluster,
    services: plan.services.map((s) => s.name),
    taskDefinitionArn: revision.arn,
    previousTaskDefinitionArn: previous,
    images,
    migrations: settings.migrations,
    override: settings.override,
  });
}

/** Records the deployment in_progress; nothing when no environment is given or no service changes. */
export async function record(
  context: ActionContext,
  settings: DeploymentSettings | undefined,
  plan: DeployPlan,
  revision: DeployRevision,
  images: Record<string, string>,
): Promise<GitHubDeploymentRecord | undefined> {
  if (!settings || !changesServices(plan)) return undefined;
  const { environment } = settings;
  const github = createGitHubClient(settings.token, { logger: context.logger });
  const ref = context.env.GITHUB_SHA || context.env.GITHUB_REF || "HEAD";
  const payload = payloadOf(plan, revision, images, settings);
  let id: number;
  try {
    id = await createDeployment(github, {
      ...repoFromEnv(context.env),
      ref,
      environment,
      description: `ECS ${payload.services.join(", ")} in ${payload.cluster}`,
      payload: { ...payload },
    });
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`Could not record the GitHub deployment for ${environment}: ${errorMessage(error)}`, {
      input: "github-token",
      fix: "Give the job `permissions: deployments: write`, or remove `environment`.",
      cause: error,
    });
  }
  context.logger.info(`GitHub deployment ${id} recorded for environment ${environment} (ref ${ref}).`);
  const deployment = new GitHubDeploymentRecord(github, context.env, id, settings.environmentUrl);
  await deployment.set("in_progress", "Rolling out on ECS");
  return deployment;
}

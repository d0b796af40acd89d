// The GitHub deployment of a run (when a token and an environment are given): created in_progress
// before ECS is changed, then success, failure or error. The payload carries the task definitions, so
// auto-rollback can find the deployment it rolls back.

import {
  createDeployment,
  createGitHubClient,
  type DeploymentState,
  type GitHubClient,
  repoFromEnv,
  runUrl,
  setDeploymentStatus,
} from "@shipline/core/github/client";
import { UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";

export interface DeploymentPayload {
  cluster: string;
  services: string[];
  taskDefinitionArn: string;
  previousTaskDefinitionArn: Record<string, string>;
  images?: Record<string, string>;
}

export class GitHubDeploymentRecord {
  private constructor(
    private readonly github: GitHubClient,
    private readonly context: ActionContext,
    readonly id: number,
    private readonly environmentUrl: string | undefined,
  ) {}

  static async start(
    context: ActionContext,
    token: string,
    environment: string,
    environmentUrl: string | undefined,
    payload: DeploymentPayload,
  ): Promise<GitHubDeploymentRecord> {
    const github = createGitHubClient(token, { logger: context.logger });
    const repo = repoFromEnv(context.env);
    const ref = context.env.GITHUB_SHA || context.env.GITHUB_REF || "HEAD";
    let id: number;
    try {
      id = await createDeployment(github, {
        ...repo,
        ref,
        environment,
        description: `ECS ${payload.services.join(", ")} in ${payload.cluster}`,
        payload: { shipline: "ecs-deploy", ...payload },
      });
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(
        `Could not record the GitHub deployment for ${environment}: ${(error as Error).message}`,
        {
          input: "github-token",
          fix: "Give the job `permissions: deployments: write`, or remove `environment`.",
          cause: error,
        },
      );
    }
    context.logger.info(`GitHub deployment ${id} recorded for environment ${environment} (ref ${ref}).`);
    const record = new GitHubDeploymentRecord(github, context, id, environmentUrl);
    await record.set("in_progress", "Rolling out on ECS");
    return record;
  }

  async set(state: DeploymentState, description: string): Promise<void> {
    await setDeploymentStatus(this.github, {
      ...repoFromEnv(this.context.env),
      deploymentId: this.id,
      state,
      description,
      logUrl: runUrl(this.context.env),
      environmentUrl: state === "success" ? this.environmentUrl : undefined,
    });
  }
}

// The pull-request dry run (`plan: true`): no change anywhere in AWS; the diff between what the
// services run and what would be registered, in the log, the step summary and one pull-request
// comment kept up to date.
import { readFileSync } from "node:fs";
import type { DeployPlan, ServicePlan } from "@shipline/core/ecs/deploy-plan";
import { changesTable, describeChanges } from "@shipline/core/ecs/plan-diff";
import { revisionLabel } from "@shipline/core/ecs/task-definition";
import { createGitHubClient, repoFromEnv, upsertComment } from "@shipline/core/github/client";
import { errorMessage, UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";

/** What the preview showed, and where the comment went (or why it could not be written). */
export interface Preview {
  markdown: string;
  commentUrl: string | undefined;
  /** Why the comment could not be written; the step fails with it once the plan is reported. */
  commentError?: unknown;
}

/** The pull request of the run: the event's, or the number in refs/pull/<n>/merge. */
export function pullRequestNumber(env: NodeJS.ProcessEnv): number | undefined {
  if (env.GITHUB_EVENT_PATH) {
    try {
      const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, "utf8")) as {
        pull_request?: { number?: number };
        number?: number;
      };
      if (typeof event.pull_request?.number === "number") return event.pull_request.number;
    } catch {
      // No readable event: fall back to the ref.
    }
  }
  const match = /^refs\/pull\/(\d+)\//.exec(env.GITHUB_REF ?? "");
  return match ? Number(match[1]) : undefined;
}

function serviceLine(plan: ServicePlan, deployed: string): string {
  const action = plan.action;
  const target = plan.rollbackTarget
    ? `, rollback target ${revisionLabel(plan.rollbackTarget.taskDefinitionArn)}`
    : `, no rollback target (${plan.noRollbackTarget ?? "none found"})`;
  const runs = revisionLabel(plan.service.taskDefinition ?? "?");
  if (action.kind === "none") return `\`${plan.name}\`: no change (${action.why})${target}`;
  if (action.kind === "follow") return `\`${plan.name}\`: no update; ${action.why}${target}`;
  const what = [
    action.taskDefinition ? `task definition ${runs} -> ${deployed}` : undefined,
    action.desiredCount !== undefined
      ? `desired count ${plan.service.desiredCount ?? 0} -> ${action.desiredCount}`
      : undefined,
    action.forceNewDeployment ? "force a new deployment" : undefined,
  ].filter(Boolean);
  return `\`${plan.name}\`: UpdateService with ${what.join(", ")}${target}`;
}

function deployedLabel(plan: DeployPlan): string {
  return plan.reuse ? revisionLabel(plan.reuse.arn) : `a new revision of ${plan.rendered.family ?? "?"}`;
}

/** Markdown of the plan, for the step summary and the pull-request comment. */
export function planMarkdown(plan: DeployPlan): string {
  const deployed = deployedLabel(plan);
  const lines = [
    `### ECS deploy plan: ${plan.services.map((s) => `\`${s.name}\``).join(", ")} in \`${plan.cluster}\``,
    "",
    plan.reuse
      ? `Task definition: **${deployed}** is already registered and identical, so nothing would be registered.`
      : `Task definition: **${deployed}** would be registered.`,
    "",
    ...plan.services.map((s) => `- ${serviceLine(s, deployed)}`),
    "",
  ];
  if (plan.changes.length === 0) {
    lines.push(`No change to the task definition the services run (${revisionLabel(plan.current.arn)}).`);
  } else {
    lines.push(
      `Changes from ${revisionLabel(plan.current.arn)} (environment variable values are not shown):`,
      "",
      changesTable(plan.changes),
    );
  }
  return `${lines.join("\n")}\n`;
}

function logPlan(context: ActionContext, plan: DeployPlan): void {
  const { logger } = context;
  const deployed = deployedLabel(plan);
  logger.info(
    plan.reuse
      ? `Would deploy ${deployed} (registered, identical): nothing to register.`
      : `Would register ${deployed}.`,
  );
  for (const service of plan.services) logger.info(serviceLine(service, deployed).replace(/`/g, ""));
  if (plan.changes.length === 0)
    logger.info(`No change to the task definition from ${revisionLabel(plan.current.arn)}.`);
  else {
    logger.info(`Changes from ${revisionLabel(plan.current.arn)}:`);
    for (const line of describeChanges(plan.changes)) logger.info(`  ${line}`);
  }
}

function httpStatusOf(error: unknown): number | undefined {
  const status = typeof error === "object" && error !== null && "status" in error ? error.status : undefined;
  return typeof status === "number" ? status : undefined;
}

/** Upserts the plan comment on the run's pull request; a failure is returned, not thrown. */
async function comment(
  context: ActionContext,
  token: string,
  plan: DeployPlan,
  markdown: string,
): Promise<Pick<Preview, "commentUrl" | "commentError">> {
  const { logger } = context;
  const number = pullRequestNumber(context.env);
  if (number === undefined) {
    logger.notice("plan: this run is not for a pull request, so no comment was written.");
    return { commentUrl: undefined };
  }
  const github = createGitHubClient(token, { logger });
  try {
    const written = await upsertComment(github, {
      ...repoFromEnv(context.env),
      issueNumber: number,
      key: `ecs-deploy-plan:${plan.cluster}:${plan.services.map((s) => s.name).join(",")}`,
      body: markdown,
    });
    logger.info(
      `${written.created ? "Wrote" : written.changed ? "Updated" : "Kept"} the plan comment on pull request #${number}: ${written.url}`,
    );
    return { commentUrl: written.url };
  } catch (error) {
    const status = httpStatusOf(error);
    if (status !== 401 && status !== 403 && status !== 404)
      return { commentUrl: undefined, commentError: error };
    const refused = new UserError(
      `GitHub refused the plan comment on pull request #${number} (HTTP ${status}): ${errorMessage(error)}. The plan is in the log and the step summary.`,
      {
        input: "github-token",
        fix: "Give the job `permissions: pull-requests: write` (a pull request from a fork only gets a read-only token), or leave `github-token` empty to skip the comment.",
        cause: error,
      },
    );
    return { commentUrl: undefined, commentError: refused };
  }
}

/** Shows the plan and, with a token on a pull request, keeps its comment up to date. */
export async function preview(
  context: ActionContext,
  githubToken: string | undefined,
  plan: DeployPlan,
): Promise<Preview> {
  return context.logger.group("Plan", async () => {
    logPlan(context, plan);
    const markdown = planMarkdown(plan);
    if (!githubToken) return { markdown, commentUrl: undefined };
    return { markdown, ...(await comment(context, githubToken, plan, markdown)) };
  });
}

// plan: true, for pull requests: no change anywhere in AWS; the diff between what the services run and
// what would be registered, in the log, the step summary and one pull-request comment kept up to date.
import { readFileSync } from "node:fs";
import { changesTable, describeChanges } from "@shipline/core/ecs/plan-diff";
import { revisionLabel } from "@shipline/core/ecs/task-definition";
import { createGitHubClient, repoFromEnv, upsertComment } from "@shipline/core/github/client";
import { errorMessage, UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Inputs } from "./inputs";
import type { DeployPlan, ServicePlan } from "./prepare";

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

/** Markdown of the plan, for the step summary and the pull-request comment. */
export function planMarkdown(plan: DeployPlan): string {
  const deployed = plan.reuse
    ? revisionLabel(plan.reuse.arn)
    : `a new revision of ${plan.rendered.family ?? "?"}`;
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

export async function reportPlan(
  context: ActionContext,
  inputs: Inputs,
  plan: DeployPlan,
): Promise<string | undefined> {
  const { logger } = context;
  const deployed = plan.reuse
    ? revisionLabel(plan.reuse.arn)
    : `a new revision of ${plan.rendered.family ?? "?"}`;
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
  const markdown = planMarkdown(plan);
  context.summary.raw(markdown);
  if (!inputs.githubToken) return undefined;
  const number = pullRequestNumber(context.env);
  if (number === undefined) {
    logger.notice("plan: this run is not for a pull request, so no comment was written.");
    return undefined;
  }
  const github = createGitHubClient(inputs.githubToken, { logger });
  let comment: Awaited<ReturnType<typeof upsertComment>>;
  try {
    comment = await upsertComment(github, {
      ...repoFromEnv(context.env),
      issueNumber: number,
      key: `ecs-deploy-plan:${plan.cluster}:${plan.services.map((s) => s.name).join(",")}`,
      body: markdown,
    });
  } catch (error) {
    const status = httpStatusOf(error);
    if (status !== 401 && status !== 403 && status !== 404) throw error;
    throw new UserError(
      `GitHub refused the plan comment on pull request #${number} (HTTP ${status}): ${errorMessage(error)}. The plan is in the log and the step summary.`,
      {
        input: "github-token",
        fix: "Give the job `permissions: pull-requests: write` (a pull request from a fork only gets a read-only token), or leave `github-token` empty to skip the comment.",
        cause: error,
      },
    );
  }
  logger.info(
    `${comment.created ? "Wrote" : comment.changed ? "Updated" : "Kept"} the plan comment on pull request #${number}: ${comment.url}`,
  );
  return comment.url;
}

function httpStatusOf(error: unknown): number | undefined {
  const status = typeof error === "object" && error !== null && "status" in error ? error.status : undefined;
  return typeof status === "number" ? status : undefined;
}

// Revision hygiene (`keep-revisions`): after a deploy that did not fail, deregister the family's
// ACTIVE revisions beyond the newest N, never one the services run or would roll back to.
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { DeployOutcome } from "@shipline/core/ecs/deploy-execute";
import { type DeployPlan, protectedRevisions } from "@shipline/core/ecs/deploy-plan";
import { pruneRevisions } from "@shipline/core/ecs/revision-hygiene";
import { familyOf } from "@shipline/core/ecs/task-definition";
import type { Logger } from "@shipline/core/runtime/logger";

const KEEPS_REVISIONS = new Set<DeployOutcome["status"]>(["succeeded", "started", "unchanged"]);

/** The revisions deregistered (none when `keep` is not given or the deploy did not go well). */
export async function prune(
  ecs: ECSClient,
  keep: number | undefined,
  plan: DeployPlan,
  outcome: DeployOutcome,
  logger: Logger,
): Promise<string[]> {
  if (keep === undefined || !KEEPS_REVISIONS.has(outcome.status)) return [];
  const arn = outcome.taskDefinitionArn;
  const family = familyOf(arn);
  const result = await logger.group(`Keep the newest ${keep} revisions of ${family}`, () =>
    pruneRevisions(ecs, { family, keep, protect: protectedRevisions(plan, arn) }, logger),
  );
  return result.deregistered;
}

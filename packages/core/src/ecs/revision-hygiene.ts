// Revision hygiene: deregister the older ACTIVE revisions of a task-definition family beyond the newest
// N, never one that is protected (what the services run, what they would roll back to).
import {
  DeregisterTaskDefinitionCommand,
  type ECSClient,
  ListTaskDefinitionsCommand,
} from "@aws-sdk/client-ecs";
import type { Logger } from "../runtime/logger";
import { familyOf, revisionLabel, revisionOf } from "./task-definition";

export interface PruneRequest {
  family: string;
  /** How many of the newest ACTIVE revisions to keep (protected ones are kept besides). */
  keep: number;
  /** Task-definition ARNs that must stay ACTIVE whatever their age. */
  protect: ReadonlySet<string>;
}

export interface PruneResult {
  kept: string[];
  deregistered: string[];
}

/** Which revisions to deregister, from the ACTIVE ones. Pure, so the rules are unit-tested. */
export function revisionsToDeregister(active: readonly string[], request: PruneRequest): PruneResult {
  const newestFirst = [...active].sort((a, b) => revisionOf(b) - revisionOf(a));
  const kept: string[] = [];
  const deregistered: string[] = [];
  for (const [index, arn] of newestFirst.entries()) {
    if (index < request.keep || request.protect.has(arn)) kept.push(arn);
    else deregistered.push(arn);
  }
  return { kept, deregistered };
}

export async function listActiveRevisions(ecs: ECSClient, family: string): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListTaskDefinitionsCommand({
        familyPrefix: family,
        status: "ACTIVE",
        sort: "DESC",
        maxResults: 100,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    // familyPrefix matches the family exactly, but be strict in case a caller passes a prefix.
    arns.push(...(page.taskDefinitionArns ?? []).filter((a) => familyOf(a) === family));
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}

/** Deregisters one by one, so a failure part-way leaves the newest ones in place. */
export async function pruneRevisions(
  ecs: ECSClient,
  request: PruneRequest,
  logger: Logger,
): Promise<PruneResult> {
  const active = await listActiveRevisions(ecs, request.family);
  const plan = revisionsToDeregister(active, request);
  for (const arn of plan.deregistered) {
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
    logger.info(`Deregistered ${revisionLabel(arn)}.`);
  }
  const protectedOld = plan.kept.slice(request.keep);
  logger.info(
    plan.deregistered.length === 0
      ? `Revisions of ${request.family}: ${active.length} ACTIVE, nothing to deregister (keep-revisions ${request.keep}).`
      : `Revisions of ${request.family}: kept ${plan.kept.length}, deregistered ${plan.deregistered.length}.`,
  );
  if (protectedOld.length > 0) {
    logger.info(
      `Kept beyond the newest ${request.keep} because they are in use or the rollback target: ${protectedOld.map(revisionLabel).join(", ")}.`,
    );
  }
  return plan;
}

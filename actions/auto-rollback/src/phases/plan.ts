// Find the bad revision and the one to return to, per service (core planRollback), and say so.
import {
  planRollback,
  type RollbackPlan,
  type RollbackPlanDeps,
  type RollbackRequest,
} from "@shipline/core/ecs/rollback-plan";
import { revisionLabel } from "@shipline/core/ecs/task-definition";
import type { Logger } from "@shipline/core/runtime/logger";

export function plan(
  deps: RollbackPlanDeps,
  request: RollbackRequest,
  logger: Logger,
): Promise<RollbackPlan> {
  return logger.group("Find the bad revision and the one to return to", async () => {
    const found = await planRollback(deps, request);
    for (const p of found.services) {
      logger.info(
        `${p.name}: bad ${p.bad ? revisionLabel(p.bad) : "unknown"}, target ${revisionLabel(p.target.taskDefinitionArn)} (${p.target.source}); ${p.action.why}.`,
      );
    }
    return found;
  });
}

// Roll every service back, follow and verify it (core executeRollback).
import {
  executeRollback,
  type RollbackDeps,
  type RollbackOptions,
  type RollbackOutcome,
} from "@shipline/core/ecs/rollback-execute";
import type { RollbackPlan } from "@shipline/core/ecs/rollback-plan";

export function restore(
  deps: RollbackDeps,
  plan: RollbackPlan,
  options: RollbackOptions,
): Promise<RollbackOutcome> {
  return deps.logger.group("Roll back, follow and verify", () => executeRollback(deps, plan, options));
}

// The simulated ECS in the ways real ECS can differ from the happy path, as overrides to pass to
// startSimulator({ overrides: variant }):
// - deniedServiceDeployments: a role without ecs:ListServiceDeployments / DescribeServiceDeployments /
//   DescribeServiceRevisions / StopServiceDeployment (AccessDeniedException); the actions must fall
//   back to DescribeServices' deployments[] and rolloutState.
// - staleCurrentDeployment(): for a moment after UpdateService, the response and the next few
//   DescribeServices still name the previous service deployment as current (the eventual consistency
//   other deployment tools have been caught by); following it would see its old SUCCESSFUL while the
//   service already names the new task definition.
// - refusingUpdates(names): UpdateService of those services is refused, as ECS refuses a task
//   definition that does not suit a service.
// - startPollClocked(scenario, stepMs): simulated time moves only with the step's reads of the
//   services, one step per read, so what a poll sees does not depend on how fast the machine runs the
//   bundle.
import {
  type Override,
  type Scenario,
  type Shape,
  SimError,
  type Simulator,
  startSimulator,
} from "../../sim/index";

const DENIED = [
  "ListServiceDeployments",
  "DescribeServiceDeployments",
  "DescribeServiceRevisions",
  "StopServiceDeployment",
];

export const deniedServiceDeployments: readonly Override[] = DENIED.map((operation) => ({
  service: "ecs",
  operation,
  handle: () => {
    throw new SimError(
      "AccessDeniedException",
      `User: arn:aws:sts::123456789012:assumed-role/deploy/gha is not authorized to perform: ecs:${operation}`,
    );
  },
}));

/** How many DescribeServices after an update still report the replaced service deployment. */
export const STALE_READS = 3;

/** A fresh pair of overrides (they remember which services were updated). */
export function staleCurrentDeployment(): Override[] {
  // Service name -> the service deployment it had before the update, and the reads left.
  const stale = new Map<string, { arn: string; reads: number }>();
  return [
    {
      service: "ecs",
      operation: "UpdateService",
      handle: async ({ input, next, sim }) => {
        const cluster = typeof input.cluster === "string" ? input.cluster : "default";
        const previous = sim.ecs
          .services(cluster)
          .find(
            (s) => s.serviceName === input.service || s.serviceArn === input.service,
          )?.currentServiceDeployment;
        const out = (await next()) as { service: Shape };
        const name = String(out.service.serviceName);
        if (previous && previous !== out.service.currentServiceDeployment) {
          stale.set(name, { arn: previous, reads: STALE_READS });
          out.service.currentServiceDeployment = previous;
        }
        return out;
      },
    },
    {
      service: "ecs",
      operation: "DescribeServices",
      handle: async ({ next }) => {
        const out = (await next()) as { services: Shape[] };
        for (const service of out.services) {
          const entry = stale.get(String(service.serviceName));
          if (!entry || entry.reads <= 0) continue;
          entry.reads--;
          service.currentServiceDeployment = entry.arn;
        }
        return out;
      },
    },
  ];
}

export const REFUSAL =
  "Task definition does not support launch_type FARGATE: the container app needs more memory than the task has.";

/** Refuses the UpdateService of the named services (only those to `revision`, e.g. "web:1", if given). */
export function refusingUpdates(names: readonly string[], revision?: string): Override[] {
  return [
    {
      service: "ecs",
      operation: "UpdateService",
      handle: ({ input, next }) => {
        const toRevision = !revision || String(input.taskDefinition ?? "").endsWith(`/${revision}`);
        if (names.includes(String(input.service)) && toRevision) {
          throw new SimError("InvalidParameterException", REFUSAL);
        }
        return next();
      },
    },
  ];
}

/**
 * Simulated time that moves only when the step reads the services: each DescribeServices first
 * advances the simulator's clock (which must be in manual mode) by `stepMs`, then answers. A follow
 * reads the services once per poll, so its polls fall exactly `stepMs` apart in simulated time and
 * each sees one consistent moment, however slowly a loaded machine runs the bundle; nothing else
 * moves time, so after the step's last poll ECS stands still.
 */
export function clockedByPolls(stepMs: number): Override {
  return {
    service: "ecs",
    operation: "DescribeServices",
    handle: ({ sim, next }) => {
      if (sim.clock.mode !== "manual") throw new Error("clockedByPolls needs the manual clock");
      sim.advance(stepMs);
      return next();
    },
  };
}

/**
 * Starts the simulator on a scenario with a manual clock (world({ manualClock: true })), its time
 * moved by clockedByPolls(stepMs), beside any other overrides.
 */
export async function startPollClocked(
  scenario: Scenario,
  stepMs: number,
  overrides: readonly Override[] = [],
): Promise<Simulator> {
  if ((scenario.clock as { mode?: string } | undefined)?.mode !== "manual")
    throw new Error("startPollClocked needs a scenario with a manual clock");
  return startSimulator({ scenario, overrides: [...overrides, clockedByPolls(stepMs)] });
}

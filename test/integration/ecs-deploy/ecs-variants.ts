// The simulated ECS in the ways real ECS can differ from the happy path, as SimService factories to
// pass to startSimulator({ services: [...builtInServices, variant] }):
// - deniedServiceDeployments: a role without ecs:ListServiceDeployments / DescribeServiceDeployments /
//   DescribeServiceRevisions / StopServiceDeployment (AccessDeniedException); the actions must fall
//   back to DescribeServices' deployments[] and rolloutState.
// - staleCurrentDeployment: for a moment after UpdateService, the response and the next few
//   DescribeServices still name the previous service deployment as current (the eventual consistency
//   other deployment tools have been caught by); following it would see its old SUCCESSFUL while the
//   service already names the new task definition.
// - refusingUpdates(names): UpdateService of those services is refused, as ECS refuses a task
//   definition that does not suit a service.
// - clockedByPolls(stepMs): simulated time moves only with the step's reads of the services, one step
//   per read, so what a poll sees does not depend on how fast the machine runs the bundle.
import { SimError } from "../../sim/errors";
import { type Scenario, type Simulator, startSimulator } from "../../sim/index";
import { EcsService } from "../../sim/services/ecs";
import { builtInServices } from "../../sim/services/index";
import type { Shape, SimRuntime, SimServiceFactory } from "../../sim/types";

const DENIED = [
  "ListServiceDeployments",
  "DescribeServiceDeployments",
  "DescribeServiceRevisions",
  "StopServiceDeployment",
];

class DeniedServiceDeploymentsEcs extends EcsService {
  constructor(runtime: SimRuntime) {
    super(runtime);
    for (const operation of DENIED) {
      this.operations[operation] = (_input: Shape) => {
        throw new SimError(
          "AccessDeniedException",
          `User: arn:aws:sts::123456789012:assumed-role/deploy/gha is not authorized to perform: ecs:${operation}`,
        );
      };
    }
  }
}

export const deniedServiceDeployments = (runtime: SimRuntime): EcsService =>
  new DeniedServiceDeploymentsEcs(runtime);

/** How many DescribeServices after an update still report the replaced service deployment. */
export const STALE_READS = 3;

class StaleCurrentDeploymentEcs extends EcsService {
  constructor(runtime: SimRuntime) {
    super(runtime);
    const update = this.operations.UpdateService;
    const describe = this.operations.DescribeServices;
    if (!update || !describe) throw new Error("the ECS simulator has no UpdateService or DescribeServices");
    // Service name -> the service deployment it had before the update, and the reads left.
    const stale = new Map<string, { arn: string; reads: number }>();
    this.operations.UpdateService = async (input: Shape) => {
      const service = this.core.findService(
        this.core.cluster(typeof input.cluster === "string" ? input.cluster : undefined),
        String(input.service),
      );
      const previous = service?.serviceDeployments.at(-1)?.arn;
      const out = (await update(input)) as { service: Shape };
      const name = String(out.service.serviceName);
      if (previous && previous !== out.service.currentServiceDeployment) {
        stale.set(name, { arn: previous, reads: STALE_READS });
        out.service.currentServiceDeployment = previous;
      }
      return out;
    };
    this.operations.DescribeServices = async (input: Shape) => {
      const out = (await describe(input)) as { services: Shape[] };
      for (const service of out.services) {
        const entry = stale.get(String(service.serviceName));
        if (!entry || entry.reads <= 0) continue;
        entry.reads--;
        service.currentServiceDeployment = entry.arn;
      }
      return out;
    };
  }
}

export const staleCurrentDeployment = (runtime: SimRuntime): EcsService =>
  new StaleCurrentDeploymentEcs(runtime);

export const REFUSAL =
  "Task definition does not support launch_type FARGATE: the container app needs more memory than the task has.";

/** Refuses the UpdateService of the named services (only those to `revision`, e.g. "web:1", if given). */
export function refusingUpdates(
  names: readonly string[],
  revision?: string,
): (runtime: SimRuntime) => EcsService {
  return (runtime) => {
    const ecs = new EcsService(runtime);
    const update = ecs.operations.UpdateService;
    if (!update) throw new Error("the ECS simulator has no UpdateService");
    ecs.operations.UpdateService = (input: Shape) => {
      const toRevision = !revision || String(input.taskDefinition ?? "").endsWith(`/${revision}`);
      if (names.includes(String(input.service)) && toRevision) {
        throw new SimError("InvalidParameterException", REFUSAL);
      }
      return update(input);
    };
    return ecs;
  };
}

class PollClockedEcs extends EcsService {
  constructor(runtime: SimRuntime, advance: () => void) {
    super(runtime);
    const describe = this.operations.DescribeServices;
    if (!describe) throw new Error("the ECS simulator has no DescribeServices");
    this.operations.DescribeServices = (input: Shape) => {
      advance();
      return describe(input);
    };
  }
}

/**
 * ECS whose simulated time moves only when the step reads the services: each DescribeServices first
 * advances the simulator's clock (which must be in manual mode) by `stepMs`, then answers. A follow
 * reads the services once per poll, so its polls fall exactly `stepMs` apart in simulated time and
 * each sees one consistent moment, however slowly a loaded machine runs the bundle; nothing else
 * moves time, so after the step's last poll ECS stands still. Put `ecs` among the simulator's services
 * and `attach` the simulator once it is started.
 */
export function clockedByPolls(stepMs: number): {
  ecs: (runtime: SimRuntime) => EcsService;
  attach(sim: Simulator): void;
} {
  let simulator: Simulator | undefined;
  const advance = (): void => {
    if (!simulator) throw new Error("clockedByPolls: attach the simulator before the step runs");
    if (simulator.clock.mode !== "manual") throw new Error("clockedByPolls needs the manual clock");
    simulator.advance(stepMs);
  };
  return {
    ecs: (runtime) => new PollClockedEcs(runtime, advance),
    attach: (sim) => {
      simulator = sim;
    },
  };
}

/**
 * Starts the simulator on a scenario with a manual clock (world({ manualClock: true })), its time
 * moved by clockedByPolls(stepMs): one step per DescribeServices.
 */
export async function startPollClocked(
  scenario: Scenario,
  stepMs: number,
  services: SimServiceFactory[] = builtInServices,
): Promise<Simulator> {
  if ((scenario.clock as { mode?: string } | undefined)?.mode !== "manual")
    throw new Error("startPollClocked needs a scenario with a manual clock");
  const clocked = clockedByPolls(stepMs);
  const sim = await startSimulator({ services: [...services, clocked.ecs], scenario });
  clocked.attach(sim);
  return sim;
}

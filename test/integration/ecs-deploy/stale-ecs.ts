// The simulated ECS as it behaves for a moment after UpdateService: the response, and the next few
// DescribeServices of that service, still name the previous service deployment as current (the
// eventual consistency other deployment tools have been caught by). Following that one would see its
// old SUCCESSFUL while the service already names the new task definition.
import { EcsService } from "../../sim/services/ecs";
import type { Shape, SimRuntime } from "../../sim/types";

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

// The simulated ECS with the service deployments API denied (AccessDeniedException), as for a role
// without ecs:ListServiceDeployments / DescribeServiceDeployments / DescribeServiceRevisions: the
// actions must fall back to DescribeServices' deployments[] and rolloutState.
import { SimError } from "../../sim/errors";
import { EcsService } from "../../sim/services/ecs";
import type { Shape, SimRuntime } from "../../sim/types";

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

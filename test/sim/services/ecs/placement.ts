// Where ECS would run a task (launch type or capacity provider, and whether the cluster has room), and
// the network and platform rules RunTask and CreateService share.
import { invalidParameter } from "../../framework/errors";
import type { ClusterRecord, Shape, TaskDefinitionRecord } from "./model";

/**
 * Where a task would run: the launch type or capacity provider, as AWS decides it (an omitted launch
 * type with no default capacity provider strategy means EC2). Returns a placement failure reason when
 * the cluster has nowhere to put it.
 */
export function placement(
  cluster: ClusterRecord,
  taskDefinition: TaskDefinitionRecord,
  launchType: string | undefined,
  strategy: Shape[] | undefined,
): { launchType?: string; capacityProviderName?: string; failure?: string } {
  if (launchType && strategy && strategy.length > 0) {
    throw invalidParameter(
      "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
    );
  }
  const effective =
    strategy && strategy.length > 0
      ? strategy
      : launchType
        ? undefined
        : cluster.defaultCapacityProviderStrategy;
  if (effective && effective.length > 0) {
    const provider = String(effective[0]?.capacityProvider ?? "");
    if (!cluster.capacityProviders.includes(provider)) {
      throw invalidParameter(
        "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.",
      );
    }
    if (provider.startsWith("FARGATE")) requireFargate(taskDefinition);
    return { capacityProviderName: provider };
  }
  const type = launchType ?? "EC2";
  if (type === "FARGATE") {
    requireFargate(taskDefinition);
    return { launchType: type };
  }
  if (cluster.containerInstances === 0)
    return { launchType: type, failure: "No Container Instances were found in your cluster." };
  return { launchType: type };
}

function requireFargate(taskDefinition: TaskDefinitionRecord): void {
  if (taskDefinition.body.networkMode !== "awsvpc" || taskDefinition.body.cpu === undefined) {
    throw invalidParameter("Task definition does not support launch_type FARGATE.");
  }
}

/** awsvpc tasks need subnets; other network modes take no network configuration. */
export function validateNetwork(
  taskDefinition: TaskDefinitionRecord,
  networkConfiguration: Shape | undefined,
): void {
  const awsvpc = networkConfiguration?.awsvpcConfiguration as Shape | undefined;
  if (taskDefinition.body.networkMode === "awsvpc") {
    if (!awsvpc) {
      throw invalidParameter(
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );
    }
    const subnets = awsvpc.subnets;
    if (!Array.isArray(subnets) || subnets.length === 0) throw invalidParameter("subnets can not be empty.");
  } else if (awsvpc) {
    throw invalidParameter(
      "Network Configuration is not valid for the given networkMode of this task definition.",
    );
  }
}

/** "LATEST" (or nothing) on Fargate runs the current platform version. */
export function resolvePlatformVersion(requested: string | undefined): string {
  return !requested || requested === "LATEST" ? "1.4.0" : requested;
}

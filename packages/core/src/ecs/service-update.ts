// UpdateService sent once per attempt: after a lost answer DescribeServices says whether it took
// effect, so a retry never starts a second rollout.
import {
  DescribeServicesCommand,
  type ECSClient,
  type Service,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
  type UpdateServiceCommandOutput,
} from "@aws-sdk/client-ecs";
import { sendMutation } from "../aws/mutation";
import type { Logger } from "../runtime/logger";
import { primaryDeployment } from "./service-snapshot";

/** UpdateService, not repeated when a lost answer's update shows on the service. */
export function sendUpdateService(
  ecs: ECSClient,
  request: UpdateServiceCommandInput,
  before: Service,
  logger: Logger,
): Promise<UpdateServiceCommandOutput> {
  return sendMutation(ecs, new UpdateServiceCommand(request), (out: UpdateServiceCommandOutput) => out, {
    operation: "UpdateService",
    tookEffect: () => updateTookEffect(ecs, request, before),
    describe: () => `${request.service} shows the update`,
    logger,
  });
}

/**
 * Whether an UpdateService whose answer was lost took effect, from DescribeServices: the service shows
 * what was asked (a new PRIMARY deployment on the asked revision, the asked desired count). Its answer
 * then stands in for the lost one.
 */
async function updateTookEffect(
  ecs: ECSClient,
  request: UpdateServiceCommandInput,
  before: Service,
): Promise<UpdateServiceCommandOutput | undefined> {
  const out = await ecs.send(
    new DescribeServicesCommand({ cluster: request.cluster, services: [request.service as string] }),
  );
  const now = out.services?.find(
    (s) => s.serviceName === request.service || s.serviceArn === request.service,
  );
  if (!now) return undefined;
  const primary = primaryDeployment(now);
  const newDeployment = request.taskDefinition !== undefined || request.forceNewDeployment === true;
  if (newDeployment && (!primary?.id || primary.id === primaryDeployment(before)?.id)) return undefined;
  if (request.taskDefinition !== undefined && primary?.taskDefinition !== request.taskDefinition)
    return undefined;
  if (request.desiredCount !== undefined && now.desiredCount !== request.desiredCount) return undefined;
  return { service: now, $metadata: {} };
}

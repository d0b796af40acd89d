// UpdateService sent once per attempt: after a lost answer DescribeServices says whether it took
// effect, so a retry never starts a second rollout.
import {
  DescribeServicesCommand,
  type ECSClient,
  type PropagateTags,
  type Service,
  type ServiceConnectConfiguration,
  type ServiceVolumeConfiguration,
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
  const newDeployment =
    request.taskDefinition !== undefined ||
    request.forceNewDeployment === true ||
    settingsStartDeployment(request);
  if (newDeployment && (!primary?.id || primary.id === primaryDeployment(before)?.id)) return undefined;
  if (request.taskDefinition !== undefined && primary?.taskDefinition !== request.taskDefinition)
    return undefined;
  if (request.desiredCount !== undefined && now.desiredCount !== request.desiredCount) return undefined;
  return { service: now, $metadata: {} };
}

// ---- service settings a step may change -----------------------------------------------------------

/** Service settings a step asks for; each is sent in UpdateService only when asked and different. */
export interface ServiceSettings {
  enableExecuteCommand?: boolean;
  propagateTags?: PropagateTags;
  enableECSManagedTags?: boolean;
  volumeConfigurations?: ServiceVolumeConfiguration[];
  serviceConnectConfiguration?: ServiceConnectConfiguration;
}

export type ServiceSettingName = keyof ServiceSettings;

/** Settings ECS applies by starting a new deployment of its own when they change. */
const DEPLOYING_SETTINGS: readonly ServiceSettingName[] = [
  "volumeConfigurations",
  "serviceConnectConfiguration",
];

/** Whether every member given in `asked` has the same value in `current` (members left out keep theirs). */
function covers(current: unknown, asked: unknown): boolean {
  if (Array.isArray(asked)) {
    return (
      Array.isArray(current) &&
      current.length === asked.length &&
      asked.every((a, i) => covers(current[i], a))
    );
  }
  if (typeof asked === "object" && asked !== null) {
    if (typeof current !== "object" || current === null) return false;
    return Object.entries(asked).every(([key, value]) =>
      covers((current as Record<string, unknown>)[key], value),
    );
  }
  return current === asked;
}

/** What the service has now for each setting (ECS's defaults where DescribeServices leaves one out). */
export function currentSetting(service: Service, name: ServiceSettingName): unknown {
  const primary = primaryDeployment(service);
  switch (name) {
    case "enableExecuteCommand":
      return service.enableExecuteCommand ?? false;
    case "propagateTags":
      return service.propagateTags ?? "NONE";
    case "enableECSManagedTags":
      return service.enableECSManagedTags ?? false;
    case "volumeConfigurations":
      return primary?.volumeConfigurations ?? [];
    case "serviceConnectConfiguration":
      return primary?.serviceConnectConfiguration;
  }
}

/** The asked settings that differ from what the service has: what UpdateService must carry. */
export function changedSettings(service: Service, asked: ServiceSettings | undefined): ServiceSettings {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(asked ?? {})) {
    if (value === undefined) continue;
    if (!covers(currentSetting(service, name as ServiceSettingName), value)) out[name] = value;
  }
  return out as ServiceSettings;
}

/** Whether ECS starts a deployment of its own for these settings (a new EBS or Service Connect configuration). */
export function settingsStartDeployment(
  settings: { readonly [name in ServiceSettingName]?: unknown } | undefined,
): boolean {
  return DEPLOYING_SETTINGS.some((name) => settings?.[name] !== undefined);
}

/** The UpdateService members for the settings: exactly the ones given, nothing else. */
export function settingsRequest(settings: ServiceSettings | undefined): Partial<UpdateServiceCommandInput> {
  const out: Partial<UpdateServiceCommandInput> = {};
  if (!settings) return out;
  if (settings.enableExecuteCommand !== undefined) out.enableExecuteCommand = settings.enableExecuteCommand;
  if (settings.propagateTags !== undefined) out.propagateTags = settings.propagateTags;
  if (settings.enableECSManagedTags !== undefined) out.enableECSManagedTags = settings.enableECSManagedTags;
  if (settings.volumeConfigurations !== undefined)
    out.volumeConfigurations = structuredClone(settings.volumeConfigurations);
  if (settings.serviceConnectConfiguration !== undefined)
    out.serviceConnectConfiguration = structuredClone(settings.serviceConnectConfiguration);
  return out;
}

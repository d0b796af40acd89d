// The simulated ECS state: clusters, task definitions, tasks, services, deployments, service revisions
// and service deployments, plus ARNs, ids and the timings every timed behaviour uses.
import type { ServiceDeploymentLifecycleStage } from "@aws-sdk/client-ecs";
import type { ResolvedBehaviour } from "./behaviour";

export type Shape = Record<string, unknown>;

export interface Tag {
  key: string;
  value?: string;
}

/**
 * How long things take in simulated time (milliseconds). Defaults are typical Fargate figures; a
 * scenario overrides any of them under `ecs.timings`.
 */
export interface EcsTimings {
  /** PROVISIONING → PENDING: capacity found, network interface attached. */
  provisioningMs: number;
  /** PENDING → RUNNING: image pulled and containers started. */
  pullMs: number;
  /** How long a failing pull retries before the task stops with CannotPullContainerError. */
  pullFailureMs: number;
  /** STOPPING → DEPROVISIONING: containers get SIGTERM and exit. */
  stoppingMs: number;
  /** DEPROVISIONING → STOPPED: network interface detached. */
  deprovisioningMs: number;
  /** How long the service scheduler takes to react (launch, drain, declare completion). */
  schedulerDelayMs: number;
  /** First delay before replacing failed tasks of a deployment; doubles per consecutive failure. */
  restartBackoffMs: number;
  /** Cap of that delay. */
  maxRestartBackoffMs: number;
  /** A task without a load balancer or container health check counts as healthy this long after RUNNING. */
  unmonitoredHealthyAfterMs: number;
  /** Time spent in each blue/green lifecycle stage that has no other duration. */
  lifecycleStageMs: number;
  /** Stopped tasks stay visible to DescribeTasks / ListTasks this long. */
  stoppedTaskRetentionMs: number;
  /** Default run time of a container that exits on its own ("crash" and "exit" behaviours). */
  crashAfterMs: number;
  exitAfterMs: number;
  /** Consecutive task failures after which the service reports it cannot start tasks consistently. */
  startImpairedAfterFailures: number;
}

export const defaultTimings: EcsTimings = {
  provisioningMs: 5_000,
  pullMs: 15_000,
  pullFailureMs: 30_000,
  stoppingMs: 5_000,
  deprovisioningMs: 5_000,
  schedulerDelayMs: 2_000,
  restartBackoffMs: 10_000,
  maxRestartBackoffMs: 15 * 60_000,
  unmonitoredHealthyAfterMs: 40_000,
  lifecycleStageMs: 10_000,
  stoppedTaskRetentionMs: 60 * 60_000,
  crashAfterMs: 3_000,
  exitAfterMs: 10_000,
  startImpairedAfterFailures: 10,
};

export interface ClusterRecord {
  arn: string;
  name: string;
  status: "ACTIVE" | "INACTIVE";
  createdAt: number;
  tags: Tag[];
  settings: Shape[];
  capacityProviders: string[];
  defaultCapacityProviderStrategy: Shape[];
  /** EC2 container instances registered (the simulator places EC2 tasks only when there are some). */
  containerInstances: number;
}

export type TaskDefinitionStatus = "ACTIVE" | "INACTIVE" | "DELETE_IN_PROGRESS";

export interface TaskDefinitionRecord {
  arn: string;
  family: string;
  revision: number;
  status: TaskDefinitionStatus;
  /** The registered fields, as sent (tags excluded). */
  body: Shape;
  tags: Tag[];
  registeredAt: number;
  registeredBy: string;
  deregisteredAt?: number;
}

export type TaskStatus =
  | "PROVISIONING"
  | "PENDING"
  | "ACTIVATING"
  | "RUNNING"
  | "DEACTIVATING"
  | "STOPPING"
  | "DEPROVISIONING"
  | "STOPPED";

export type StopCode =
  | "TaskFailedToStart"
  | "EssentialContainerExited"
  | "UserInitiated"
  | "ServiceSchedulerInitiated"
  | "SpotInterruption"
  | "TerminationNotice";

export type TargetState = "initial" | "healthy" | "unhealthy" | "draining" | "unused" | "unavailable";

/** A task's registration in a target group; its state history drives metrics. */
export interface TargetRegistration {
  targetGroupArn: string;
  port: number;
  containerName: string;
  state: TargetState;
  reason?: string;
  description?: string;
  passes: number;
  fails: number;
  registeredAt: number;
  /** Every state change, oldest first: metrics replay it to know who served when. */
  history: { at: number; state: TargetState }[];
  /** When the registration is gone (after draining). */
  removedAt?: number;
}

export interface ContainerRecord {
  name: string;
  containerArn: string;
  runtimeId: string;
  image: string;
  imageDigest?: string;
  essential: boolean;
  lastStatus: "PENDING" | "RUNNING" | "STOPPED";
  exitCode?: number;
  reason?: string;
  healthStatus?: "HEALTHY" | "UNHEALTHY" | "UNKNOWN";
  command?: string[];
  environment: Record<string, string>;
  /** Variables from the container's environment files, read at task start. */
  fileEnvironment?: Record<string, string>;
  /** The secrets' values by variable name, read at task start (never in any API answer). */
  secretValues?: Record<string, string>;
  behaviour: ResolvedBehaviour;
  cpu?: number;
  memory?: number;
  /** awslogs destination, when the container logs there. */
  logs?: { group: string; stream: string };
}

export interface TaskRecord {
  arn: string;
  id: string;
  /** Whether ECS Exec is on for the task (fixed when it is launched). */
  enableExecuteCommand: boolean;
  cluster: ClusterRecord;
  taskDefinition: TaskDefinitionRecord;
  group: string;
  startedBy?: string;
  lastStatus: TaskStatus;
  desiredStatus: "RUNNING" | "STOPPED";
  launchType?: string;
  capacityProviderName?: string;
  platformVersion?: string;
  createdAt: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  connectivityAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
  executionStoppedAt?: number;
  stopCode?: StopCode;
  stoppedReason?: string;
  containers: ContainerRecord[];
  overrides: Shape;
  networkConfiguration?: Shape;
  privateIp: string;
  eniId: string;
  subnetId?: string;
  availabilityZone: string;
  healthStatus: "HEALTHY" | "UNHEALTHY" | "UNKNOWN";
  tags: Tag[];
  version: number;
  /** Service tasks: the service and the deployment (ecs-svc/...) that started them. */
  service?: ServiceRecord;
  deployment?: DeploymentRecord;
  targets: TargetRegistration[];
  /** First time the task counted as healthy. */
  healthyAt?: number;
  /** Scheduled events (transitions, exits, checks) to cancel when the task stops. */
  timers: Set<number>;
  /** Where a plugged-in task runtime serves this task, once it reported it. */
  endpoint?: { host: string; port: number };
  /** Health override reported by a task runtime (undefined: the scenario decides). */
  runtimeHealthy?: boolean;
  clientToken?: string;
}

export type DeploymentStatus = "PRIMARY" | "ACTIVE" | "INACTIVE";
export type RolloutState = "IN_PROGRESS" | "COMPLETED" | "FAILED";

/** The configuration a deployment rolls out; a service revision freezes one. */
export interface DeployableConfig {
  taskDefinitionArn: string;
  launchType?: string;
  capacityProviderStrategy?: Shape[];
  platformVersion?: string;
  platformFamily?: string;
  networkConfiguration?: Shape;
  loadBalancers: Shape[];
  serviceRegistries: Shape[];
  /** EBS volumes configured at launch (UpdateService / CreateService volumeConfigurations). */
  volumeConfigurations?: Shape[];
  serviceConnectConfiguration?: Shape;
}

export interface ServiceRevisionRecord {
  arn: string;
  service: ServiceRecord;
  config: DeployableConfig;
  containerImages: { containerName: string; image: string; imageDigest?: string }[];
  createdAt: number;
}

/** The classic view of a rollout (DescribeServices deployments[]). */
export interface DeploymentRecord {
  id: string;
  status: DeploymentStatus;
  revision: ServiceRevisionRecord;
  createdAt: number;
  updatedAt: number;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  /** Consecutive failed tasks, as the circuit breaker counts them. */
  failedTasks: number;
  /** The service deployment this rollout belongs to (a rollback rollout shares the failed one's). */
  serviceDeployment: ServiceDeploymentRecord;
  /** Blue/green: the target group this deployment's tasks register in. */
  targetGroupRole?: "production" | "alternate";
}

export type ServiceDeploymentStatus =
  | "PENDING"
  | "IN_PROGRESS"
  | "SUCCESSFUL"
  | "STOPPED"
  | "STOP_REQUESTED"
  | "ROLLBACK_REQUESTED"
  | "ROLLBACK_IN_PROGRESS"
  | "ROLLBACK_SUCCESSFUL"
  | "ROLLBACK_FAILED";

export type MonitorStatus = "DISABLED" | "MONITORING" | "MONITORING_COMPLETE" | "TRIGGERED";

/** The stages a service deployment reports: the SDK's own enum, so a stage AWS lacks does not compile. */
export type LifecycleStage = ServiceDeploymentLifecycleStage;

export type Strategy = "ROLLING" | "BLUE_GREEN" | "LINEAR" | "CANARY";

export interface ServiceDeploymentRecord {
  arn: string;
  service: ServiceRecord;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  stoppedAt?: number;
  updatedAt: number;
  status: ServiceDeploymentStatus;
  statusReason?: string;
  lifecycleStage?: LifecycleStage;
  strategy: Strategy;
  sourceRevisions: ServiceRevisionRecord[];
  targetRevision: ServiceRevisionRecord;
  deploymentConfiguration: Shape;
  rollback?: { reason: string; startedAt: number; serviceRevisionArn: string };
  circuitBreaker: { status: MonitorStatus; failureCount: number; threshold: number };
  alarms: { status: MonitorStatus; alarmNames: string[]; triggeredAlarmNames: string[] };
  /** The rollout of the target revision. */
  deployment: DeploymentRecord;
  /** The rollout back to the source revision, once a rollback started. */
  rollbackDeployment?: DeploymentRecord;
  /** Blue/green family: production traffic share of the target revision (0..100) and stage timer. */
  productionTrafficPercent: number;
  stageTimer?: number;
}

export interface ServiceEvent {
  id: string;
  createdAt: number;
  message: string;
}

export interface ServiceRecord {
  arn: string;
  name: string;
  cluster: ClusterRecord;
  status: "ACTIVE" | "DRAINING" | "INACTIVE";
  createdAt: number;
  createdBy: string;
  config: DeployableConfig;
  desiredCount: number;
  deploymentConfiguration: Shape;
  deploymentController: { type: string };
  healthCheckGracePeriodSeconds?: number;
  schedulingStrategy: string;
  tags: Tag[];
  enableECSManagedTags: boolean;
  propagateTags: string;
  enableExecuteCommand: boolean;
  placementConstraints: Shape[];
  placementStrategy: Shape[];
  roleArn?: string;
  availabilityZoneRebalancing?: string;
  /** PRIMARY first, then ACTIVE ones, newest first. */
  deployments: DeploymentRecord[];
  /** Newest first. */
  events: ServiceEvent[];
  /** Oldest first. */
  serviceDeployments: ServiceDeploymentRecord[];
  revisions: ServiceRevisionRecord[];
  /** The rollout that last reached COMPLETED: the circuit breaker's rollback target. */
  lastCompleted?: DeploymentRecord;
  /** Blue/green: which of the two target groups of each load balancer entry takes production traffic. */
  productionTargetGroups: Map<number, string>;
  steady: boolean;
  reconcileTimer?: number;
  /** When the pending reconcile runs. */
  reconcileAt?: number;
  /** Earliest time the scheduler may launch again (failure backoff). */
  nextLaunchAt: number;
  consecutiveFailures: number;
  startImpairedReported: boolean;
  placementFailureReported: boolean;
}

// ---- ARNs and ids --------------------------------------------------------------------------------

export interface ArnContext {
  region: string;
  accountId: string;
}

export const ecsArn = (ctx: ArnContext, resource: string): string =>
  `arn:aws:ecs:${ctx.region}:${ctx.accountId}:${resource}`;

/** The last path segment of an ARN, or the value itself when it is a plain name. */
export function nameFromArn(value: string): string {
  if (!value.startsWith("arn:")) return value;
  const resource = value.split(":").slice(5).join(":");
  return resource.split("/").at(-1) ?? resource;
}

export const taskDefinitionLabel = (td: TaskDefinitionRecord): string => `${td.family}:${td.revision}`;

export const activeTaskStatuses: readonly TaskStatus[] = ["PROVISIONING", "PENDING", "ACTIVATING"];

export function isPending(task: TaskRecord): boolean {
  return activeTaskStatuses.includes(task.lastStatus);
}

// ECS services: CreateService / UpdateService (only what was sent changes) / DescribeServices /
// ListServices / DeleteService, their validation, and the Service and Deployment shapes.
import {
  invalidParameter,
  objectList,
  optionalBoolean,
  optionalNumber,
  optionalObject,
  optionalString,
  requireString,
  SimError,
  stringList,
} from "../../framework/errors";
import type { EcsCore } from "./core";
import {
  type ClusterRecord,
  type DeployableConfig,
  type DeploymentRecord,
  isPending,
  type ServiceRecord,
  type Shape,
  type TaskDefinitionRecord,
} from "./model";
import { placement, validateNetwork } from "./placement";
import type { Rollouts } from "./rollout";
import { type ServiceDeployments, strategyOf } from "./service-deployments";
import { containerDefinitions, paginate, readTags, type TaskDefinitions } from "./task-definitions";
import type { Tasks } from "./tasks";
import { validateVolumeConfigurations } from "./volumes";

const SERVICE_NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const STRATEGIES = ["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"];

const defaultDeploymentConfiguration = (): Shape => ({
  deploymentCircuitBreaker: { enable: false, rollback: false },
  maximumPercent: 200,
  minimumHealthyPercent: 100,
  strategy: "ROLLING",
});

/** Applies the fields sent over the current configuration (defaults for a new service). */
function mergeDeploymentConfiguration(current: Shape, sent: Shape | undefined): Shape {
  const merged: Shape = { ...current, ...(sent ?? {}) };
  if (sent?.deploymentCircuitBreaker) {
    const breaker = sent.deploymentCircuitBreaker as Shape;
    if (typeof breaker.enable !== "boolean" || typeof breaker.rollback !== "boolean") {
      throw invalidParameter("deploymentCircuitBreaker needs both enable and rollback.");
    }
  }
  for (const [key, low, high] of [
    ["maximumPercent", 0, 2000],
    ["minimumHealthyPercent", 0, 100],
  ] as const) {
    const value = merged[key];
    if (
      value !== undefined &&
      (typeof value !== "number" || !Number.isInteger(value) || value < low || value > high)
    ) {
      throw invalidParameter(`${key} must be an integer between ${low} and ${high}.`);
    }
  }
  if (merged.strategy !== undefined && !STRATEGIES.includes(String(merged.strategy))) {
    throw invalidParameter(`strategy must be one of ${STRATEGIES.join(", ")}.`);
  }
  validateStrategySettings(merged);
  return merged;
}

const HOOK_STAGES = [
  "RECONCILE_SERVICE",
  "PRE_SCALE_UP",
  "POST_SCALE_UP",
  "TEST_TRAFFIC_SHIFT",
  "POST_TEST_TRAFFIC_SHIFT",
  "PRODUCTION_TRAFFIC_SHIFT",
  "POST_PRODUCTION_TRAFFIC_SHIFT",
];

/** The ranges of the API reference: percentages in steps of 0.1, bake times 0 to 1440 minutes. */
function validateStrategySettings(configuration: Shape): void {
  const minutes = (value: unknown, name: string) => {
    if (value === undefined) return;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 1440)
      throw invalidParameter(`${name} must be an integer between 0 and 1440.`);
  };
  const percent = (value: unknown, name: string, low: number) => {
    if (value === undefined) return;
    const ok =
      typeof value === "number" &&
      value >= low &&
      value <= 100 &&
      Math.abs(value * 10 - Math.round(value * 10)) < 1e-9;
    if (!ok) throw invalidParameter(`${name} must be a multiple of 0.1 between ${low} and 100.`);
  };
  minutes(configuration.bakeTimeInMinutes, "bakeTimeInMinutes");
  const canary = configuration.canaryConfiguration as Shape | undefined;
  if (canary) {
    percent(canary.canaryPercent, "canaryConfiguration.canaryPercent", 0.1);
    minutes(canary.canaryBakeTimeInMinutes, "canaryConfiguration.canaryBakeTimeInMinutes");
  }
  const linear = configuration.linearConfiguration as Shape | undefined;
  if (linear) {
    percent(linear.stepPercent, "linearConfiguration.stepPercent", 3);
    minutes(linear.stepBakeTimeInMinutes, "linearConfiguration.stepBakeTimeInMinutes");
  }
  const hooks = configuration.lifecycleHooks;
  if (hooks === undefined) return;
  if (!Array.isArray(hooks)) throw invalidParameter("lifecycleHooks must be a list.");
  for (const hook of hooks as Shape[]) {
    const stages = hook.lifecycleStages;
    if ((hook.targetType ?? "AWS_LAMBDA") === "AWS_LAMBDA" && typeof hook.hookTargetArn !== "string")
      throw invalidParameter("hookTargetArn is required for a lifecycle hook of type AWS_LAMBDA.");
    if (
      !Array.isArray(stages) ||
      stages.length === 0 ||
      stages.some((st) => !HOOK_STAGES.includes(String(st)))
    )
      throw invalidParameter(`lifecycleStages must list one or more of ${HOOK_STAGES.join(", ")}.`);
  }
}

export class Services {
  constructor(
    private readonly core: EcsCore,
    private readonly taskDefinitions: TaskDefinitions,
    private readonly tasks: Tasks,
    private readonly rollouts: Rollouts,
    private readonly serviceDeployments: ServiceDeployments,
  ) {}

  // ---- validation ------------------------------------------------------------------------------------

  #validateConfig(
    cluster: ClusterRecord,
    config: DeployableConfig,
    deploymentConfiguration: Shape,
  ): TaskDefinitionRecord {
    const td = this.taskDefinitions.findDeployable(config.taskDefinitionArn);
    if (config.launchType && config.capacityProviderStrategy && config.capacityProviderStrategy.length > 0) {
      throw invalidParameter(
        "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
      );
    }
    // Raises for capacity providers the cluster lacks and task definitions Fargate cannot run.
    placement(cluster, td, config.launchType, config.capacityProviderStrategy);
    validateNetwork(td, config.networkConfiguration);
    validateVolumeConfigurations(config.volumeConfigurations ?? [], td);
    const connect = config.serviceConnectConfiguration;
    if (connect && typeof connect.enabled !== "boolean")
      throw invalidParameter("serviceConnectConfiguration.enabled must be specified.");
    const elb = this.core.elb();
    const containers = containerDefinitions(td);
    for (const entry of config.loadBalancers) {
      const name = entry.containerName;
      const port = entry.containerPort;
      const container = containers.find((c) => c.name === name);
      const ports = ((container?.portMappings as Shape[] | undefined) ?? []).map((p) => p.containerPort);
      if (!container || !ports.includes(port)) {
        throw invalidParameter(
          `The container ${String(name)} did not have a container port ${String(port)} defined.`,
        );
      }
      const groups = [
        entry.targetGroupArn,
        (entry.advancedConfiguration as Shape | undefined)?.alternateTargetGroupArn,
      ];
      for (const arn of groups) {
        if (typeof arn !== "string" || !elb) continue;
        const group = elb.targetGroup(arn);
        if (!group) throw invalidParameter(`The target group with targetGroupArn ${arn} does not exist.`);
        if (group.loadBalancerArns.length === 0) {
          throw invalidParameter(
            `The target group with targetGroupArn ${arn} does not have an associated load balancer.`,
          );
        }
      }
    }
    const strategy = strategyOf(deploymentConfiguration);
    if (strategy !== "ROLLING") {
      if (config.loadBalancers.length === 0) {
        throw invalidParameter(`The ${strategy} deployment strategy requires a load balancer.`);
      }
      for (const entry of config.loadBalancers) {
        const advanced = entry.advancedConfiguration as Shape | undefined;
        if (typeof advanced?.alternateTargetGroupArn !== "string") {
          throw invalidParameter(
            `advancedConfiguration with an alternateTargetGroupArn is required for each load balancer of a service using the ${strategy} deployment strategy.`,
          );
        }
      }
    }
    return td;
  }

  #readConfig(input: Shape, taskDefinitionArn: string, current?: DeployableConfig): DeployableConfig {
    const pick = <T>(key: string, read: () => T | undefined, fallback: T | undefined): T | undefined =>
      input[key] !== undefined ? read() : fallback;
    const strategy = pick(
      "capacityProviderStrategy",
      () => objectList(input, "capacityProviderStrategy"),
      current?.capacityProviderStrategy,
    );
    const launchType =
      input.capacityProviderStrategy !== undefined
        ? undefined
        : pick("launchType", () => optionalString(input, "launchType"), current?.launchType);
    const network = pick(
      "networkConfiguration",
      () => optionalObject(input, "networkConfiguration"),
      current?.networkConfiguration,
    );
    const platformVersion = pick(
      "platformVersion",
      () => optionalString(input, "platformVersion"),
      current?.platformVersion,
    );
    const volumes = pick(
      "volumeConfigurations",
      () => objectList(input, "volumeConfigurations"),
      current?.volumeConfigurations,
    );
    const connect = pick(
      "serviceConnectConfiguration",
      () => optionalObject(input, "serviceConnectConfiguration"),
      current?.serviceConnectConfiguration,
    );
    return {
      taskDefinitionArn,
      ...(volumes && volumes.length > 0 ? { volumeConfigurations: volumes } : {}),
      ...(connect ? { serviceConnectConfiguration: connect } : {}),
      ...(launchType ? { launchType } : {}),
      ...(strategy && strategy.length > 0 ? { capacityProviderStrategy: strategy } : {}),
      ...(platformVersion ? { platformVersion } : {}),
      ...(network ? { networkConfiguration: network } : {}),
      loadBalancers:
        pick("loadBalancers", () => objectList(input, "loadBalancers"), current?.loadBalancers) ?? [],
      serviceRegistries:
        pick("serviceRegistries", () => objectList(input, "serviceRegistries"), current?.serviceRegistries) ??
        [],
    };
  }

  // ---- creation ------------------------------------------------------------------------------------------

  /** Builds the service record (no deployment yet) after validating the request. */
  #newService(input: Shape): { service: ServiceRecord; config: DeployableConfig } {
    const core = this.core;
    const cluster = core.cluster(optionalString(input, "cluster"));
    const name = requireString(input, "serviceName");
    if (!SERVICE_NAME.test(name))
      throw invalidParameter("serviceName can have up to 255 letters, numbers, hyphens and underscores.");
    const existing = core.findService(cluster, name);
    if (existing && existing.status === "DRAINING")
      throw invalidParameter("Unable to Start a service that is still Draining.");
    if (existing && existing.status === "ACTIVE")
      throw invalidParameter("Creation of service was not idempotent.");
    const controller =
      (optionalObject(input, "deploymentController") as { type?: string } | undefined)?.type ?? "ECS";
    if (!["ECS", "CODE_DEPLOY", "EXTERNAL"].includes(controller))
      throw invalidParameter("deploymentController.type is invalid.");
    const scheduling = optionalString(input, "schedulingStrategy") ?? "REPLICA";
    if (scheduling !== "REPLICA") {
      throw new SimError("UnsupportedFeatureException", "The simulator models REPLICA services only.");
    }
    const desiredCount = optionalNumber(input, "desiredCount");
    if (desiredCount === undefined)
      throw invalidParameter("desiredCount is required for services with the REPLICA scheduling strategy.");
    if (!Number.isInteger(desiredCount) || desiredCount < 0)
      throw invalidParameter("desiredCount must be a non-negative integer.");
    const td = this.taskDefinitions.findDeployable(requireString(input, "taskDefinition"));
    if (input.launchType !== undefined && objectList(input, "capacityProviderStrategy").length > 0) {
      throw invalidParameter(
        "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
      );
    }
    const config = this.#readConfig(input, td.arn);
    const deploymentConfiguration = mergeDeploymentConfiguration(
      defaultDeploymentConfiguration(),
      optionalObject(input, "deploymentConfiguration"),
    );
    this.#validateConfig(cluster, config, deploymentConfiguration);
    const grace = optionalNumber(input, "healthCheckGracePeriodSeconds");
    const role = optionalString(input, "role");
    const rebalancing = optionalString(input, "availabilityZoneRebalancing");
    const service: ServiceRecord = {
      arn: core.arn(`service/${cluster.name}/${name}`),
      name,
      cluster,
      status: "ACTIVE",
      createdAt: core.now(),
      createdBy: core.callerArn,
      config,
      desiredCount,
      deploymentConfiguration,
      deploymentController: { type: controller },
      ...(grace !== undefined ? { healthCheckGracePeriodSeconds: grace } : {}),
      schedulingStrategy: scheduling,
      tags: readTags(input),
      enableECSManagedTags: optionalBoolean(input, "enableECSManagedTags") ?? false,
      propagateTags: optionalString(input, "propagateTags") ?? "NONE",
      enableExecuteCommand: optionalBoolean(input, "enableExecuteCommand") ?? false,
      placementConstraints: objectList(input, "placementConstraints"),
      placementStrategy: objectList(input, "placementStrategy"),
      ...(role ? { roleArn: role } : {}),
      ...(rebalancing ? { availabilityZoneRebalancing: rebalancing } : {}),
      deployments: [],
      events: [],
      serviceDeployments: [],
      revisions: [],
      productionTargetGroups: new Map(),
      steady: false,
      nextLaunchAt: core.now(),
      consecutiveFailures: 0,
      startImpairedReported: false,
      placementFailureReported: false,
    };
    config.loadBalancers.forEach((entry, index) => {
      if (typeof entry.targetGroupArn === "string")
        service.productionTargetGroups.set(index, entry.targetGroupArn);
    });
    return { service, config };
  }

  #register(service: ServiceRecord): void {
    this.core.services.set(this.core.serviceKey(service.cluster, service.name), service);
  }

  async create(input: Shape): Promise<ServiceRecord> {
    const { service, config } = this.#newService(input);
    const revision = await this.serviceDeployments.createRevision(service, config);
    this.#register(service);
    this.rollouts.startDeployment(service, revision);
    return service;
  }

  /**
   * A service that was already running before the scenario starts: its tasks RUNNING and healthy, its
   * deployment COMPLETED, its service deployment SUCCESSFUL.
   */
  adopt(input: Shape): ServiceRecord {
    const { service, config } = this.#newService(input);
    const revision = this.serviceDeployments.revisionWithKnownDigests(service, config);
    this.#register(service);
    const deployment = this.rollouts.startDeployment(service, revision);
    const serviceDeployment = deployment.serviceDeployment;
    this.serviceDeployments.setStatus(serviceDeployment, "IN_PROGRESS");
    const since = this.core.now() - 60 * 60_000;
    for (let i = 0; i < service.desiredCount; i++) {
      const task = this.rollouts.launch(service, deployment, 1)[0];
      if (task) this.tasks.adopt(task, since);
    }
    service.events.length = 0;
    if (service.reconcileTimer !== undefined) this.core.runtime.scheduler.cancel(service.reconcileTimer);
    delete service.reconcileTimer;
    delete service.reconcileAt;
    this.rollouts.complete(service, deployment);
    service.steady = true;
    this.core.event(service, "has reached a steady state.");
    return service;
  }

  // ---- views ---------------------------------------------------------------------------------------------

  #deploymentShape(service: ServiceRecord, deployment: DeploymentRecord): Shape {
    const tasks = this.core.serviceTasks(service).filter((t) => t.deployment === deployment);
    const wanted = tasks.filter((t) => t.desiredStatus === "RUNNING");
    const config = deployment.revision.config;
    const fargate =
      config.launchType === "FARGATE" ||
      (config.capacityProviderStrategy ?? []).some((s) => String(s.capacityProvider).startsWith("FARGATE"));
    return {
      id: deployment.id,
      status: deployment.status,
      taskDefinition: config.taskDefinitionArn,
      desiredCount: deployment.status === "PRIMARY" ? service.desiredCount : wanted.length,
      pendingCount: wanted.filter(isPending).length,
      runningCount: tasks.filter((t) => t.lastStatus === "RUNNING").length,
      failedTasks: deployment.failedTasks,
      createdAt: new Date(deployment.createdAt),
      updatedAt: new Date(deployment.updatedAt),
      ...(config.capacityProviderStrategy
        ? { capacityProviderStrategy: config.capacityProviderStrategy }
        : {}),
      ...(config.launchType ? { launchType: config.launchType } : {}),
      ...(fargate ? { platformVersion: config.platformVersion ?? "LATEST", platformFamily: "Linux" } : {}),
      ...(config.networkConfiguration ? { networkConfiguration: config.networkConfiguration } : {}),
      rolloutState: deployment.rolloutState,
      rolloutStateReason: deployment.rolloutStateReason,
      ...(config.volumeConfigurations ? { volumeConfigurations: config.volumeConfigurations } : {}),
      ...(config.serviceConnectConfiguration
        ? { serviceConnectConfiguration: config.serviceConnectConfiguration }
        : {}),
    };
  }

  shape(service: ServiceRecord, includeTags: boolean): Shape {
    const tasks = this.core.serviceTasks(service);
    const config = service.config;
    const fargate =
      config.launchType === "FARGATE" ||
      (config.capacityProviderStrategy ?? []).some((s) => String(s.capacityProvider).startsWith("FARGATE"));
    const latest = service.serviceDeployments.at(-1);
    const revisions = [...new Set(service.deployments.map((d) => d.revision))];
    return {
      serviceArn: service.arn,
      serviceName: service.name,
      clusterArn: service.cluster.arn,
      loadBalancers: config.loadBalancers,
      serviceRegistries: config.serviceRegistries,
      status: service.status,
      desiredCount: service.desiredCount,
      runningCount: tasks.filter((t) => t.lastStatus === "RUNNING").length,
      pendingCount: tasks.filter((t) => t.desiredStatus === "RUNNING" && isPending(t)).length,
      ...(config.launchType ? { launchType: config.launchType } : {}),
      ...(config.capacityProviderStrategy
        ? { capacityProviderStrategy: config.capacityProviderStrategy }
        : {}),
      ...(fargate ? { platformVersion: config.platformVersion ?? "LATEST", platformFamily: "Linux" } : {}),
      taskDefinition: config.taskDefinitionArn,
      deploymentConfiguration: service.deploymentConfiguration,
      deployments: service.deployments.map((d) => this.#deploymentShape(service, d)),
      ...(service.roleArn ? { roleArn: service.roleArn } : {}),
      // Stored in epoch ms; a Date goes out as epoch seconds, as AWS writes it.
      events: service.events.map((e) => ({ ...e, createdAt: new Date(e.createdAt) })),
      createdAt: new Date(service.createdAt),
      ...(latest ? { currentServiceDeployment: latest.arn } : {}),
      currentServiceRevisions: revisions.map((revision) => {
        const own = tasks.filter((t) => t.deployment?.revision === revision && t.desiredStatus === "RUNNING");
        return {
          arn: revision.arn,
          requestedTaskCount:
            service.deployments[0]?.revision === revision ? service.desiredCount : own.length,
          runningTaskCount: own.filter((t) => t.lastStatus === "RUNNING").length,
          pendingTaskCount: own.filter(isPending).length,
        };
      }),
      placementConstraints: service.placementConstraints,
      placementStrategy: service.placementStrategy,
      ...(config.networkConfiguration ? { networkConfiguration: config.networkConfiguration } : {}),
      ...(service.healthCheckGracePeriodSeconds !== undefined
        ? { healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds }
        : {}),
      schedulingStrategy: service.schedulingStrategy,
      deploymentController: service.deploymentController,
      ...(includeTags ? { tags: service.tags } : {}),
      createdBy: service.createdBy,
      enableECSManagedTags: service.enableECSManagedTags,
      propagateTags: service.propagateTags,
      enableExecuteCommand: service.enableExecuteCommand,
      ...(service.availabilityZoneRebalancing
        ? { availabilityZoneRebalancing: service.availabilityZoneRebalancing }
        : {}),
    };
  }

  /**
   * UpdateService; `byController` is the service's own external controller (the simulated CodeDeploy)
   * putting a new task definition on a CODE_DEPLOY service, which callers of UpdateService may not.
   */
  async update(input: Shape, byController: boolean): Promise<Shape> {
    const cluster = this.core.cluster(optionalString(input, "cluster"));
    const service = this.core.findService(cluster, requireString(input, "service"));
    if (!service) throw new SimError("ServiceNotFoundException", "Service not found.");
    if (service.status !== "ACTIVE")
      throw new SimError("ServiceNotActiveException", "Service was not ACTIVE.");
    const sentTaskDefinition = optionalString(input, "taskDefinition");
    if (sentTaskDefinition && service.deploymentController.type !== "ECS" && !byController) {
      throw invalidParameter(
        `Unable to update task definition on services with a ${service.deploymentController.type} deployment controller.` +
          (service.deploymentController.type === "CODE_DEPLOY"
            ? " Use AWS CodeDeploy to trigger a new deployment."
            : ""),
      );
    }
    const td = sentTaskDefinition
      ? this.taskDefinitions.findDeployable(sentTaskDefinition)
      : this.taskDefinitions.find(service.config.taskDefinitionArn);
    const config = this.#readConfig(input, td.arn, service.config);
    const deploymentConfiguration = mergeDeploymentConfiguration(
      service.deploymentConfiguration,
      optionalObject(input, "deploymentConfiguration"),
    );
    const desiredCount = optionalNumber(input, "desiredCount");
    if (desiredCount !== undefined && (!Number.isInteger(desiredCount) || desiredCount < 0)) {
      throw invalidParameter("desiredCount must be a non-negative integer.");
    }
    const changed = JSON.stringify(config) !== JSON.stringify(service.config);
    const force = optionalBoolean(input, "forceNewDeployment") ?? false;
    if (changed || force) this.#validateConfig(cluster, config, deploymentConfiguration);
    // Everything validated: now apply only what was sent.
    service.deploymentConfiguration = deploymentConfiguration;
    if (desiredCount !== undefined) service.desiredCount = desiredCount;
    const grace = optionalNumber(input, "healthCheckGracePeriodSeconds");
    if (grace !== undefined) service.healthCheckGracePeriodSeconds = grace;
    const execute = optionalBoolean(input, "enableExecuteCommand");
    if (execute !== undefined) service.enableExecuteCommand = execute;
    const managedTags = optionalBoolean(input, "enableECSManagedTags");
    if (managedTags !== undefined) service.enableECSManagedTags = managedTags;
    const propagate = optionalString(input, "propagateTags");
    if (propagate !== undefined) service.propagateTags = propagate;
    if (input.placementConstraints !== undefined)
      service.placementConstraints = objectList(input, "placementConstraints");
    if (input.placementStrategy !== undefined)
      service.placementStrategy = objectList(input, "placementStrategy");
    if (changed || force) {
      const revision = await this.serviceDeployments.createRevision(service, config);
      if (input.loadBalancers !== undefined) {
        service.productionTargetGroups.clear();
        config.loadBalancers.forEach((entry, index) => {
          if (typeof entry.targetGroupArn === "string")
            service.productionTargetGroups.set(index, entry.targetGroupArn);
        });
      }
      this.rollouts.startDeployment(service, revision);
    } else {
      service.steady = false;
      this.rollouts.schedule(service);
    }
    return { service: this.shape(service, false) };
  }

  // ---- operations ---------------------------------------------------------------------------------------

  readonly operations = {
    CreateService: async (input: Shape) => {
      const service = await this.create(input);
      return { service: this.shape(service, false) };
    },

    UpdateService: (input: Shape) => this.update(input, false),

    DescribeServices: (input: Shape) => {
      const cluster = this.core.cluster(optionalString(input, "cluster"));
      const refs = stringList(input, "services");
      if (refs.length === 0 || refs.length > 10)
        throw invalidParameter("services must contain 1 to 10 names or ARNs.");
      const includeTags = stringList(input, "include").includes("TAGS");
      const services: Shape[] = [];
      const failures: Shape[] = [];
      for (const ref of refs) {
        const service = this.core.findService(cluster, ref);
        if (service) services.push(this.shape(service, includeTags));
        else
          failures.push({
            arn: ref.startsWith("arn:") ? ref : this.core.arn(`service/${cluster.name}/${ref}`),
            reason: "MISSING",
          });
      }
      return { services, failures };
    },

    ListServices: (input: Shape) => {
      const cluster = this.core.cluster(optionalString(input, "cluster"));
      const launchType = optionalString(input, "launchType");
      const arns = [...this.core.services.values()]
        .filter((s) => s.cluster === cluster && s.status !== "INACTIVE")
        .filter((s) => !launchType || s.config.launchType === launchType)
        .map((s) => s.arn);
      return paginate(
        arns,
        { ...input, maxResults: optionalNumber(input, "maxResults") ?? 10 },
        "serviceArns",
      );
    },

    DeleteService: (input: Shape) => {
      const cluster = this.core.cluster(optionalString(input, "cluster"));
      const service = this.core.findService(cluster, requireString(input, "service"));
      if (!service || service.status === "INACTIVE")
        throw new SimError("ServiceNotFoundException", "Service not found.");
      if (service.desiredCount > 0 && optionalBoolean(input, "force") !== true) {
        throw invalidParameter("The service cannot be stopped while it is scaled above 0.");
      }
      service.status = "DRAINING";
      service.desiredCount = 0;
      this.rollouts.schedule(service, 0);
      return { service: this.shape(service, false) };
    },
  };
}

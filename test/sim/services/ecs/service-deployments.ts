// ECS service revisions and service deployments (the API added in late 2024): creating them, their
// status, and ListServiceDeployments / DescribeServiceDeployments / DescribeServiceRevisions /
// StopServiceDeployment.
import {
  invalidParameter,
  optionalNumber,
  optionalObject,
  optionalString,
  requireString,
  SimError,
  stringList,
} from "../../framework/errors";
import { circuitBreakerSettings, failureThreshold } from "./circuit-breaker";
import type { EcsCore } from "./core";
import {
  type DeployableConfig,
  isPending,
  type ServiceDeploymentRecord,
  type ServiceDeploymentStatus,
  type ServiceRecord,
  type ServiceRevisionRecord,
  type Shape,
  type Strategy,
} from "./model";
import { containerDefinitions, paginate, type TaskDefinitions } from "./task-definitions";

const TERMINAL: readonly ServiceDeploymentStatus[] = [
  "SUCCESSFUL",
  "STOPPED",
  "ROLLBACK_SUCCESSFUL",
  "ROLLBACK_FAILED",
];

export function isTerminal(status: ServiceDeploymentStatus): boolean {
  return TERMINAL.includes(status);
}

export function strategyOf(deploymentConfiguration: Shape): Strategy {
  const strategy = deploymentConfiguration.strategy;
  return strategy === "BLUE_GREEN" || strategy === "LINEAR" || strategy === "CANARY" ? strategy : "ROLLING";
}

/** Counts of one revision's tasks, as service deployments report them. */
interface RevisionCounts {
  arn: string;
  requestedTaskCount: number;
  runningTaskCount: number;
  pendingTaskCount: number;
  requestedProductionTrafficWeight?: number;
}

/** What stops a service deployment on request (implemented by the rollouts). */
export interface DeploymentStopper {
  stopServiceDeployment(serviceDeployment: ServiceDeploymentRecord, stopType: "ABORT" | "ROLLBACK"): void;
}

export class ServiceDeployments {
  readonly byArn = new Map<string, ServiceDeploymentRecord>();
  readonly revisions = new Map<string, ServiceRevisionRecord>();
  /** Counts frozen when a service deployment finished ("the number of tasks when it completed"). */
  readonly #frozen = new Map<string, Map<string, RevisionCounts>>();
  stopper: DeploymentStopper | undefined;

  constructor(
    private readonly core: EcsCore,
    private readonly taskDefinitions: TaskDefinitions,
  ) {}

  reset(): void {
    this.byArn.clear();
    this.revisions.clear();
    this.#frozen.clear();
  }

  // ---- creation --------------------------------------------------------------------------------------

  /** A revision with the digests already known (scenario load, synchronous paths). */
  revisionWithKnownDigests(service: ServiceRecord, config: DeployableConfig): ServiceRevisionRecord {
    const td = this.taskDefinitions.find(config.taskDefinitionArn);
    const digests = new Map(
      containerDefinitions(td).map((c) => [c.name as string, this.core.knownDigest(c.image as string)]),
    );
    return this.#revision(service, config, digests);
  }

  /** A revision whose image digests are resolved now (asking the ECR simulator when there is one). */
  async createRevision(service: ServiceRecord, config: DeployableConfig): Promise<ServiceRevisionRecord> {
    const td = this.taskDefinitions.find(config.taskDefinitionArn);
    const digests = new Map<string, string>();
    for (const c of containerDefinitions(td))
      digests.set(c.name as string, await this.core.resolveDigest(c.image as string));
    return this.#revision(service, config, digests);
  }

  #revision(
    service: ServiceRecord,
    config: DeployableConfig,
    digests: Map<string, string>,
  ): ServiceRevisionRecord {
    const td = this.taskDefinitions.find(config.taskDefinitionArn);
    const revision: ServiceRevisionRecord = {
      arn: this.core.arn(`service-revision/${service.cluster.name}/${service.name}/${this.core.digits(19)}`),
      service,
      config: structuredClone(config),
      containerImages: containerDefinitions(td).map((c) => {
        const digest = digests.get(c.name as string);
        return {
          containerName: c.name as string,
          image: c.image as string,
          ...(digest ? { imageDigest: digest } : {}),
        };
      }),
      createdAt: this.core.now(),
    };
    service.revisions.push(revision);
    this.revisions.set(revision.arn, revision);
    return revision;
  }

  /** The record of a new service deployment (PENDING); the rollout starts it. */
  create(
    service: ServiceRecord,
    target: ServiceRevisionRecord,
    sources: ServiceRevisionRecord[],
  ): Omit<ServiceDeploymentRecord, "deployment"> {
    const now = this.core.now();
    const configuration = structuredClone(service.deploymentConfiguration);
    const breaker = circuitBreakerSettings(configuration);
    const alarms = (configuration.alarms as Shape | undefined) ?? {};
    const alarmNames = Array.isArray(alarms.alarmNames) ? (alarms.alarmNames as string[]) : [];
    const id = this.core.hex(22).replace(/[0-9a-f]/g, (c, i: number) => (i % 3 === 0 ? c.toUpperCase() : c));
    return {
      arn: this.core.arn(`service-deployment/${service.cluster.name}/${service.name}/${id}`),
      service,
      createdAt: now,
      updatedAt: now,
      status: "PENDING",
      strategy: strategyOf(configuration),
      sourceRevisions: sources,
      targetRevision: target,
      deploymentConfiguration: configuration,
      circuitBreaker: {
        status: breaker.enable ? "MONITORING" : "DISABLED",
        failureCount: 0,
        threshold: failureThreshold(breaker, service.desiredCount),
      },
      alarms: {
        status: alarms.enable === true && alarmNames.length > 0 ? "MONITORING" : "DISABLED",
        alarmNames,
        triggeredAlarmNames: [],
      },
      productionTrafficPercent: 0,
    };
  }

  register(serviceDeployment: ServiceDeploymentRecord): void {
    this.byArn.set(serviceDeployment.arn, serviceDeployment);
    serviceDeployment.service.serviceDeployments.push(serviceDeployment);
  }

  // ---- status ------------------------------------------------------------------------------------------

  setStatus(
    serviceDeployment: ServiceDeploymentRecord,
    status: ServiceDeploymentStatus,
    reason?: string,
  ): void {
    const now = this.core.now();
    serviceDeployment.status = status;
    serviceDeployment.updatedAt = now;
    if (reason !== undefined) serviceDeployment.statusReason = reason;
    if (
      (status === "IN_PROGRESS" || status === "ROLLBACK_IN_PROGRESS") &&
      serviceDeployment.startedAt === undefined
    ) {
      serviceDeployment.startedAt = now;
    }
    if (!isTerminal(status)) return;
    serviceDeployment.finishedAt = now;
    if (status === "STOPPED" || status === "ROLLBACK_SUCCESSFUL" || status === "ROLLBACK_FAILED") {
      serviceDeployment.stoppedAt = now;
    }
    for (const monitor of [serviceDeployment.circuitBreaker, serviceDeployment.alarms]) {
      if (monitor.status === "MONITORING") monitor.status = "MONITORING_COMPLETE";
    }
    const frozen = new Map<string, RevisionCounts>();
    for (const revision of [serviceDeployment.targetRevision, ...serviceDeployment.sourceRevisions]) {
      frozen.set(revision.arn, this.#counts(serviceDeployment, revision));
    }
    this.#frozen.set(serviceDeployment.arn, frozen);
  }

  // ---- views -------------------------------------------------------------------------------------------

  #counts(serviceDeployment: ServiceDeploymentRecord, revision: ServiceRevisionRecord): RevisionCounts {
    const frozen = this.#frozen.get(serviceDeployment.arn)?.get(revision.arn);
    if (frozen) return frozen;
    const tasks = this.core
      .serviceTasks(serviceDeployment.service)
      .filter((t) => t.deployment?.revision === revision && t.desiredStatus === "RUNNING");
    const isTarget = revision === serviceDeployment.targetRevision;
    const shifted = serviceDeployment.strategy !== "ROLLING" && serviceDeployment.sourceRevisions.length > 0;
    return {
      arn: revision.arn,
      requestedTaskCount:
        isTarget && !isTerminal(serviceDeployment.status)
          ? serviceDeployment.service.desiredCount
          : tasks.length,
      runningTaskCount: tasks.filter((t) => t.lastStatus === "RUNNING").length,
      pendingTaskCount: tasks.filter(isPending).length,
      ...(shifted
        ? {
            requestedProductionTrafficWeight: isTarget
              ? serviceDeployment.productionTrafficPercent
              : 100 - serviceDeployment.productionTrafficPercent,
          }
        : {}),
    };
  }

  shape(serviceDeployment: ServiceDeploymentRecord): Shape {
    const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
    return {
      serviceDeploymentArn: serviceDeployment.arn,
      serviceArn: serviceDeployment.service.arn,
      clusterArn: serviceDeployment.service.cluster.arn,
      createdAt: date(serviceDeployment.createdAt),
      startedAt: date(serviceDeployment.startedAt),
      finishedAt: date(serviceDeployment.finishedAt),
      stoppedAt: date(serviceDeployment.stoppedAt),
      updatedAt: date(serviceDeployment.updatedAt),
      sourceServiceRevisions: serviceDeployment.sourceRevisions.map((r) =>
        this.#counts(serviceDeployment, r),
      ),
      targetServiceRevision: this.#counts(serviceDeployment, serviceDeployment.targetRevision),
      status: serviceDeployment.status,
      statusReason: serviceDeployment.statusReason,
      lifecycleStage: serviceDeployment.lifecycleStage,
      deploymentConfiguration: serviceDeployment.deploymentConfiguration,
      ...(serviceDeployment.rollback
        ? {
            rollback: {
              reason: serviceDeployment.rollback.reason,
              startedAt: date(serviceDeployment.rollback.startedAt),
              serviceRevisionArn: serviceDeployment.rollback.serviceRevisionArn,
            },
          }
        : {}),
      deploymentCircuitBreaker: { ...serviceDeployment.circuitBreaker },
      alarms: {
        status: serviceDeployment.alarms.status,
        ...(serviceDeployment.alarms.alarmNames.length > 0
          ? { alarmNames: serviceDeployment.alarms.alarmNames }
          : {}),
        ...(serviceDeployment.alarms.triggeredAlarmNames.length > 0
          ? { triggeredAlarmNames: serviceDeployment.alarms.triggeredAlarmNames }
          : {}),
      },
    };
  }

  revisionShape(revision: ServiceRevisionRecord): Shape {
    const config = revision.config;
    const fargate =
      config.launchType === "FARGATE" ||
      (config.capacityProviderStrategy ?? []).some((s) => String(s.capacityProvider).startsWith("FARGATE"));
    return {
      serviceRevisionArn: revision.arn,
      serviceArn: revision.service.arn,
      clusterArn: revision.service.cluster.arn,
      taskDefinition: config.taskDefinitionArn,
      ...(config.capacityProviderStrategy
        ? { capacityProviderStrategy: config.capacityProviderStrategy }
        : {}),
      ...(config.launchType ? { launchType: config.launchType } : {}),
      ...(fargate ? { platformVersion: config.platformVersion ?? "LATEST", platformFamily: "Linux" } : {}),
      loadBalancers: config.loadBalancers,
      serviceRegistries: config.serviceRegistries,
      ...(config.networkConfiguration ? { networkConfiguration: config.networkConfiguration } : {}),
      containerImages: revision.containerImages,
      guardDutyEnabled: false,
      createdAt: new Date(revision.createdAt),
    };
  }

  // ---- operations --------------------------------------------------------------------------------------

  readonly operations = {
    ListServiceDeployments: (input: Shape) => {
      const cluster = this.core.cluster(optionalString(input, "cluster"));
      const service = this.core.findService(cluster, requireString(input, "service"));
      if (!service) throw new SimError("ServiceNotFoundException", "Service not found.");
      const statuses = stringList(input, "status");
      const createdAt = optionalObject(input, "createdAt") ?? {};
      const after = typeof createdAt.after === "number" ? createdAt.after * 1000 : Number.NEGATIVE_INFINITY;
      const before =
        typeof createdAt.before === "number" ? createdAt.before * 1000 : Number.POSITIVE_INFINITY;
      const max = optionalNumber(input, "maxResults") ?? 20;
      if (!Number.isInteger(max) || max < 1 || max > 100)
        throw invalidParameter("maxResults must be between 1 and 100.");
      const matching = [...service.serviceDeployments]
        .reverse()
        .filter((d) => statuses.length === 0 || statuses.includes(d.status))
        .filter((d) => d.createdAt >= after && d.createdAt <= before);
      const page = paginate(
        matching.map((d) => d.arn),
        { ...input, maxResults: max },
        "arns",
      );
      const arns = page.arns as string[];
      return {
        serviceDeployments: arns.map((arn) => {
          const d = this.byArn.get(arn) as ServiceDeploymentRecord;
          return {
            serviceDeploymentArn: d.arn,
            serviceArn: service.arn,
            clusterArn: cluster.arn,
            startedAt: d.startedAt !== undefined ? new Date(d.startedAt) : undefined,
            createdAt: new Date(d.createdAt),
            finishedAt: d.finishedAt !== undefined ? new Date(d.finishedAt) : undefined,
            targetServiceRevisionArn: d.targetRevision.arn,
            status: d.status,
            statusReason: d.statusReason,
          };
        }),
        nextToken: page.nextToken,
      };
    },

    DescribeServiceDeployments: (input: Shape) => {
      const arns = stringList(input, "serviceDeploymentArns");
      if (arns.length === 0 || arns.length > 20)
        throw invalidParameter("serviceDeploymentArns must contain 1 to 20 ARNs.");
      const found: Shape[] = [];
      const failures: Shape[] = [];
      for (const arn of arns) {
        const d = this.byArn.get(arn);
        if (d) found.push(this.shape(d));
        else failures.push({ arn, reason: "MISSING" });
      }
      return { serviceDeployments: found, failures };
    },

    DescribeServiceRevisions: (input: Shape) => {
      const arns = stringList(input, "serviceRevisionArns");
      if (arns.length === 0 || arns.length > 20)
        throw invalidParameter("serviceRevisionArns must contain 1 to 20 ARNs.");
      const found: Shape[] = [];
      const failures: Shape[] = [];
      for (const arn of arns) {
        const revision = this.revisions.get(arn);
        if (revision) found.push(this.revisionShape(revision));
        else failures.push({ arn, reason: "MISSING" });
      }
      return { serviceRevisions: found, failures };
    },

    StopServiceDeployment: (input: Shape) => {
      const arn = requireString(input, "serviceDeploymentArn");
      const stopType = optionalString(input, "stopType") ?? "ROLLBACK";
      if (stopType !== "ABORT" && stopType !== "ROLLBACK")
        throw invalidParameter("stopType must be ABORT or ROLLBACK.");
      const serviceDeployment = this.byArn.get(arn);
      if (!serviceDeployment) {
        throw new SimError("ServiceDeploymentNotFoundException", "The service deployment does not exist.");
      }
      if (isTerminal(serviceDeployment.status)) {
        throw new SimError(
          "ConflictException",
          `The service deployment is in a terminal state (${serviceDeployment.status}) and cannot be stopped.`,
        );
      }
      // STOP_REQUESTED, ROLLBACK_REQUESTED and ROLLBACK_IN_PROGRESS carry on as they are.
      if (serviceDeployment.status === "PENDING" || serviceDeployment.status === "IN_PROGRESS") {
        this.stopper?.stopServiceDeployment(serviceDeployment, stopType);
      }
      return { serviceDeploymentArn: serviceDeployment.arn };
    },
  };
}

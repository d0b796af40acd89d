// The ECS service scheduler for rolling deployments: starts a deployment's tasks in batches within
// maximumPercent, stops old ones while keeping minimumHealthyPercent healthy, replaces failed tasks
// with a growing backoff, counts failures for the circuit breaker and declares a rollout COMPLETED
// (one deployment left). Failing and rolling back is ecs-rollback.ts; blue/green style strategies hand
// their deployments to the traffic shifter (ecs-traffic-shift.ts).
import { SimError } from "../../framework/errors";
import { circuitBreakerSettings, type FailureKind, recordFailure, recordHealthy } from "./circuit-breaker";
import type { EcsCore } from "./core";
import {
  type DeploymentRecord,
  isPending,
  type ServiceDeploymentRecord,
  type ServiceRecord,
  type ServiceRevisionRecord,
  type Shape,
  type TaskRecord,
} from "./model";
import { placement, resolvePlatformVersion } from "./placement";
import type { Rollbacks } from "./rollback";
import { isTerminal, type ServiceDeployments } from "./service-deployments";
import type { TaskDefinitions } from "./task-definitions";
import type { HealthFailure, TargetSpec, TaskObserver, Tasks } from "./tasks";

/** Blue/green, linear and canary deployments (implemented in ecs-traffic-shift.ts). */
export interface TrafficShifter {
  /** Whether this service deployment runs as a traffic shift (it has a blue revision to shift from). */
  manages(serviceDeployment: ServiceDeploymentRecord): boolean;
  begin(serviceDeployment: ServiceDeploymentRecord): void;
  reconcile(service: ServiceRecord, serviceDeployment: ServiceDeploymentRecord): void;
  /** `rolledBack` is the service deployment's status reason when it rolls back (by which detector). */
  failed(
    serviceDeployment: ServiceDeploymentRecord,
    what: string,
    rollback: boolean,
    rolledBack: string,
  ): void;
  stop(serviceDeployment: ServiceDeploymentRecord, stopType: "ABORT" | "ROLLBACK"): void;
}

export class Rollouts implements TaskObserver {
  shifter: TrafficShifter | undefined;
  /** Fails deployments and rolls them back (ecs-rollback.ts). */
  rollbacks: Rollbacks | undefined;
  /** Why the scheduler stopped a task, so the circuit breaker can tell health failures apart. */
  readonly #healthFailures = new WeakSet<TaskRecord>();

  constructor(
    private readonly core: EcsCore,
    private readonly tasks: Tasks,
    private readonly taskDefinitions: TaskDefinitions,
    private readonly serviceDeployments: ServiceDeployments,
  ) {}

  // ---- starting deployments ------------------------------------------------------------------------

  /**
   * Starts rolling out a revision: a new PRIMARY deployment (the previous PRIMARY becomes ACTIVE and
   * drains). A rollback rollout belongs to the service deployment it rolls back.
   */
  startDeployment(
    service: ServiceRecord,
    revision: ServiceRevisionRecord,
    options: { rollbackOf?: ServiceDeploymentRecord; rolloutReason?: string } = {},
  ): DeploymentRecord {
    const now = this.core.now();
    const id = `ecs-svc/${this.core.digits(19)}`;
    let serviceDeployment = options.rollbackOf;
    if (!serviceDeployment) {
      const live = service.deployments.filter((d) => this.liveTasks(service, d).length > 0);
      const sources = [...new Set(live.map((d) => d.revision))];
      for (const earlier of service.serviceDeployments) {
        if (!isTerminal(earlier.status)) {
          this.serviceDeployments.setStatus(
            earlier,
            "STOPPED",
            "Service deployment was superseded by a newer service deployment.",
          );
          this.#cancelStageTimer(earlier);
        }
      }
      const base = this.serviceDeployments.create(service, revision, sources);
      serviceDeployment = base as ServiceDeploymentRecord;
    }
    const deployment: DeploymentRecord = {
      id,
      status: "PRIMARY",
      revision,
      createdAt: now,
      updatedAt: now,
      rolloutState: "IN_PROGRESS",
      rolloutStateReason: options.rolloutReason ?? `ECS deployment ${id} in progress.`,
      failedTasks: 0,
      serviceDeployment,
      targetGroupRole: "production",
    };
    if (options.rollbackOf) {
      options.rollbackOf.rollbackDeployment = deployment;
    } else {
      serviceDeployment.deployment = deployment;
      this.serviceDeployments.register(serviceDeployment);
    }
    for (const earlier of service.deployments) {
      if (earlier.status === "PRIMARY") {
        earlier.status = "ACTIVE";
        earlier.updatedAt = now;
      }
    }
    service.deployments.unshift(deployment);
    service.config = structuredClone(revision.config);
    service.steady = false;
    service.consecutiveFailures = 0;
    service.nextLaunchAt = now;
    service.startImpairedReported = false;
    service.placementFailureReported = false;
    if (!options.rollbackOf && this.shifter?.manages(serviceDeployment)) {
      deployment.targetGroupRole = "alternate";
      this.shifter.begin(serviceDeployment);
    }
    this.schedule(service);
    return deployment;
  }

  #cancelStageTimer(serviceDeployment: ServiceDeploymentRecord): void {
    if (serviceDeployment.stageTimer !== undefined)
      this.core.runtime.scheduler.cancel(serviceDeployment.stageTimer);
    delete serviceDeployment.stageTimer;
  }

  // ---- scheduling -----------------------------------------------------------------------------------

  /** Runs the scheduler for a service soon (coalesced: one pending run per service). */
  schedule(service: ServiceRecord, delayMs = this.core.timings.schedulerDelayMs): void {
    const at = this.core.now() + delayMs;
    if (
      service.reconcileTimer !== undefined &&
      service.reconcileAt !== undefined &&
      service.reconcileAt <= at
    )
      return;
    if (service.reconcileTimer !== undefined) this.core.runtime.scheduler.cancel(service.reconcileTimer);
    service.reconcileAt = at;
    service.reconcileTimer = this.core.runtime.scheduler.schedule(at, `ecs scheduler ${service.name}`, () => {
      delete service.reconcileTimer;
      delete service.reconcileAt;
      this.reconcile(service);
    });
  }

  /** Tasks of a deployment that have not reached STOPPED (including draining ones). */
  liveTasks(service: ServiceRecord, deployment: DeploymentRecord): TaskRecord[] {
    return this.core
      .serviceTasks(service)
      .filter((t) => t.deployment === deployment && t.lastStatus !== "STOPPED");
  }

  /** Tasks the scheduler wants running (desiredStatus RUNNING). */
  activeTasks(service: ServiceRecord, deployment?: DeploymentRecord): TaskRecord[] {
    return this.core
      .serviceTasks(service)
      .filter((t) => t.desiredStatus === "RUNNING" && (!deployment || t.deployment === deployment));
  }

  reconcile(service: ServiceRecord): void {
    if (service.status === "INACTIVE") return;
    const primary = service.deployments[0];
    if (!primary) return;
    const latest = service.serviceDeployments.at(-1);
    if (latest?.status === "PENDING") this.serviceDeployments.setStatus(latest, "IN_PROGRESS");
    if (latest?.status === "ROLLBACK_REQUESTED")
      this.serviceDeployments.setStatus(latest, "ROLLBACK_IN_PROGRESS");
    if (latest && this.shifter?.manages(latest) && !isTerminal(latest.status)) {
      this.shifter.reconcile(service, latest);
      // While rolling forward the shifter alone decides; a rollback then runs as an ordinary rollout.
      if (!latest.status.startsWith("ROLLBACK")) {
        this.#removeDrainedDeployments(service);
        return;
      }
    }
    const desired = service.status === "DRAINING" ? 0 : service.desiredCount;
    this.#scaleIn(service, primary, desired);
    if (primary.rolloutState !== "FAILED") {
      this.launchUpTo(service, primary, desired, this.#maxTotal(service, desired));
      this.#drainOld(service, primary, desired);
    }
    this.#removeDrainedDeployments(service);
    if (service.status === "DRAINING") {
      if (this.core.serviceTasks(service).every((t) => t.lastStatus === "STOPPED"))
        service.status = "INACTIVE";
      return;
    }
    this.#review(service, primary, desired);
  }

  #maxTotal(service: ServiceRecord, desired: number): number {
    const maximumPercent = (service.deploymentConfiguration.maximumPercent as number | undefined) ?? 200;
    const others = this.activeTasks(service).filter((t) => t.deployment !== service.deployments[0]);
    // With nothing else running the primary may always reach its desired count.
    return others.length === 0 ? desired : Math.floor((desired * maximumPercent) / 100);
  }

  /** More primary tasks than desired (desiredCount lowered): stop the extra ones, pending first. */
  #scaleIn(service: ServiceRecord, primary: DeploymentRecord, desired: number): void {
    const active = this.activeTasks(service, primary);
    if (active.length <= desired) return;
    const order = [...active].sort(
      (a, b) => Number(isPending(b)) - Number(isPending(a)) || b.createdAt - a.createdAt,
    );
    this.stopTasks(service, order.slice(0, active.length - desired), primary);
  }

  /** Starts tasks of a deployment until it has `desired` or the service reaches `maxTotal`. */
  launchUpTo(service: ServiceRecord, deployment: DeploymentRecord, desired: number, maxTotal: number): void {
    const have = this.activeTasks(service, deployment).length;
    const room = maxTotal - this.activeTasks(service).length;
    const count = Math.min(desired - have, room);
    if (count <= 0) return;
    const now = this.core.now();
    if (now < service.nextLaunchAt) {
      this.schedule(service, service.nextLaunchAt - now);
      return;
    }
    this.launch(service, deployment, count);
  }

  /** Starts `count` tasks of a deployment's revision. */
  launch(service: ServiceRecord, deployment: DeploymentRecord, count: number): TaskRecord[] {
    const config = deployment.revision.config;
    const taskDefinition = this.taskDefinitions.find(config.taskDefinitionArn);
    let place: ReturnType<typeof placement>;
    try {
      place = placement(service.cluster, taskDefinition, config.launchType, config.capacityProviderStrategy);
    } catch (error) {
      if (!(error instanceof SimError)) throw error;
      place = { failure: error.message };
    }
    if (place.failure) {
      if (!service.placementFailureReported) {
        this.core.event(
          service,
          `was unable to place a task because no container instance met all of its requirements. Reason: ${place.failure} For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.`,
        );
        service.placementFailureReported = true;
      }
      this.schedule(service, 60_000);
      return [];
    }
    const fargate = place.launchType === "FARGATE" || place.capacityProviderName?.startsWith("FARGATE");
    const digests = new Map<string, string>();
    for (const image of deployment.revision.containerImages) {
      if (image.imageDigest) digests.set(image.containerName, image.imageDigest);
    }
    const tags =
      service.propagateTags === "SERVICE"
        ? service.tags
        : service.propagateTags === "TASK_DEFINITION"
          ? taskDefinition.tags
          : [];
    const started: TaskRecord[] = [];
    for (let i = 0; i < count; i++) {
      started.push(
        this.tasks.launch({
          cluster: service.cluster,
          taskDefinition,
          group: `service:${service.name}`,
          startedBy: deployment.id,
          ...(place.launchType ? { launchType: place.launchType } : {}),
          ...(place.capacityProviderName ? { capacityProviderName: place.capacityProviderName } : {}),
          ...(fargate ? { platformVersion: resolvePlatformVersion(config.platformVersion) } : {}),
          ...(config.networkConfiguration ? { networkConfiguration: config.networkConfiguration } : {}),
          overrides: {},
          tags,
          service,
          deployment,
          targets: this.targetsFor(service, deployment),
          digests,
          enableExecuteCommand: service.enableExecuteCommand,
        }),
      );
    }
    this.#batch(service, "started", started, (ids) => `has started ${ids.length} tasks: ${ids}.`);
    return started;
  }

  /** The target groups a deployment's tasks register in (blue/green: the alternate group for green). */
  targetsFor(service: ServiceRecord, deployment: DeploymentRecord): TargetSpec[] {
    return deployment.revision.config.loadBalancers.flatMap((entry, index) => {
      const production =
        service.productionTargetGroups.get(index) ?? (entry.targetGroupArn as string | undefined);
      if (!production || typeof entry.containerName !== "string" || typeof entry.containerPort !== "number")
        return [];
      let targetGroupArn = production;
      if (deployment.targetGroupRole === "alternate") {
        const advanced = (entry.advancedConfiguration as Shape | undefined) ?? {};
        const pair = [entry.targetGroupArn, advanced.alternateTargetGroupArn].filter(
          (a): a is string => typeof a === "string",
        );
        targetGroupArn = pair.find((a) => a !== production) ?? production;
      }
      return [{ targetGroupArn, containerName: entry.containerName, containerPort: entry.containerPort }];
    });
  }

  /** Stops tasks of earlier deployments while at least minimumHealthyPercent of desired stay healthy. */
  #drainOld(service: ServiceRecord, primary: DeploymentRecord, desired: number): void {
    const minimumPercent =
      (service.deploymentConfiguration.minimumHealthyPercent as number | undefined) ?? 100;
    const minHealthy = Math.ceil((desired * minimumPercent) / 100);
    const active = this.activeTasks(service);
    let healthy = active.filter((t) => this.tasks.isHealthy(t)).length;
    const old = active
      .filter((t) => t.deployment !== primary)
      .sort(
        (a, b) =>
          Number(this.tasks.isHealthy(a)) - Number(this.tasks.isHealthy(b)) ||
          (a.deployment?.createdAt ?? 0) - (b.deployment?.createdAt ?? 0),
      );
    const stop: TaskRecord[] = [];
    for (const task of old) {
      if (!this.tasks.isHealthy(task)) stop.push(task);
      else if (healthy - 1 >= minHealthy) {
        stop.push(task);
        healthy--;
      }
    }
    this.stopTasks(service, stop, primary);
  }

  stopTasks(service: ServiceRecord, tasks: TaskRecord[], initiator: DeploymentRecord): void {
    if (tasks.length === 0) return;
    for (const task of tasks) {
      this.tasks.stop(
        task,
        "ServiceSchedulerInitiated",
        `Scaling activity initiated by (deployment ${initiator.id})`,
      );
    }
    this.#batch(service, "stopped", tasks, (ids) => `has stopped ${ids.length} running tasks: ${ids}.`);
  }

  /** "has started 2 tasks: (task a) (task b)." — one event per batch, as ECS reports it. */
  #batch(service: ServiceRecord, kind: string, tasks: TaskRecord[], render: (ids: TaskList) => string): void {
    this.core.batchedEvent(
      service,
      kind,
      tasks.map((t) => t.id),
      (ids) => render(new TaskList(ids)),
    );
  }

  /** ACTIVE deployments whose tasks have all stopped leave the list. */
  #removeDrainedDeployments(service: ServiceRecord): void {
    service.deployments = service.deployments.filter((d) => {
      if (d.status === "PRIMARY" || this.liveTasks(service, d).length > 0) return true;
      d.status = "INACTIVE";
      d.updatedAt = this.core.now();
      return false;
    });
  }

  /** Declares completion and steady state when the numbers say so. */
  #review(service: ServiceRecord, primary: DeploymentRecord, desired: number): void {
    const active = this.activeTasks(service, primary);
    const healthy = active.filter((t) => this.tasks.isHealthy(t)).length;
    const settled = service.deployments.length === 1 && active.length === desired && healthy === desired;
    const serviceDeployment = primary.serviceDeployment;
    if (primary.rolloutState === "IN_PROGRESS" && !isTerminal(serviceDeployment.status)) {
      serviceDeployment.lifecycleStage =
        this.activeTasks(service, primary).filter((t) => this.tasks.isHealthy(t)).length >= desired
          ? "CLEAN_UP"
          : "SCALE_UP";
    }
    if (!settled) {
      service.steady = false;
      return;
    }
    if (primary.rolloutState === "IN_PROGRESS") this.complete(service, primary);
    if (!service.steady && primary.rolloutState === "COMPLETED") {
      service.steady = true;
      this.core.event(service, "has reached a steady state.");
    }
  }

  /** The rollout finished: COMPLETED, the service deployment SUCCESSFUL (or ROLLBACK_SUCCESSFUL). */
  complete(service: ServiceRecord, deployment: DeploymentRecord): void {
    const now = this.core.now();
    deployment.rolloutState = "COMPLETED";
    deployment.rolloutStateReason = `ECS deployment ${deployment.id} completed.`;
    deployment.updatedAt = now;
    service.lastCompleted = deployment;
    const serviceDeployment = deployment.serviceDeployment;
    if (!isTerminal(serviceDeployment.status)) {
      const rollback = serviceDeployment.rollbackDeployment === deployment;
      this.serviceDeployments.setStatus(serviceDeployment, rollback ? "ROLLBACK_SUCCESSFUL" : "SUCCESSFUL");
    }
    this.core.event(service, `(deployment ${deployment.id}) deployment completed.`);
  }

  // ---- task observer ------------------------------------------------------------------------------------

  taskHealthy(task: TaskRecord): void {
    const service = task.service;
    if (!service || !task.deployment) return;
    recordHealthy(task.deployment);
    if (task.deployment === service.deployments[0]) {
      service.consecutiveFailures = 0;
      service.nextLaunchAt = this.core.now();
    }
    this.schedule(service);
  }

  taskUnhealthy(task: TaskRecord, failure: HealthFailure): void {
    const service = task.service;
    if (!service || task.desiredStatus !== "RUNNING") return;
    if (failure.kind === "elb") {
      this.core.event(
        service,
        `(port ${failure.port}) is unhealthy in (target-group ${failure.targetGroupArn}) due to (reason ${failure.description}).`,
      );
    }
    const graceEnds = (task.startedAt ?? 0) + (service.healthCheckGracePeriodSeconds ?? 0) * 1000;
    if (this.core.now() < graceEnds) {
      // Within the grace period the scheduler ignores failing health checks; look again when it ends.
      this.core.runtime.scheduler.schedule(graceEnds, `grace period of ${task.id.slice(0, 8)} ends`, () => {
        const stillFailing =
          task.desiredStatus === "RUNNING" &&
          (task.targets.some((t) => t.state === "unhealthy") || task.healthStatus === "UNHEALTHY");
        if (stillFailing) this.#replaceUnhealthy(service, task, failure);
      });
      return;
    }
    this.#replaceUnhealthy(service, task, failure);
  }

  #replaceUnhealthy(service: ServiceRecord, task: TaskRecord, failure: HealthFailure): void {
    this.#healthFailures.add(task);
    const reason =
      failure.kind === "elb"
        ? `Task failed ELB health checks in (target-group ${failure.targetGroupArn})`
        : "Task failed container health checks.";
    this.tasks.stop(task, "ServiceSchedulerInitiated", reason);
    this.#batch(service, "stopped", [task], (ids) => `has stopped ${ids.length} running tasks: ${ids}.`);
  }

  taskStopping(task: TaskRecord): void {
    const service = task.service;
    const deployment = task.deployment;
    if (!service || !deployment) return;
    const kind: FailureKind | undefined = this.#healthFailures.has(task)
      ? "health"
      : task.stopCode === "TaskFailedToStart" || task.stopCode === "EssentialContainerExited"
        ? "start"
        : undefined;
    service.steady = false;
    if (kind) {
      const verdict = recordFailure(deployment, kind, service.desiredCount);
      if (deployment === service.deployments[0]) {
        service.consecutiveFailures++;
        const { restartBackoffMs, maxRestartBackoffMs, startImpairedAfterFailures } = this.core.timings;
        const backoff = Math.min(
          maxRestartBackoffMs,
          restartBackoffMs * 2 ** Math.min(service.consecutiveFailures - 1, 20),
        );
        service.nextLaunchAt = this.core.now() + backoff;
        if (service.consecutiveFailures >= startImpairedAfterFailures && !service.startImpairedReported) {
          service.startImpairedReported = true;
          this.core.event(
            service,
            "is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
          );
        }
      }
      if (verdict.tripped && verdict.reason) {
        const rollback = circuitBreakerSettings(
          deployment.serviceDeployment.deploymentConfiguration,
        ).rollback;
        this.rollbacks?.deploymentFailed(
          service,
          deployment,
          { by: "circuit-breaker", what: verdict.reason },
          rollback,
        );
      }
    }
    this.schedule(service);
  }

  taskStopped(task: TaskRecord): void {
    if (task.service) this.schedule(task.service);
  }
}

/** Task ids as ECS events list them: "(task a) (task b)". */
class TaskList {
  constructor(readonly ids: string[]) {}

  get length(): number {
    return this.ids.length;
  }

  toString(): string {
    return this.ids.map((id) => `(task ${id})`).join(" ");
  }
}

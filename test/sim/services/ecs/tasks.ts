// ECS tasks: their life in simulated time (PROVISIONING → PENDING → RUNNING → DEACTIVATING → STOPPING →
// DEPROVISIONING → STOPPED), image behaviour (pull failures, crashes, exits, slow start), load balancer
// and container health checks, awslogs output and the task runtime plug-in. The API is ecs-task-api.ts.
import { createHash } from "node:crypto";
import type { TargetGroupRecord } from "../elbv2/service";
import type { EcsCore } from "./core";
import { ExecutionResourceResolver } from "./execution-resources";
import {
  type ClusterRecord,
  type ContainerRecord,
  type DeploymentRecord,
  isPending,
  type ServiceRecord,
  type Shape,
  type StopCode,
  type Tag,
  type TargetRegistration,
  type TargetState,
  type TaskDefinitionRecord,
  type TaskRecord,
} from "./model";
import { containerDefinitions, isEssential } from "./task-definitions";
import { runtimeView, type TaskRuntimeControls } from "./task-runtime";

/** What the service scheduler hears about its tasks. */
export interface TaskObserver {
  /** The task counts as healthy (first time or again). */
  taskHealthy(task: TaskRecord): void;
  /** A load balancer or container health check now fails for the task. */
  taskUnhealthy(task: TaskRecord, failure: HealthFailure): void;
  /** The task began to stop (desiredStatus became STOPPED). */
  taskStopping(task: TaskRecord): void;
  /** The task reached STOPPED. */
  taskStopped(task: TaskRecord): void;
}

export interface HealthFailure {
  kind: "elb" | "container";
  targetGroupArn?: string;
  port?: number;
  description: string;
}

export interface TargetSpec {
  targetGroupArn: string;
  containerName: string;
  containerPort: number;
}

export interface LaunchSpec {
  cluster: ClusterRecord;
  taskDefinition: TaskDefinitionRecord;
  group: string;
  startedBy?: string;
  launchType?: string;
  capacityProviderName?: string;
  platformVersion?: string;
  networkConfiguration?: Shape;
  overrides: Shape;
  tags: Tag[];
  service?: ServiceRecord;
  deployment?: DeploymentRecord;
  /** Target groups the task registers in once RUNNING. */
  targets: TargetSpec[];
  /** Digests already resolved for this launch (a service revision's), by container name. */
  digests: Map<string, string>;
  clientToken?: string;
  /** ECS Exec: the service's flag for its tasks, RunTask's for a one-off task. */
  enableExecuteCommand?: boolean;
}

/** Default target group settings when the elbv2 service is absent or does not know the group. */
const DEFAULT_TARGET_GROUP = {
  intervalMs: 30_000,
  healthyThreshold: 5,
  unhealthyThreshold: 2,
  deregistrationDelayMs: 300_000,
};

const SIGTERM_EXIT = 143;

function numberField<K extends string>(key: K, value: unknown): { [P in K]?: number } {
  return (typeof value === "number" ? { [key]: value } : {}) as { [P in K]?: number };
}

const LOG_GROUP_MISSING =
  "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: " +
  "failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1";

export class Tasks {
  observer: TaskObserver | undefined;
  /** The target groups each task registers in once RUNNING. */
  readonly #pendingTargets = new WeakMap<TaskRecord, TargetSpec[]>();

  readonly #executionResources: ExecutionResourceResolver;

  constructor(private readonly core: EcsCore) {
    this.#executionResources = new ExecutionResourceResolver(core);
  }

  /**
   * Reads the secrets and environment files with the execution role into the containers; false (the
   * task stopped, TaskFailedToStart) when one cannot be read.
   */
  #fetchExecutionResources(task: TaskRecord): boolean {
    const resolution = this.#executionResources.resolve(task);
    if (!resolution.ok) {
      task.pullStoppedAt = this.core.now();
      this.stop(task, "TaskFailedToStart", resolution.stoppedReason);
      return false;
    }
    for (const container of task.containers) {
      const files = resolution.resources.environmentFiles.get(container.name);
      const secrets = resolution.resources.secrets.get(container.name);
      if (files) container.fileEnvironment = files;
      if (secrets) container.secretValues = secrets;
    }
    return true;
  }

  // ---- launching ---------------------------------------------------------------------------------

  /** Creates a task in PROVISIONING and schedules its life. */
  launch(spec: LaunchSpec): TaskRecord {
    const core = this.core;
    const id = core.hex(32);
    const arn = core.arn(`task/${spec.cluster.name}/${id}`);
    const overrides = (spec.overrides.containerOverrides as Shape[] | undefined) ?? [];
    const containers: ContainerRecord[] = containerDefinitions(spec.taskDefinition).map((definition) => {
      const name = definition.name as string;
      const image = definition.image as string;
      const override = overrides.find((o) => o.name === name) ?? {};
      const environment: Record<string, string> = {};
      for (const pair of [
        ...((definition.environment as Shape[] | undefined) ?? []),
        ...((override.environment as Shape[] | undefined) ?? []),
      ]) {
        if (typeof pair.name === "string") environment[pair.name] = String(pair.value ?? "");
      }
      const command =
        (override.command as string[] | undefined) ?? (definition.command as string[] | undefined);
      const log = definition.logConfiguration as
        | { logDriver?: string; options?: Record<string, string> }
        | undefined;
      const runtimeId = `${id}-${createHash("sha1").update(`${id}/${name}`).digest("hex").slice(0, 10)}`;
      const group = log?.logDriver === "awslogs" ? log.options?.["awslogs-group"] : undefined;
      const prefix = log?.options?.["awslogs-stream-prefix"];
      const digest = spec.digests.get(name);
      return {
        name,
        containerArn: core.arn(`container/${spec.cluster.name}/${id}/${core.uuid()}`),
        runtimeId,
        image,
        ...(digest ? { imageDigest: digest } : {}),
        essential: isEssential(definition),
        lastStatus: "PENDING",
        ...(command ? { command } : {}),
        environment,
        behaviour: core.behaviours.resolve(image, command),
        // RunTask's container overrides win over the definition, as the agent applies them.
        ...numberField("cpu", override.cpu ?? definition.cpu),
        ...numberField("memory", override.memory ?? definition.memory),
        ...(group ? { logs: { group, stream: prefix ? `${prefix}/${name}/${id}` : runtimeId } } : {}),
      };
    });
    const awsvpc = (spec.networkConfiguration?.awsvpcConfiguration as Shape | undefined) ?? undefined;
    const subnets = (awsvpc?.subnets as string[] | undefined) ?? [];
    const subnetIndex = subnets.length > 0 ? Math.floor(core.runtime.random() * subnets.length) : 0;
    const task: TaskRecord = {
      arn,
      id,
      cluster: spec.cluster,
      taskDefinition: spec.taskDefinition,
      group: spec.group,
      ...(spec.startedBy ? { startedBy: spec.startedBy } : {}),
      lastStatus: "PROVISIONING",
      desiredStatus: "RUNNING",
      ...(spec.launchType ? { launchType: spec.launchType } : {}),
      ...(spec.capacityProviderName ? { capacityProviderName: spec.capacityProviderName } : {}),
      ...(spec.platformVersion ? { platformVersion: spec.platformVersion } : {}),
      createdAt: core.now(),
      containers,
      overrides: spec.overrides,
      ...(spec.networkConfiguration ? { networkConfiguration: spec.networkConfiguration } : {}),
      privateIp: core.nextIp(),
      eniId: `eni-${core.hex(17)}`,
      ...(subnets[subnetIndex] ? { subnetId: subnets[subnetIndex] } : {}),
      availabilityZone: `${core.runtime.region}${"abc"[subnetIndex % 3]}`,
      healthStatus: "UNKNOWN",
      tags: spec.tags,
      version: 1,
      ...(spec.service ? { service: spec.service } : {}),
      ...(spec.deployment ? { deployment: spec.deployment } : {}),
      targets: [],
      timers: new Set(),
      ...(spec.clientToken ? { clientToken: spec.clientToken } : {}),
      enableExecuteCommand: spec.enableExecuteCommand ?? false,
    };
    core.tasks.set(arn, task);
    this.#pendingTargets.set(task, spec.targets);
    this.#after(task, core.timings.provisioningMs, "provisioned", () => this.#pending(task, spec.targets));
    return task;
  }

  /**
   * Turns a just-launched task into one that has been running since `since` (scenario state at load):
   * RUNNING, healthy in its target groups, health checks going on from now.
   */
  adopt(task: TaskRecord, since: number): void {
    this.#cancelTimers(task);
    const resolution = this.#executionResources.resolve(task);
    if (!resolution.ok)
      throw new Error(`a scenario service's task could not have started: ${resolution.stoppedReason}`);
    for (const container of task.containers) {
      const files = resolution.resources.environmentFiles.get(container.name);
      const secrets = resolution.resources.secrets.get(container.name);
      if (files) container.fileEnvironment = files;
      if (secrets) container.secretValues = secrets;
    }
    task.createdAt = since;
    task.connectivityAt = since;
    task.pullStartedAt = since;
    this.#running(task, this.#pendingTargets.get(task) ?? []);
    task.startedAt = since;
    task.pullStoppedAt = since;
    for (const target of task.targets) {
      target.passes = 1;
      this.#setTargetState(target, "healthy");
      target.history = [{ at: this.core.now(), state: "healthy" }];
    }
    task.healthyAt = this.core.now();
  }

  #after(task: TaskRecord, delayMs: number, label: string, run: () => void): void {
    const id = this.core.runtime.scheduler.after(delayMs, `ecs task ${task.id.slice(0, 8)} ${label}`, () => {
      task.timers.delete(id);
      run();
    });
    task.timers.add(id);
  }

  #cancelTimers(task: TaskRecord): void {
    for (const id of task.timers) this.core.runtime.scheduler.cancel(id);
    task.timers.clear();
  }

  #pending(task: TaskRecord, targets: TargetSpec[]): void {
    const core = this.core;
    task.lastStatus = "PENDING";
    task.connectivityAt = core.now();
    task.pullStartedAt = core.now();
    task.version++;
    const pullFailure = task.containers.find((c) => c.behaviour.pullError);
    if (pullFailure) {
      this.#after(task, core.timings.pullFailureMs, "pull failed", () => {
        const reason = `CannotPullContainerError: ${pullFailure.behaviour.pullError}`;
        pullFailure.reason = reason;
        this.stop(task, "TaskFailedToStart", reason);
      });
      return;
    }
    this.#after(task, core.timings.pullMs, "containers started", () => {
      if (!this.#fetchExecutionResources(task)) return;
      const logs = core.logs();
      for (const container of task.containers) {
        const group = container.logs?.group;
        if (!group || !logs || logs.hasGroup(group)) continue;
        const definition = containerDefinitions(task.taskDefinition).find((d) => d.name === container.name);
        const options = (definition?.logConfiguration as { options?: Record<string, string> } | undefined)
          ?.options;
        if (options?.["awslogs-create-group"] === "true" || core.autoCreateLogGroups) continue;
        task.pullStoppedAt = core.now();
        container.reason = LOG_GROUP_MISSING;
        this.stop(task, "TaskFailedToStart", LOG_GROUP_MISSING);
        return;
      }
      this.#running(task, targets);
    });
  }

  #running(task: TaskRecord, targets: TargetSpec[]): void {
    const core = this.core;
    const now = core.now();
    task.pullStoppedAt = now;
    task.startedAt = now;
    task.lastStatus = "RUNNING";
    task.version++;
    for (const container of task.containers) {
      container.lastStatus = "RUNNING";
      if (this.#hasContainerHealthCheck(task, container.name)) container.healthStatus = "UNKNOWN";
      this.writeLogs(task, container, container.behaviour.logs);
      const exit = container.behaviour.exit;
      if (exit) {
        this.#scheduleRunLogs(task, container, exit.afterMs);
        this.#after(task, exit.afterMs, `${container.name} exits ${exit.code}`, () =>
          this.containerExited(task, container.name, exit.code, exit.reason, container.behaviour.exitLogs),
        );
      }
    }
    for (const target of targets) this.#register(task, target);
    this.#startContainerHealthChecks(task);
    if (task.targets.length === 0 && !this.#anyContainerHealthCheck(task)) {
      this.#after(task, core.timings.unmonitoredHealthyAfterMs, "counts as healthy", () =>
        this.#reviewHealth(task),
      );
    }
    this.#startRuntime(task);
  }

  /**
   * Re-reads every live container's behaviour after the scenario changed: health checks follow the
   * new one at once; a newly configured exit happens that long from now.
   */
  applyBehaviours(): void {
    for (const task of this.core.tasks.values()) {
      if (task.desiredStatus !== "RUNNING") continue;
      for (const container of task.containers) {
        const before = container.behaviour;
        container.behaviour = this.core.behaviours.resolve(container.image, container.command);
        const exit = container.behaviour.exit;
        if (container.lastStatus === "RUNNING" && exit && !before.exit) {
          this.#after(task, exit.afterMs, `${container.name} exits ${exit.code}`, () =>
            this.containerExited(task, container.name, exit.code, exit.reason, container.behaviour.exitLogs),
          );
        }
      }
    }
  }

  /** The behaviour's `runLogs`, one line at a time, evenly spread over the container's run. */
  #scheduleRunLogs(task: TaskRecord, container: ContainerRecord, runMs: number): void {
    const lines = container.behaviour.runLogs;
    lines.forEach((line, index) => {
      const at = Math.floor(((index + 1) * runMs) / (lines.length + 1));
      this.#after(task, at, `${container.name} writes`, () => {
        if (container.lastStatus === "RUNNING") this.writeLogs(task, container, [line]);
      });
    });
  }

  /** Writes container output to its awslogs stream through the logs service. */
  writeLogs(task: TaskRecord, container: ContainerRecord, lines: string[], at = this.core.now()): void {
    if (!container.logs || lines.length === 0) return;
    this.core.logs()?.append(container.logs.group, container.logs.stream, lines, at);
    void task;
  }

  // ---- the task runtime plug-in -------------------------------------------------------------------

  #startRuntime(task: TaskRecord): void {
    const plugin = this.core.taskRuntime;
    if (!plugin) return;
    const scheduler = this.core.runtime.scheduler;
    const essential = task.containers.find((c) => c.essential) ?? task.containers[0];
    const controls: TaskRuntimeControls = {
      exit: (code, reason) => {
        scheduler.after(0, `runtime exit of ${task.id.slice(0, 8)}`, () => {
          if (essential) this.containerExited(task, essential.name, code, reason, []);
        });
      },
      setHealthy: (healthy) => {
        if (healthy === undefined) delete task.runtimeHealthy;
        else task.runtimeHealthy = healthy;
      },
      log: (containerName, lines, at) => {
        const container = task.containers.find((c) => c.name === containerName);
        if (container) this.writeLogs(task, container, lines, at);
      },
    };
    const failed = (error: unknown) =>
      controls.exit(1, error instanceof Error ? error.message : String(error));
    // Called within the event, so the runtime sees tasks start in simulated-time order; not awaited.
    let started: ReturnType<typeof plugin.onTaskStarting>;
    try {
      started = plugin.onTaskStarting(runtimeView(task), controls);
    } catch (error) {
      failed(error);
      return;
    }
    Promise.resolve(started).then((endpoint) => {
      if (endpoint && task.desiredStatus === "RUNNING") task.endpoint = endpoint;
    }, failed);
  }

  #notifyRuntimeStopping(task: TaskRecord): void {
    const plugin = this.core.taskRuntime;
    if (!plugin?.onTaskStopping || task.startedAt === undefined) return;
    const report = (error: unknown) => console.error("task runtime onTaskStopping failed:", error);
    try {
      Promise.resolve(plugin.onTaskStopping(runtimeView(task))).catch(report);
    } catch (error) {
      report(error);
    }
  }

  // ---- health --------------------------------------------------------------------------------------

  #passes(task: TaskRecord, containerName: string): boolean {
    if (task.lastStatus !== "RUNNING" || task.desiredStatus !== "RUNNING" || task.startedAt === undefined)
      return false;
    const container = task.containers.find((c) => c.name === containerName);
    if (container?.lastStatus !== "RUNNING") return false;
    if (this.core.now() < task.startedAt + container.behaviour.startupMs) return false;
    return task.runtimeHealthy ?? container.behaviour.healthy;
  }

  targetGroup(arn: string): Pick<TargetGroupRecord, "arn"> & typeof DEFAULT_TARGET_GROUP {
    const group = this.core.elb()?.targetGroup(arn);
    if (!group) return { arn, ...DEFAULT_TARGET_GROUP };
    return {
      arn,
      intervalMs: group.healthCheckIntervalSeconds * 1000,
      healthyThreshold: group.healthyThresholdCount,
      unhealthyThreshold: group.unhealthyThresholdCount,
      deregistrationDelayMs: group.deregistrationDelaySeconds * 1000,
    };
  }

  #setTargetState(
    target: TargetRegistration,
    state: TargetState,
    reason?: string,
    description?: string,
  ): void {
    const changed = target.state !== state;
    target.state = state;
    if (reason) target.reason = reason;
    else delete target.reason;
    if (description) target.description = description;
    else delete target.description;
    if (changed) target.history.push({ at: this.core.now(), state });
  }

  #register(task: TaskRecord, spec: TargetSpec): void {
    const now = this.core.now();
    const target: TargetRegistration = {
      targetGroupArn: spec.targetGroupArn,
      port: spec.containerPort,
      containerName: spec.containerName,
      state: "initial",
      reason: "Elb.RegistrationInProgress",
      description: "Target registration is in progress",
      passes: 0,
      fails: 0,
      registeredAt: now,
      history: [{ at: now, state: "initial" }],
    };
    task.targets.push(target);
    if (task.service) {
      const group = spec.targetGroupArn;
      this.core.batchedEvent(
        task.service,
        `registered ${group}`,
        [task.id],
        (ids) => `registered ${ids.length} targets in (target-group ${group})`,
      );
    }
    const settings = this.targetGroup(spec.targetGroupArn);
    const check = (): void => {
      if (task.desiredStatus !== "RUNNING" || task.lastStatus !== "RUNNING" || target.state === "draining")
        return;
      this.#checkTarget(task, target, settings);
      this.#after(task, settings.intervalMs, "health check", check);
    };
    this.#after(task, settings.intervalMs, "health check", check);
  }

  #checkTarget(
    task: TaskRecord,
    target: TargetRegistration,
    settings: ReturnType<Tasks["targetGroup"]>,
  ): void {
    const container = task.containers.find((c) => c.name === target.containerName);
    if (this.#passes(task, target.containerName)) {
      target.passes++;
      target.fails = 0;
      // A new target needs one passing check; an unhealthy one needs the healthy threshold.
      const needed = target.state === "initial" ? 1 : settings.healthyThreshold;
      if (target.state !== "healthy" && target.passes >= needed) {
        this.#setTargetState(target, "healthy");
        this.#reviewHealth(task);
      }
      return;
    }
    target.fails++;
    target.passes = 0;
    const starting =
      task.startedAt !== undefined &&
      this.core.now() < task.startedAt + (container?.behaviour.startupMs ?? 0);
    const reason = starting
      ? "Target.Timeout"
      : (container?.behaviour.healthCheckReason ?? "Target.FailedHealthChecks");
    const description = starting
      ? "Request timed out"
      : (container?.behaviour.healthCheckDescription ?? "Health checks failed");
    if (target.state === "unhealthy") {
      this.#setTargetState(target, "unhealthy", reason, description);
      return;
    }
    if (target.fails >= settings.unhealthyThreshold) {
      this.#setTargetState(target, "unhealthy", reason, description);
      task.version++;
      this.observer?.taskUnhealthy(task, {
        kind: "elb",
        targetGroupArn: target.targetGroupArn,
        port: target.port,
        description,
      });
    } else if (target.state === "initial") {
      this.#setTargetState(
        target,
        "initial",
        "Elb.InitialHealthChecking",
        "Initial health checks in progress",
      );
    }
  }

  #hasContainerHealthCheck(task: TaskRecord, name: string): boolean {
    return Boolean(containerDefinitions(task.taskDefinition).find((d) => d.name === name)?.healthCheck);
  }

  #anyContainerHealthCheck(task: TaskRecord): boolean {
    return task.containers.some((c) => c.essential && this.#hasContainerHealthCheck(task, c.name));
  }

  #startContainerHealthChecks(task: TaskRecord): void {
    for (const container of task.containers) {
      const definition = containerDefinitions(task.taskDefinition).find((d) => d.name === container.name);
      const check = definition?.healthCheck as Shape | undefined;
      if (!check) continue;
      const intervalMs = ((check.interval as number | undefined) ?? 30) * 1000;
      const retries = (check.retries as number | undefined) ?? 3;
      const startPeriodMs = ((check.startPeriod as number | undefined) ?? 0) * 1000;
      let fails = 0;
      const run = (): void => {
        if (task.desiredStatus !== "RUNNING" || container.lastStatus !== "RUNNING") return;
        if (this.#passes(task, container.name)) {
          fails = 0;
          if (container.healthStatus !== "HEALTHY") {
            container.healthStatus = "HEALTHY";
            this.#aggregateContainerHealth(task);
          }
        } else if (task.startedAt !== undefined && this.core.now() >= task.startedAt + startPeriodMs) {
          fails++;
          if (fails >= retries && container.healthStatus !== "UNHEALTHY") {
            container.healthStatus = "UNHEALTHY";
            this.#aggregateContainerHealth(task);
          }
        }
        this.#after(task, intervalMs, `${container.name} health check`, run);
      };
      this.#after(task, Math.min(intervalMs, 5_000), `${container.name} health check`, run);
    }
  }

  #aggregateContainerHealth(task: TaskRecord): void {
    const checked = task.containers.filter((c) => c.essential && c.healthStatus !== undefined);
    const before = task.healthStatus;
    task.healthStatus = checked.some((c) => c.healthStatus === "UNHEALTHY")
      ? "UNHEALTHY"
      : checked.length > 0 && checked.every((c) => c.healthStatus === "HEALTHY")
        ? "HEALTHY"
        : "UNKNOWN";
    if (task.healthStatus === before) return;
    task.version++;
    if (task.healthStatus === "UNHEALTHY") {
      this.observer?.taskUnhealthy(task, {
        kind: "container",
        description: "Task failed container health checks.",
      });
    } else {
      this.#reviewHealth(task);
    }
  }

  /**
   * Whether the service scheduler counts the task as healthy: RUNNING and, with a load balancer,
   * healthy in every target group; with a container health check, HEALTHY; with neither, RUNNING
   * for a while (AWS waits 40 seconds).
   */
  isHealthy(task: TaskRecord): boolean {
    if (task.lastStatus !== "RUNNING" || task.desiredStatus !== "RUNNING" || task.startedAt === undefined)
      return false;
    if (task.targets.length > 0 && !task.targets.every((t) => t.state === "healthy")) return false;
    if (this.#anyContainerHealthCheck(task)) return task.healthStatus === "HEALTHY";
    if (task.targets.length > 0) return true;
    return this.core.now() >= task.startedAt + this.core.timings.unmonitoredHealthyAfterMs;
  }

  #reviewHealth(task: TaskRecord): void {
    if (!this.isHealthy(task)) return;
    task.healthyAt ??= this.core.now();
    this.observer?.taskHealthy(task);
  }

  // ---- stopping --------------------------------------------------------------------------------------

  /** A container's process ended with an exit code; an essential one stops the task. */
  containerExited(
    task: TaskRecord,
    name: string,
    exitCode: number,
    reason: string | undefined,
    lines: string[],
  ): void {
    const container = task.containers.find((c) => c.name === name);
    if (container?.lastStatus !== "RUNNING") return;
    this.writeLogs(task, container, lines);
    container.lastStatus = "STOPPED";
    container.exitCode = exitCode;
    if (reason) container.reason = reason;
    task.version++;
    if (container.essential) {
      this.stop(task, "EssentialContainerExited", "Essential container in task exited", { crashed: true });
    }
  }

  /**
   * Stops a task: desiredStatus STOPPED at once; a RUNNING task behind a load balancer drains first
   * (DEACTIVATING, targets draining for the group's deregistration delay), then its containers get
   * SIGTERM (STOPPING), then DEPROVISIONING, then STOPPED. A task that never ran, or whose essential
   * container already exited, goes straight to DEPROVISIONING.
   */
  stop(task: TaskRecord, stopCode: StopCode, reason: string, options: { crashed?: boolean } = {}): void {
    if (task.desiredStatus === "STOPPED" || task.lastStatus === "STOPPED") return;
    const core = this.core;
    task.desiredStatus = "STOPPED";
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.stoppingAt = core.now();
    task.version++;
    this.#cancelTimers(task);
    this.#notifyRuntimeStopping(task);
    this.observer?.taskStopping(task);

    if (isPending(task)) {
      for (const container of task.containers) container.lastStatus = "STOPPED";
      this.#deprovision(task);
      return;
    }
    const draining = this.#drainTargets(task);
    if (draining > 0 && !options.crashed && task.service) {
      this.core.batchedEvent(
        task.service,
        "draining",
        [task.id],
        (ids) => `has begun draining connections on ${ids.length} tasks.`,
      );
    }
    if (options.crashed) {
      for (const container of task.containers) {
        if (container.lastStatus !== "RUNNING") continue;
        container.lastStatus = "STOPPED";
        container.exitCode = SIGTERM_EXIT;
      }
      this.#deprovision(task);
      return;
    }
    if (draining > 0) {
      task.lastStatus = "DEACTIVATING";
      this.#after(task, draining, "drained", () => this.#stopContainers(task));
    } else {
      this.#stopContainers(task);
    }
  }

  /** Puts the task's targets in draining; returns how long the longest drain takes (0 without targets). */
  #drainTargets(task: TaskRecord): number {
    let longest = 0;
    const live = task.targets.filter((t) => t.removedAt === undefined && t.state !== "draining");
    for (const target of live) {
      const settings = this.targetGroup(target.targetGroupArn);
      this.#setTargetState(
        target,
        "draining",
        "Target.DeregistrationInProgress",
        "Target deregistration is in progress",
      );
      longest = Math.max(longest, settings.deregistrationDelayMs);
      const group = target.targetGroupArn;
      if (task.service) {
        this.core.batchedEvent(
          task.service,
          `deregistered ${group}`,
          [task.id],
          (ids) => `deregistered ${ids.length} targets in (target-group ${group})`,
        );
      }
      // The registration outlives the task when the task is gone before the delay ends.
      this.core.runtime.scheduler.after(
        settings.deregistrationDelayMs,
        `deregister ${task.id.slice(0, 8)}`,
        () => {
          target.removedAt = this.core.now();
          target.history.push({ at: this.core.now(), state: "unused" });
        },
      );
    }
    return longest;
  }

  #stopContainers(task: TaskRecord): void {
    task.lastStatus = "STOPPING";
    task.version++;
    this.#after(task, this.core.timings.stoppingMs, "containers stopped", () => {
      for (const container of task.containers) {
        if (container.lastStatus !== "RUNNING") continue;
        container.lastStatus = "STOPPED";
        container.exitCode = SIGTERM_EXIT;
      }
      this.#deprovision(task);
    });
  }

  #deprovision(task: TaskRecord): void {
    task.executionStoppedAt = this.core.now();
    task.lastStatus = "DEPROVISIONING";
    task.version++;
    this.#after(task, this.core.timings.deprovisioningMs, "stopped", () => {
      task.lastStatus = "STOPPED";
      task.stoppedAt = this.core.now();
      task.version++;
      delete task.endpoint;
      this.observer?.taskStopped(task);
    });
  }

  // ---- views -------------------------------------------------------------------------------------------

  /** Whether DescribeTasks / ListTasks still show the task (stopped tasks vanish after an hour). */
  visible(task: TaskRecord): boolean {
    return (
      task.stoppedAt === undefined ||
      this.core.now() - task.stoppedAt < this.core.timings.stoppedTaskRetentionMs
    );
  }
}

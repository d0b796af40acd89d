// What tests and the demo see of the simulated ECS (`sim.ecs`): its state as plain read-only values
// in the shapes of the ECS API (the types of the AWS SDK, times as epoch ms), and the controls that
// play the world around it (images going bad, tasks crashing, alarms, another actor deregistering a
// revision, the task runtime), plus its timing knobs.
import type {
  Cluster,
  Service,
  ServiceDeployment,
  ServiceRevision,
  Task,
  TaskDefinition,
} from "@aws-sdk/client-ecs";
import { type Snapshot, snapshotOf } from "../../framework/snapshot";
import type { ImageBehaviourSpec } from "./behaviour";
import { type EcsTimings, nameFromArn, type ServiceRecord, type TaskRecord } from "./model";
import type { EcsService } from "./service";
import { taskDefinitionShape } from "./task-definitions";
import type { TaskEndpoint, TaskRuntime } from "./task-runtime";

/** A task serving traffic now, for a loopback load balancer in front of a task runtime. */
export interface ServingEndpoint {
  readonly taskArn: string;
  readonly taskDefinitionArn: string;
  readonly endpoint: TaskEndpoint;
  /** Share of the service's traffic this task gets (weights of all serving tasks add up to 1). */
  readonly weight: number;
}

export interface TaskFilter {
  /** Cluster name or ARN (default: every cluster). */
  cluster?: string;
  /** Tasks of this service (name or ARN). */
  service?: string;
  family?: string;
  startedBy?: string;
  desiredStatus?: "RUNNING" | "STOPPED";
}

export class EcsSurface {
  constructor(private readonly ecs: EcsService) {}

  // ---- state ---------------------------------------------------------------------------------------

  clusters(): Snapshot<Cluster>[] {
    const clusters = [...this.ecs.core.clusters.values()];
    return clusters.map((c) => snapshotOf<Cluster>(this.ecs.clusters.shape(c, ["TAGS", "SETTINGS"])));
  }

  /** Every service (of one cluster, when given), as DescribeServices describes it, tags included. */
  services(cluster?: string): Snapshot<Service>[] {
    return [...this.ecs.core.services.values()]
      .filter((s) => cluster === undefined || s.cluster.name === nameFromArn(cluster))
      .map((s) => snapshotOf<Service>(this.ecs.services.shape(s, true)));
  }

  /** One service by name or ARN; throws when the cluster has none of that name. */
  service(name: string, cluster = "default"): Snapshot<Service> {
    return snapshotOf<Service>(this.ecs.services.shape(this.#service(name, cluster), true));
  }

  /** Service deployments, oldest first: all, or one service's. */
  serviceDeployments(filter: { service?: string; cluster?: string } = {}): Snapshot<ServiceDeployment>[] {
    const records =
      filter.service !== undefined
        ? this.#service(filter.service, filter.cluster ?? "default").serviceDeployments
        : [...this.ecs.serviceDeployments.byArn.values()];
    return records.map((d) => snapshotOf<ServiceDeployment>(this.ecs.serviceDeployments.shape(d)));
  }

  /** A service deployment as DescribeServiceDeployments describes it, or undefined. */
  serviceDeployment(arn: string): Snapshot<ServiceDeployment> | undefined {
    const record = this.ecs.serviceDeployments.byArn.get(arn);
    return record && snapshotOf<ServiceDeployment>(this.ecs.serviceDeployments.shape(record));
  }

  /** A service revision as DescribeServiceRevisions describes it (its task definition, the digests that ran). */
  serviceRevision(arn: string): Snapshot<ServiceRevision> | undefined {
    const record = this.ecs.serviceDeployments.revisions.get(arn);
    return record && snapshotOf<ServiceRevision>(this.ecs.serviceDeployments.revisionShape(record));
  }

  /** Every revision of every family (or of one), oldest first, whatever its status. */
  taskDefinitions(family?: string): Snapshot<TaskDefinition>[] {
    return [...this.ecs.core.taskDefinitions.entries()]
      .filter(([name]) => family === undefined || name === family)
      .flatMap(([, revisions]) => revisions)
      .map((td) => snapshotOf<TaskDefinition>(taskDefinitionShape(td)));
  }

  /** A revision by family:revision or ARN (a bare family: its latest ACTIVE revision), or undefined. */
  taskDefinition(ref: string): Snapshot<TaskDefinition> | undefined {
    try {
      return snapshotOf<TaskDefinition>(taskDefinitionShape(this.ecs.taskDefinitions.find(ref)));
    } catch {
      return undefined;
    }
  }

  /** Tasks DescribeTasks would still show (stopped ones until their retention ends), oldest first. */
  tasks(filter: TaskFilter = {}): Snapshot<Task>[] {
    const cluster = filter.cluster === undefined ? undefined : nameFromArn(filter.cluster);
    const service = filter.service === undefined ? undefined : nameFromArn(filter.service);
    return [...this.ecs.core.tasks.values()]
      .filter((t) => this.ecs.tasks.visible(t))
      .filter((t) => cluster === undefined || t.cluster.name === cluster)
      .filter((t) => service === undefined || t.service?.name === service)
      .filter((t) => filter.family === undefined || t.taskDefinition.family === filter.family)
      .filter((t) => filter.startedBy === undefined || t.startedBy === filter.startedBy)
      .filter((t) => filter.desiredStatus === undefined || t.desiredStatus === filter.desiredStatus)
      .map((t) => this.#task(t));
  }

  /** A task by ARN, as DescribeTasks describes it (tags included), or undefined. */
  task(arn: string): Snapshot<Task> | undefined {
    const task = this.ecs.core.tasks.get(arn);
    return task && this.ecs.tasks.visible(task) ? this.#task(task) : undefined;
  }

  /**
   * Tasks of a service that serve traffic now and where (only tasks whose runtime reported an
   * endpoint): behind a load balancer the healthy targets weighted by the listener's forward weights,
   * otherwise every RUNNING task equally.
   */
  servingEndpoints(serviceName: string, cluster = "default"): ServingEndpoint[] {
    const service = this.#service(serviceName, cluster);
    const elb = this.ecs.core.elb();
    const running = this.ecs.core
      .serviceTasks(service)
      .filter((t) => t.lastStatus === "RUNNING" && t.desiredStatus === "RUNNING" && t.endpoint);
    const raw = running.map((task) => {
      if (task.targets.length === 0) return { task, weight: 1 };
      let weight = 0;
      for (const target of task.targets) {
        if (target.state !== "healthy") continue;
        const peers = running.filter((t) =>
          t.targets.some((r) => r.targetGroupArn === target.targetGroupArn && r.state === "healthy"),
        ).length;
        const lb = elb?.loadBalancers().find((l) => l.targetGroupArns.includes(target.targetGroupArn));
        const share =
          lb && elb ? (elb.weightsAt(lb, this.ecs.core.now())[target.targetGroupArn] ?? 0) / 100 : 1;
        weight = Math.max(weight, share / Math.max(1, peers));
      }
      return { task, weight };
    });
    const total = raw.reduce((sum, r) => sum + r.weight, 0);
    return raw
      .filter((r) => r.weight > 0 && r.task.endpoint)
      .map((r) => ({
        taskArn: r.task.arn,
        taskDefinitionArn: r.task.taskDefinition.arn,
        endpoint: { ...(r.task.endpoint as TaskEndpoint) },
        weight: total > 0 ? r.weight / total : 0,
      }));
  }

  /** The timings in force (simulated ms): defaults, then the scenario's, then `setTimings`. */
  get timings(): Readonly<EcsTimings> {
    return { ...this.ecs.core.timings };
  }

  // ---- controls ------------------------------------------------------------------------------------

  /**
   * Changes timings from now on, e.g. `{schedulerDelayMs: 60_000}` to slow the service scheduler
   * down; what is already scheduled keeps its time.
   */
  setTimings(timings: Partial<EcsTimings>): void {
    for (const [key, value] of Object.entries(timings)) {
      if (!(key in this.ecs.core.timings)) throw new Error(`ECS has no timing ${key}`);
      if (typeof value !== "number" || !(value >= 0)) throw new Error(`ECS timing ${key} must be >= 0`);
    }
    this.ecs.core.timings = { ...this.ecs.core.timings, ...timings };
  }

  /** Sets an image's behaviour; tasks already running it take the new health behaviour and exits. */
  setImageBehaviour(image: string, spec: ImageBehaviourSpec): void {
    this.ecs.core.behaviours.set(image, spec);
    this.ecs.tasks.applyBehaviours();
  }

  /** Makes the essential container of `count` RUNNING tasks of a service exit (as a crash would). */
  failTasks(
    serviceName: string,
    options: { cluster?: string; count?: number; exitCode?: number; reason?: string } = {},
  ): string[] {
    const service = this.#service(serviceName, options.cluster ?? "default");
    const running = this.ecs.core
      .serviceTasks(service)
      .filter((t) => t.lastStatus === "RUNNING" && t.desiredStatus === "RUNNING")
      .slice(0, options.count ?? 1);
    for (const task of running) {
      const essential = task.containers.find((c) => c.essential);
      if (essential)
        this.ecs.tasks.containerExited(task, essential.name, options.exitCode ?? 1, options.reason, []);
    }
    return running.map((t) => t.arn);
  }

  /** One of the alarms of a service's deployment goes into ALARM; whether any deployment watched it. */
  triggerAlarm(serviceName: string, alarmName: string, cluster = "default"): boolean {
    return this.ecs.rollbacks.triggerAlarm(this.#service(serviceName, cluster), alarmName);
  }

  /**
   * Deregisters a revision as another actor would (a cleanup job, a person in the console): it stays
   * describable as INACTIVE and can no longer be deployed. Not an API call, so not in the call log.
   */
  deregisterTaskDefinition(ref: string): void {
    const record = this.ecs.taskDefinitions.find(ref);
    if (record.status === "ACTIVE") {
      record.status = "INACTIVE";
      record.deregisteredAt = this.ecs.core.now();
    }
  }

  /**
   * Deregisters and deletes a revision as another actor would: it stays describable as
   * DELETE_IN_PROGRESS, and no new task or deployment may use it. Not an API call, so not in the call log.
   */
  deleteTaskDefinition(ref: string): void {
    this.deregisterTaskDefinition(ref);
    this.ecs.taskDefinitions.find(ref).status = "DELETE_IN_PROGRESS";
  }

  /** Plugs in (or removes) the task runtime that runs something real per task; the previous one is closed. */
  async setTaskRuntime(runtime: TaskRuntime | undefined): Promise<void> {
    const previous = this.ecs.core.taskRuntime;
    this.ecs.core.taskRuntime = runtime;
    if (previous && previous !== runtime) await previous.close?.();
  }

  // ---- helpers -------------------------------------------------------------------------------------

  #service(name: string, cluster: string): ServiceRecord {
    const record = this.ecs.core.services.get(`${nameFromArn(cluster)}/${nameFromArn(name)}`);
    if (!record) throw new Error(`the simulated ECS has no service ${name} in cluster ${cluster}`);
    return record;
  }

  #task(task: TaskRecord): Snapshot<Task> {
    return snapshotOf<Task>(this.ecs.taskApi.shape(task, true));
  }
}

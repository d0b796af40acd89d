// Amazon ECS (JSON 1.1, AmazonEC2ContainerServiceV20141113): clusters, task definitions, services with
// rolling and blue/green deployments, service deployments and revisions, the circuit breaker, tasks
// with scenario-driven behaviour, and the task runtime plug-in. The modules named ecs-*.ts do the work;
// this file wires them, reads the scenario and offers control handlers.
import { invalidParameter, objectList, optionalString, requireString, SimError, stringList } from "../errors";
import type { Shape, SimRuntime, SimService } from "../types";
import type { ImageBehaviourSpec } from "./ecs-behaviour";
import { EcsCore } from "./ecs-core";
import type {
  ClusterRecord,
  EcsTimings,
  ServiceRecord,
  Tag,
  TargetRegistration,
  TaskRecord,
} from "./ecs-model";
import { Rollbacks } from "./ecs-rollback";
import { Rollouts } from "./ecs-rollout";
import { ServiceDeployments } from "./ecs-service-deployments";
import { Services } from "./ecs-services";
import { TaskApi } from "./ecs-task-api";
import { paginate, readTags, TaskDefinitions } from "./ecs-task-definitions";
import type { TaskEndpoint, TaskRuntime } from "./ecs-task-runtime";
import { Tasks } from "./ecs-tasks";
import { TrafficShift } from "./ecs-traffic-shift";

/** Scenario section `ecs`. */
export interface EcsScenario {
  /** Cluster names or settings (default: one cluster named "default"). */
  clusters?: (
    | string
    | {
        name: string;
        capacityProviders?: string[];
        defaultCapacityProviderStrategy?: Shape[];
        /** EC2 container instances; without any, EC2 tasks cannot be placed. */
        containerInstances?: number;
        tags?: Tag[];
      }
  )[];
  timings?: Partial<EcsTimings>;
  /** Behaviour per image reference (exact, repository path suffix, digest, or * glob). */
  images?: Record<string, ImageBehaviourSpec>;
  /** Digests of images by reference, when not given in `images`. */
  imageDigests?: Record<string, string>;
  /** Create missing awslogs groups instead of failing the task as AWS does without awslogs-create-group. */
  autoCreateLogGroups?: boolean;
  /** RegisterTaskDefinition requests, registered in order (revisions count up per family). */
  taskDefinitions?: Shape[];
  /** family:revision of task definitions to deregister after registering them. */
  deregisteredTaskDefinitions?: string[];
  /** CreateService requests of services already running when the scenario starts (steady). */
  services?: Shape[];
}

/** A task serving traffic now, for a loopback load balancer in front of a task runtime. */
export interface ServingEndpoint {
  taskArn: string;
  taskDefinitionArn: string;
  endpoint: TaskEndpoint;
  /** Share of the service's traffic this task gets (weights of all serving tasks add up to 1). */
  weight: number;
}

export class EcsService implements SimService {
  readonly definition = {
    name: "ecs",
    signingName: "ecs",
    iamPrefix: "ecs",
    protocol: "json1.1",
    targetPrefix: "AmazonEC2ContainerServiceV20141113",
  } as const;
  readonly core: EcsCore;
  readonly taskDefinitions: TaskDefinitions;
  readonly tasks: Tasks;
  readonly taskApi: TaskApi;
  readonly serviceDeployments: ServiceDeployments;
  readonly rollouts: Rollouts;
  readonly rollbacks: Rollbacks;
  readonly services: Services;
  readonly operations: Record<string, (input: Shape) => unknown>;

  constructor(runtime: SimRuntime) {
    this.core = new EcsCore(runtime);
    this.taskDefinitions = new TaskDefinitions(this.core);
    this.tasks = new Tasks(this.core);
    this.taskApi = new TaskApi(this.core, this.taskDefinitions, this.tasks);
    this.serviceDeployments = new ServiceDeployments(this.core, this.taskDefinitions);
    this.rollouts = new Rollouts(this.core, this.tasks, this.taskDefinitions, this.serviceDeployments);
    this.rollouts.shifter = new TrafficShift(this.core, this.tasks, this.serviceDeployments, this.rollouts);
    this.rollbacks = new Rollbacks(this.core, this.rollouts, this.taskDefinitions, this.serviceDeployments);
    this.rollouts.rollbacks = this.rollbacks;
    this.services = new Services(
      this.core,
      this.taskDefinitions,
      this.tasks,
      this.rollouts,
      this.serviceDeployments,
    );
    this.tasks.observer = this.rollouts;
    this.serviceDeployments.stopper = this.rollbacks;
    this.operations = {
      ...this.#clusterOperations,
      ...this.taskDefinitions.operations,
      ...this.taskApi.operations,
      ...this.services.operations,
      ...this.serviceDeployments.operations,
      ListTagsForResource: (input: Shape) => ({
        tags: this.#taggable(requireString(input, "resourceArn")).tags,
      }),
    };
    this.reset();
  }

  reset(): void {
    this.core.reset();
    this.taskApi.reset();
    this.serviceDeployments.reset();
    this.core.services.clear();
    this.core.addCluster("default", { capacityProviders: ["FARGATE", "FARGATE_SPOT"] });
  }

  load(section: unknown): void {
    const scenario = section as EcsScenario;
    const core = this.core;
    core.timings = { ...core.timings, ...(scenario.timings ?? {}) };
    core.autoCreateLogGroups = scenario.autoCreateLogGroups ?? false;
    for (const [image, spec] of Object.entries(scenario.images ?? {})) core.behaviours.set(image, spec);
    for (const [image, digest] of Object.entries(scenario.imageDigests ?? {}))
      core.digests.set(image, digest);
    if (scenario.clusters) {
      core.clusters.clear();
      for (const cluster of scenario.clusters) {
        const spec = typeof cluster === "string" ? { name: cluster } : cluster;
        core.addCluster(spec.name, {
          capacityProviders: spec.capacityProviders ?? ["FARGATE", "FARGATE_SPOT"],
          defaultCapacityProviderStrategy: spec.defaultCapacityProviderStrategy ?? [],
          containerInstances: spec.containerInstances ?? 0,
          tags: spec.tags ?? [],
        });
      }
    }
    for (const request of scenario.taskDefinitions ?? []) this.taskDefinitions.register(request);
    for (const ref of scenario.deregisteredTaskDefinitions ?? []) {
      const record = this.taskDefinitions.find(ref);
      record.status = "INACTIVE";
      record.deregisteredAt = core.now();
    }
    for (const request of scenario.services ?? []) this.services.adopt(request);
  }

  async close(): Promise<void> {
    await this.core.taskRuntime?.close?.();
  }

  // ---- clusters ------------------------------------------------------------------------------------------

  #clusterShape(cluster: ClusterRecord, include: string[]): Shape {
    const tasks = [...this.core.tasks.values()].filter((t) => t.cluster === cluster);
    const services = [...this.core.services.values()].filter(
      (s) => s.cluster === cluster && s.status === "ACTIVE",
    );
    return {
      clusterArn: cluster.arn,
      clusterName: cluster.name,
      status: cluster.status,
      registeredContainerInstancesCount: cluster.containerInstances,
      runningTasksCount: tasks.filter((t) => t.lastStatus === "RUNNING").length,
      pendingTasksCount: tasks.filter((t) => ["PROVISIONING", "PENDING", "ACTIVATING"].includes(t.lastStatus))
        .length,
      activeServicesCount: services.length,
      statistics: [],
      ...(include.includes("TAGS") ? { tags: cluster.tags } : {}),
      ...(include.includes("SETTINGS") ? { settings: cluster.settings } : {}),
      capacityProviders: cluster.capacityProviders,
      defaultCapacityProviderStrategy: cluster.defaultCapacityProviderStrategy,
    };
  }

  readonly #clusterOperations = {
    CreateCluster: (input: Shape) => {
      const name = optionalString(input, "clusterName") ?? "default";
      if (!/^[a-zA-Z0-9_-]{1,255}$/.test(name)) throw invalidParameter("clusterName is invalid.");
      const existing = this.core.clusters.get(name);
      const cluster =
        existing && existing.status === "ACTIVE"
          ? existing
          : this.core.addCluster(name, {
              tags: readTags(input),
              capacityProviders: stringList(input, "capacityProviders"),
              defaultCapacityProviderStrategy: objectList(input, "defaultCapacityProviderStrategy"),
              settings: objectList(input, "settings"),
            });
      return { cluster: this.#clusterShape(cluster, []) };
    },
    DescribeClusters: (input: Shape) => {
      const refs = stringList(input, "clusters");
      const include = stringList(input, "include");
      const clusters: Shape[] = [];
      const failures: Shape[] = [];
      for (const ref of refs.length > 0 ? refs : ["default"]) {
        const name = ref.startsWith("arn:") ? (ref.split("/").at(-1) ?? ref) : ref;
        const cluster = this.core.clusters.get(name);
        if (cluster) clusters.push(this.#clusterShape(cluster, include));
        else
          failures.push({
            arn: ref.startsWith("arn:") ? ref : this.core.arn(`cluster/${ref}`),
            reason: "MISSING",
          });
      }
      return { clusters, failures };
    },
    ListClusters: (input: Shape) =>
      paginate(
        [...this.core.clusters.values()].filter((c) => c.status === "ACTIVE").map((c) => c.arn),
        input,
        "clusterArns",
      ),
  };

  #taggable(arn: string): { tags: Tag[] } {
    const td = arn.includes(":task-definition/") ? this.taskDefinitions.find(arn) : undefined;
    if (td) return td;
    const service = [...this.core.services.values()].find((s) => s.arn === arn);
    if (service) return service;
    const cluster = [...this.core.clusters.values()].find((c) => c.arn === arn);
    if (cluster) return cluster;
    const task = this.core.tasks.get(arn);
    if (task) return task;
    throw invalidParameter("The specified resource could not be found.");
  }

  // ---- what other services and tests use ------------------------------------------------------------------

  /** Every registration (live and past) in a target group, with its task: ELBv2 and CloudWatch read it. */
  registrationsIn(targetGroupArn: string): { task: TaskRecord; registration: TargetRegistration }[] {
    const out: { task: TaskRecord; registration: TargetRegistration }[] = [];
    for (const task of this.core.tasks.values()) {
      for (const registration of task.targets) {
        if (registration.targetGroupArn === targetGroupArn) out.push({ task, registration });
      }
    }
    return out;
  }

  /** Plugs in (or removes) the task runtime; the previous one is closed. */
  async setTaskRuntime(runtime: TaskRuntime | undefined): Promise<void> {
    const previous = this.core.taskRuntime;
    this.core.taskRuntime = runtime;
    if (previous && previous !== runtime) await previous.close?.();
  }

  /**
   * Tasks of a service that serve traffic now and where (only tasks whose runtime reported an
   * endpoint): behind a load balancer the healthy targets weighted by the listener's forward weights,
   * otherwise every RUNNING task equally.
   */
  servingEndpoints(serviceName: string, clusterName = "default"): ServingEndpoint[] {
    const service = this.findService(serviceName, clusterName);
    const elb = this.core.elb();
    const running = this.core
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
        const share = lb && elb ? (elb.weightsAt(lb, this.core.now())[target.targetGroupArn] ?? 0) / 100 : 1;
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
        endpoint: r.task.endpoint as TaskEndpoint,
        weight: total > 0 ? r.weight / total : 0,
      }));
  }

  findService(serviceName: string, clusterName = "default"): ServiceRecord {
    const service = this.core.findService(this.core.cluster(clusterName), serviceName);
    if (!service)
      throw new SimError("ServiceNotFoundException", `no service ${serviceName} in cluster ${clusterName}`);
    return service;
  }

  /** Sets an image's behaviour; tasks already running it take the new health behaviour and exits. */
  setImageBehaviour(image: string, spec: ImageBehaviourSpec): void {
    this.core.behaviours.set(image, spec);
    this.tasks.applyBehaviours();
  }

  /** Makes the essential container of `count` RUNNING tasks of a service exit (as a crash would). */
  failTasks(
    serviceName: string,
    options: { cluster?: string; count?: number; exitCode?: number; reason?: string } = {},
  ): string[] {
    const service = this.findService(serviceName, options.cluster);
    const running = this.core
      .serviceTasks(service)
      .filter((t) => t.lastStatus === "RUNNING" && t.desiredStatus === "RUNNING")
      .slice(0, options.count ?? 1);
    for (const task of running) {
      const essential = task.containers.find((c) => c.essential);
      if (essential)
        this.tasks.containerExited(task, essential.name, options.exitCode ?? 1, options.reason, []);
    }
    return running.map((t) => t.arn);
  }

  snapshot(): unknown {
    return {
      clusters: [...this.core.clusters.keys()],
      taskDefinitions: [...this.core.taskDefinitions.values()]
        .flat()
        .map((td) => `${td.family}:${td.revision} ${td.status}`),
      services: [...this.core.services.values()].map((s) => ({
        name: s.name,
        cluster: s.cluster.name,
        status: s.status,
        desiredCount: s.desiredCount,
        deployments: s.deployments.map((d) => ({
          id: d.id,
          status: d.status,
          taskDefinition: d.revision.config.taskDefinitionArn,
          rolloutState: d.rolloutState,
          failedTasks: d.failedTasks,
        })),
        serviceDeployments: s.serviceDeployments.map((d) => ({
          arn: d.arn,
          status: d.status,
          lifecycleStage: d.lifecycleStage,
        })),
        events: s.events.slice(0, 10).map((e) => e.message),
      })),
      tasks: [...this.core.tasks.values()]
        .filter((t) => this.tasks.visible(t))
        .map((t) => ({
          id: t.id,
          group: t.group,
          taskDefinition: `${t.taskDefinition.family}:${t.taskDefinition.revision}`,
          lastStatus: t.lastStatus,
          desiredStatus: t.desiredStatus,
          stopCode: t.stopCode,
          stoppedReason: t.stoppedReason,
          targets: t.targets.map((r) => r.state),
        })),
    };
  }

  readonly control = {
    /** {image, behaviour} or {images: {<image>: behaviour}}. */
    images: (body: Shape) => {
      const images = (body.images as Record<string, ImageBehaviourSpec> | undefined) ?? {};
      if (typeof body.image === "string")
        images[body.image] = (body.behaviour as ImageBehaviourSpec | undefined) ?? {};
      for (const [image, spec] of Object.entries(images)) this.setImageBehaviour(image, spec);
      return { images: this.core.behaviours.entries().map(([image]) => image) };
    },
    /** {service, cluster?, count?, exitCode?, reason?}: crash that many running tasks. */
    "fail-tasks": (body: Shape) => ({
      stopped: this.failTasks(requireString(body, "service"), {
        ...(typeof body.cluster === "string" ? { cluster: body.cluster } : {}),
        ...(typeof body.count === "number" ? { count: body.count } : {}),
        ...(typeof body.exitCode === "number" ? { exitCode: body.exitCode } : {}),
        ...(typeof body.reason === "string" ? { reason: body.reason } : {}),
      }),
    }),
    /** {service, cluster?, alarmName}: one of the deployment's alarms goes into ALARM. */
    "trigger-alarm": (body: Shape) => {
      const service = this.findService(requireString(body, "service"), optionalString(body, "cluster"));
      return { triggered: this.rollbacks.triggerAlarm(service, requireString(body, "alarmName")) };
    },
  };
}

export const ecsService = (runtime: SimRuntime): EcsService => new EcsService(runtime);

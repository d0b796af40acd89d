// Amazon ECS (JSON 1.1, AmazonEC2ContainerServiceV20141113): clusters, task definitions, services with
// rolling and blue/green deployments, service deployments and revisions, the circuit breaker, tasks
// with scenario-driven behaviour, and the task runtime plug-in. The other modules of this folder do
// the work; this file wires them and reads the scenario. What tests see of it is in surface.ts.
import { invalidParameter, optionalString, requireString } from "../../framework/errors";
import type { Shape, SimRuntime, SimService } from "../../framework/types";
import type { ImageBehaviourSpec } from "./behaviour";
import { Clusters } from "./clusters";
import { EcsCore } from "./core";
import type { EcsTimings, Tag, TargetRegistration, TaskRecord } from "./model";
import { Rollbacks } from "./rollback";
import { Rollouts } from "./rollout";
import { ServiceDeployments } from "./service-deployments";
import { Services } from "./services";
import { EcsSurface } from "./surface";
import { TaskApi } from "./task-api";
import { TaskDefinitions } from "./task-definitions";
import { Tasks } from "./tasks";
import { TrafficShift } from "./traffic-shift";

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

export class EcsService implements SimService {
  readonly definition = {
    name: "ecs",
    signingName: "ecs",
    iamPrefix: "ecs",
    protocol: "json1.1",
    targetPrefix: "AmazonEC2ContainerServiceV20141113",
  } as const;
  readonly core: EcsCore;
  readonly clusters: Clusters;
  readonly taskDefinitions: TaskDefinitions;
  readonly tasks: Tasks;
  readonly taskApi: TaskApi;
  readonly serviceDeployments: ServiceDeployments;
  readonly rollouts: Rollouts;
  readonly rollbacks: Rollbacks;
  readonly services: Services;
  readonly operations: Record<string, (input: Shape) => unknown>;
  /** The state and controls tests and the demo use (`sim.ecs`). */
  readonly surface: EcsSurface;

  constructor(runtime: SimRuntime) {
    this.core = new EcsCore(runtime);
    this.clusters = new Clusters(this.core);
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
      ...this.clusters.operations,
      ...this.taskDefinitions.operations,
      ...this.taskApi.operations,
      ...this.services.operations,
      ...this.serviceDeployments.operations,
      ListTagsForResource: (input: Shape) => ({
        tags: this.#taggable(requireString(input, "resourceArn")).tags,
      }),
    };
    this.surface = new EcsSurface(this);
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

  /** The service's external controller (CodeDeploy) updating it: UpdateService without the controller check. */
  updateForController(input: Shape): Promise<Shape> {
    return this.services.update(input, true);
  }

  /** The target group a service's first load balancer entry sends production traffic to now. */
  productionTargetGroup(clusterName: string, serviceName: string): string | undefined {
    const service = this.core.findService(this.core.cluster(clusterName), serviceName);
    const first = service?.config.loadBalancers[0]?.targetGroupArn;
    return service?.productionTargetGroups.get(0) ?? (typeof first === "string" ? first : undefined);
  }

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

  /**
   * A CloudWatch alarm went into ALARM: every service whose deployment in flight watches it fails that
   * deployment (and rolls back when its alarms say so). How many did.
   */
  alarmFired(alarmName: string): number {
    let failed = 0;
    for (const service of this.core.services.values()) {
      if (this.rollbacks.triggerAlarm(service, alarmName)) failed++;
    }
    return failed;
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

  /** The control API's handlers (POST /_sim/ecs/<name>), over the same surface tests use. */
  readonly controlRoutes = {
    /** {image, behaviour} or {images: {<image>: behaviour}}. */
    images: (body: Shape) => {
      const images = (body.images as Record<string, ImageBehaviourSpec> | undefined) ?? {};
      if (typeof body.image === "string")
        images[body.image] = (body.behaviour as ImageBehaviourSpec | undefined) ?? {};
      for (const [image, spec] of Object.entries(images)) this.surface.setImageBehaviour(image, spec);
      return { images: this.core.behaviours.entries().map(([image]) => image) };
    },
    /** {service, cluster?, count?, exitCode?, reason?}: crash that many running tasks. */
    "fail-tasks": (body: Shape) => ({
      stopped: this.surface.failTasks(requireString(body, "service"), {
        ...(typeof body.cluster === "string" ? { cluster: body.cluster } : {}),
        ...(typeof body.count === "number" ? { count: body.count } : {}),
        ...(typeof body.exitCode === "number" ? { exitCode: body.exitCode } : {}),
        ...(typeof body.reason === "string" ? { reason: body.reason } : {}),
      }),
    }),
    /** {service, cluster?, alarmName}: one of the deployment's alarms goes into ALARM. */
    "trigger-alarm": (body: Shape) => ({
      triggered: this.surface.triggerAlarm(
        requireString(body, "service"),
        requireString(body, "alarmName"),
        optionalString(body, "cluster"),
      ),
    }),
    /** {<timing>: ms, ...}: timings from now on (e.g. {schedulerDelayMs: 60000}); answers all of them. */
    timings: (body: Shape) => {
      this.surface.setTimings(body as Partial<EcsTimings>);
      return this.surface.timings;
    },
    /** {taskDefinition}: deregistered as another actor would. */
    "deregister-task-definition": (body: Shape) => {
      this.surface.deregisterTaskDefinition(requireString(body, "taskDefinition"));
      return { ok: true };
    },
  };
}

export const ecsService = (runtime: SimRuntime): EcsService => new EcsService(runtime);

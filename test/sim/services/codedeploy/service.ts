// AWS CodeDeploy (JSON 1.1, CodeDeploy_20141006) for Amazon ECS blue/green: applications and
// deployment groups from the scenario, CreateDeployment with an AppSpec, GetDeployment,
// ListDeployments, ListDeploymentTargets / BatchGetDeploymentTargets / GetDeploymentTarget with the
// lifecycle events and task sets, StopDeployment (with or without auto-rollback), GetApplication and
// GetDeploymentGroup. A deployment is carried out by the simulated ECS: the replacement (green) task
// set starts in the group's other target group and production traffic shifts to it as the
// deployment config says, on ECS's native blue/green machinery, so target health and the ALB
// metrics of each target group follow it. Its state is read from ECS's service deployment whenever
// it is asked for, so it moves with the simulated clock.
import { parse as parseYaml } from "yaml";
import { SimError } from "../../framework/errors";
import type { Shape, SimRuntime, SimService } from "../../framework/types";

/** Scenario section `codedeploy`. */
export interface CodeDeployScenario {
  applications?: {
    name: string;
    deploymentGroups?: {
      name: string;
      cluster: string;
      service: string;
      /** The two target groups (names or ARNs) of the blue/green pair. */
      targetGroups: [string, string];
      /** The production listener (or rule) ARNs, shown in loadBalancerInfo. */
      prodListenerArns?: string[];
      deploymentConfigName?: string;
      serviceRoleArn?: string;
      /** Auto-rollback on DEPLOYMENT_FAILURE (default true). */
      autoRollback?: boolean;
      /** Minutes blue keeps running after the shift (BAKE before its termination; default 5). */
      terminationWaitMinutes?: number;
    }[];
  }[];
}

interface GroupRecord {
  id: string;
  application: string;
  name: string;
  cluster: string;
  service: string;
  targetGroupArns: [string, string];
  prodListenerArns: string[];
  deploymentConfigName: string;
  serviceRoleArn: string;
  autoRollback: boolean;
  terminationWaitMinutes: number;
}

interface DeploymentRecord {
  id: string;
  group: GroupRecord;
  configName: string;
  revision: Shape;
  taskDefinitionArn: string;
  createdAt: number;
  creator: "user" | "codeDeployRollback";
  /** The ECS service deployment carrying it out (undefined when it failed before ECS took it). */
  serviceDeploymentArn?: string;
  greenTargetGroup: string;
  blueTargetGroup: string;
  hooks: Record<string, string>;
  stopped?: { at: number; autoRollback: boolean };
  /** The deployment that rolls this one back, or the one this one rolls back. */
  rollbackOf?: string;
  rolledBackBy?: string;
  failure?: { code: string; message: string; at: number };
  completedAt?: number;
  /** When each lifecycle event started and ended, learned as ECS moves. */
  events: Map<string, { start?: number; end?: number }>;
}

/** Traffic shifting of the predefined ECS deployment configs, as ECS strategies. */
const CONFIGS: Record<string, Shape> = {
  "CodeDeployDefault.ECSAllAtOnce": { strategy: "BLUE_GREEN" },
  "CodeDeployDefault.ECSCanary10Percent5Minutes": {
    strategy: "CANARY",
    canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 },
  },
  "CodeDeployDefault.ECSCanary10Percent15Minutes": {
    strategy: "CANARY",
    canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 15 },
  },
  "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": {
    strategy: "LINEAR",
    linearConfiguration: { stepPercent: 10, stepBakeTimeInMinutes: 1 },
  },
  "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": {
    strategy: "LINEAR",
    linearConfiguration: { stepPercent: 10, stepBakeTimeInMinutes: 3 },
  },
};

/** The ECS blue/green lifecycle events, in order, and the ECS stage each one runs in. */
const EVENTS: { name: string; stages: string[] }[] = [
  { name: "BeforeInstall", stages: ["PRE_SCALE_UP"] },
  { name: "Install", stages: ["SCALE_UP"] },
  { name: "AfterInstall", stages: ["POST_SCALE_UP"] },
  { name: "AllowTestTraffic", stages: ["TEST_TRAFFIC_SHIFT"] },
  { name: "AfterAllowTestTraffic", stages: ["POST_TEST_TRAFFIC_SHIFT"] },
  { name: "BeforeAllowTraffic", stages: [] },
  { name: "AllowTraffic", stages: ["PRODUCTION_TRAFFIC_SHIFT"] },
  { name: "AfterAllowTraffic", stages: ["POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"] },
];
const HOOKS = new Set([
  "BeforeInstall",
  "AfterInstall",
  "AfterAllowTestTraffic",
  "BeforeAllowTraffic",
  "AfterAllowTraffic",
]);
const ACTIVE = new Set(["Created", "Queued", "InProgress", "Baking", "Ready"]);

/** What CodeDeploy needs of the simulated ECS and ELBv2. */
interface EcsForCodeDeploy {
  updateForController(input: Shape): Promise<Shape>;
  productionTargetGroup(cluster: string, service: string): string | undefined;
  readonly operations: Record<string, (input: Shape) => unknown>;
}
interface Elbv2ForCodeDeploy {
  targetGroup(arn: string): { arn: string; name: string } | undefined;
  surface: { targetGroups(): readonly { TargetGroupArn?: string; TargetGroupName?: string }[] };
}

function required(input: Shape, key: string, code: string, message: string): string {
  const value = input[key];
  if (typeof value !== "string" || value === "") throw new SimError(code, message);
  return value;
}

export class CodeDeployService implements SimService {
  readonly definition = {
    name: "codedeploy",
    signingName: "codedeploy",
    iamPrefix: "codedeploy",
    protocol: "json1.1",
    targetPrefix: "CodeDeploy_20141006",
  } as const;
  readonly #applications = new Map<string, { id: string; createdAt: number }>();
  readonly #groups = new Map<string, GroupRecord>();
  readonly #deployments = new Map<string, DeploymentRecord>();

  constructor(private readonly runtime: SimRuntime) {}

  reset(): void {
    this.#applications.clear();
    this.#groups.clear();
    this.#deployments.clear();
  }

  #ecs(): EcsForCodeDeploy {
    return this.runtime.service<SimService>("ecs") as unknown as EcsForCodeDeploy;
  }

  #elb(): Elbv2ForCodeDeploy {
    return this.runtime.service<SimService>("elbv2") as unknown as Elbv2ForCodeDeploy;
  }

  #groupArn(ref: string): string {
    const groups = this.#elb().surface.targetGroups();
    const found = groups.find((g) => g.TargetGroupArn === ref || g.TargetGroupName === ref);
    if (!found?.TargetGroupArn)
      throw new SimError("InvalidScenario", `codedeploy: unknown target group ${ref}`);
    return found.TargetGroupArn;
  }

  load(section: unknown): void {
    const scenario = section as CodeDeployScenario;
    for (const app of scenario.applications ?? []) {
      this.#applications.set(app.name, { id: this.runtime.hexId(8), createdAt: this.runtime.now() });
      for (const group of app.deploymentGroups ?? []) {
        this.#groups.set(`${app.name}/${group.name}`, {
          id: `${this.runtime.hexId(8)}-${this.runtime.hexId(4)}-${this.runtime.hexId(4)}`,
          application: app.name,
          name: group.name,
          cluster: group.cluster,
          service: group.service,
          targetGroupArns: [this.#groupArn(group.targetGroups[0]), this.#groupArn(group.targetGroups[1])],
          prodListenerArns: group.prodListenerArns ?? [],
          deploymentConfigName: group.deploymentConfigName ?? "CodeDeployDefault.ECSAllAtOnce",
          serviceRoleArn:
            group.serviceRoleArn ?? `arn:aws:iam::${this.runtime.accountId}:role/ecsCodeDeployRole`,
          autoRollback: group.autoRollback ?? true,
          terminationWaitMinutes: group.terminationWaitMinutes ?? 5,
        });
      }
    }
  }

  #application(input: Shape): string {
    const name = required(
      input,
      "applicationName",
      "ApplicationNameRequiredException",
      "The application name must be specified.",
    );
    if (!this.#applications.has(name))
      throw new SimError("ApplicationDoesNotExistException", `No application found for name: ${name}`);
    return name;
  }

  #group(input: Shape): GroupRecord {
    const app = this.#application(input);
    const name = required(
      input,
      "deploymentGroupName",
      "DeploymentGroupNameRequiredException",
      "The deployment group name must be specified.",
    );
    const group = this.#groups.get(`${app}/${name}`);
    if (!group)
      throw new SimError(
        "DeploymentGroupDoesNotExistException",
        `No Deployment Group found for name: ${name}`,
      );
    return group;
  }

  #deployment(input: Shape): DeploymentRecord {
    const id = required(
      input,
      "deploymentId",
      "DeploymentIdRequiredException",
      "The deployment ID must be specified.",
    );
    if (!/^d-[A-Z0-9]{9}$/.test(id))
      throw new SimError("InvalidDeploymentIdException", `Invalid deployment id: ${id}`);
    const record = this.#deployments.get(id);
    if (!record) throw new SimError("DeploymentDoesNotExistException", `Deployment ${id} does not exist`);
    return record;
  }

  #newId(): string {
    return `d-${this.runtime.hexId(9).toUpperCase()}`;
  }

  /** The AppSpec's ECS service resource: task definition, container and port, hooks. */
  #readAppSpec(revision: Shape): {
    taskDefinitionArn: string;
    containerName: string;
    containerPort: number;
    hooks: Record<string, string>;
  } {
    if (revision.revisionType !== "AppSpecContent")
      throw new SimError("InvalidRevisionException", "ECS deployments take an AppSpecContent revision.");
    const content = (revision.appSpecContent as Shape | undefined)?.content;
    if (typeof content !== "string" || content.trim() === "")
      throw new SimError("InvalidRevisionException", "The AppSpec content is empty.");
    let spec: Shape;
    try {
      spec = parseYaml(content) as Shape;
    } catch {
      throw new SimError("InvalidRevisionException", "The AppSpec content is neither valid YAML nor JSON.");
    }
    const resources = Array.isArray(spec?.Resources) ? (spec.Resources as Shape[]) : [];
    const target = resources
      .map((r) => Object.values(r)[0] as Shape | undefined)
      .find((r) => r?.Type === "AWS::ECS::Service");
    const props = (target?.Properties as Shape | undefined) ?? {};
    const lb = (props.LoadBalancerInfo as Shape | undefined) ?? {};
    if (
      typeof props.TaskDefinition !== "string" ||
      typeof lb.ContainerName !== "string" ||
      lb.ContainerPort === undefined
    )
      throw new SimError(
        "InvalidRevisionException",
        "The AppSpec needs one AWS::ECS::Service resource with TaskDefinition and LoadBalancerInfo (ContainerName, ContainerPort).",
      );
    const hooks: Record<string, string> = {};
    for (const entry of Array.isArray(spec.Hooks) ? (spec.Hooks as Shape[]) : []) {
      for (const [event, fn] of Object.entries(entry)) {
        if (!HOOKS.has(event))
          throw new SimError(
            "InvalidRevisionException",
            `${event} is not a lifecycle hook of an ECS deployment.`,
          );
        hooks[event] = String(fn);
      }
    }
    return {
      taskDefinitionArn: props.TaskDefinition,
      containerName: lb.ContainerName,
      containerPort: Number(lb.ContainerPort),
      hooks,
    };
  }

  async #start(record: DeploymentRecord, containerName: string, containerPort: number): Promise<void> {
    const group = record.group;
    const config = CONFIGS[record.configName] ?? { strategy: "BLUE_GREEN" };
    try {
      const answer = await this.#ecs().updateForController({
        cluster: group.cluster,
        service: group.service,
        taskDefinition: record.taskDefinitionArn,
        loadBalancers: [
          {
            targetGroupArn: record.blueTargetGroup,
            containerName,
            containerPort,
            advancedConfiguration: {
              alternateTargetGroupArn: record.greenTargetGroup,
              productionListenerRule: group.prodListenerArns[0] ?? "",
              roleArn: group.serviceRoleArn,
            },
          },
        ],
        deploymentConfiguration: { ...config, bakeTimeInMinutes: group.terminationWaitMinutes },
      });
      const service = answer.service as Shape | undefined;
      const arn = service?.currentServiceDeployment;
      if (typeof arn === "string") record.serviceDeploymentArn = arn;
    } catch (error) {
      // ECS refusing the update fails the deployment, as CodeDeploy reports it.
      record.failure = {
        code: "ECS_UPDATE_ERROR",
        message: error instanceof Error ? error.message : String(error),
        at: this.runtime.now(),
      };
      record.completedAt = this.runtime.now();
    }
  }

  /** The ECS service deployment's status and stage now. */
  #ecsState(record: DeploymentRecord): { status?: string; stage?: string; finishedAt?: number } {
    if (!record.serviceDeploymentArn) return {};
    const out = this.#ecs().operations.DescribeServiceDeployments?.({
      serviceDeploymentArns: [record.serviceDeploymentArn],
    }) as { serviceDeployments?: Shape[] } | undefined;
    const found = out?.serviceDeployments?.[0];
    const finished = found?.finishedAt instanceof Date ? found.finishedAt.getTime() : undefined;
    return {
      ...(typeof found?.status === "string" ? { status: found.status } : {}),
      ...(typeof found?.lifecycleStage === "string" ? { stage: found.lifecycleStage } : {}),
      ...(finished !== undefined ? { finishedAt: finished } : {}),
    };
  }

  /** The deployment's status, learned from ECS (and the lifecycle events' times with it). */
  #status(record: DeploymentRecord): string {
    if (record.stopped) return "Stopped";
    if (record.failure) return "Failed";
    if (record.creator === "codeDeployRollback") {
      const original = record.rollbackOf ? this.#deployments.get(record.rollbackOf) : undefined;
      const state = original ? this.#ecsState(original) : {};
      if (state.status === "ROLLBACK_SUCCESSFUL") {
        record.completedAt ??= state.finishedAt ?? this.runtime.now();
        return "Succeeded";
      }
      return state.status === "ROLLBACK_FAILED" ? "Failed" : "InProgress";
    }
    const state = this.#ecsState(record);
    this.#learnEvents(record, state);
    switch (state.status) {
      case "SUCCESSFUL":
        record.completedAt ??= state.finishedAt ?? this.runtime.now();
        return "Succeeded";
      case "STOPPED":
      case "ROLLBACK_REQUESTED":
      case "ROLLBACK_IN_PROGRESS":
      case "ROLLBACK_SUCCESSFUL":
      case "ROLLBACK_FAILED":
        record.failure = {
          code: "HEALTH_CONSTRAINTS",
          message:
            "The replacement task set failed to become healthy (ECS stopped or rolled back the deployment).",
          at: this.runtime.now(),
        };
        record.completedAt = this.runtime.now();
        return "Failed";
      default:
        return "InProgress";
    }
  }

  #learnEvents(record: DeploymentRecord, state: { status?: string; stage?: string }): void {
    const now = this.runtime.now();
    const done = state.status === "SUCCESSFUL";
    const index = done
      ? EVENTS.length
      : EVENTS.findIndex((e) => state.stage !== undefined && e.stages.includes(state.stage));
    if (index < 0) return;
    EVENTS.forEach((event, i) => {
      const times = record.events.get(event.name) ?? {};
      if (i <= index) times.start ??= now;
      if (i < index || (done && i === index - 1)) times.end ??= now;
      record.events.set(event.name, times);
    });
  }

  #lifecycleEvents(record: DeploymentRecord, status: string): Shape[] {
    return EVENTS.map((event) => {
      const times = record.events.get(event.name) ?? {};
      const skipped = HOOKS.has(event.name) && !record.hooks[event.name] && times.start !== undefined;
      const eventStatus =
        times.end !== undefined || (status === "Succeeded" && times.start !== undefined)
          ? skipped
            ? "Skipped"
            : "Succeeded"
          : times.start !== undefined
            ? status === "Stopped" || status === "Failed"
              ? status === "Stopped"
                ? "Skipped"
                : "Failed"
              : "InProgress"
            : status === "InProgress"
              ? "Pending"
              : "Skipped";
      return {
        lifecycleEventName: event.name,
        ...(times.start !== undefined ? { startTime: new Date(times.start) } : {}),
        ...(times.end !== undefined ? { endTime: new Date(times.end) } : {}),
        status: eventStatus,
      };
    });
  }

  #deploymentInfo(record: DeploymentRecord): Shape {
    const status = this.#status(record);
    const group = record.group;
    return {
      applicationName: group.application,
      deploymentGroupName: group.name,
      deploymentConfigName: record.configName,
      deploymentId: record.id,
      revision: record.revision,
      status,
      ...(record.failure
        ? { errorInformation: { code: record.failure.code, message: record.failure.message } }
        : {}),
      createTime: new Date(record.createdAt),
      startTime: new Date(record.createdAt),
      ...(record.completedAt !== undefined && status !== "InProgress"
        ? { completeTime: new Date(record.completedAt) }
        : {}),
      creator: record.creator,
      ...(record.rolledBackBy || record.rollbackOf
        ? {
            rollbackInfo: record.rolledBackBy
              ? {
                  rollbackDeploymentId: record.rolledBackBy,
                  rollbackMessage: `Deployment ${record.id} was stopped; ${record.rolledBackBy} rolls back to the original task set.`,
                }
              : { rollbackTriggeringDeploymentId: record.rollbackOf },
          }
        : {}),
      deploymentStyle: { deploymentType: "BLUE_GREEN", deploymentOption: "WITH_TRAFFIC_CONTROL" },
      autoRollbackConfiguration: {
        enabled: group.autoRollback,
        events: group.autoRollback ? ["DEPLOYMENT_FAILURE"] : [],
      },
      blueGreenDeploymentConfiguration: {
        terminateBlueInstancesOnDeploymentSuccess: {
          action: "TERMINATE",
          terminationWaitTimeInMinutes: group.terminationWaitMinutes,
        },
        deploymentReadyOption: { actionOnTimeout: "CONTINUE_DEPLOYMENT", waitTimeInMinutes: 0 },
      },
      loadBalancerInfo: this.#loadBalancerInfo(group),
      computePlatform: "ECS",
      deploymentStatusMessages: [],
    };
  }

  #loadBalancerInfo(group: GroupRecord): Shape {
    return {
      targetGroupPairInfoList: [
        {
          targetGroups: group.targetGroupArns.map((arn) => ({
            name: this.#elb().targetGroup(arn)?.name ?? arn,
          })),
          prodTrafficRoute: { listenerArns: group.prodListenerArns },
        },
      ],
    };
  }

  #target(record: DeploymentRecord): Shape {
    const status = this.#status(record);
    const group = record.group;
    const targetId = `${group.cluster}:${group.service}`;
    const weights = this.#weights(record);
    const taskSet = (label: "Blue" | "Green", arn: string) => ({
      identifer: `ecs-svc/${record.id}-${label.toLowerCase()}`,
      status: label === "Green" ? "PRIMARY" : "ACTIVE",
      trafficWeight: weights[arn] ?? 0,
      targetGroup: { name: this.#elb().targetGroup(arn)?.name ?? arn },
      taskSetLabel: label,
    });
    return {
      deploymentTargetType: "ECSTarget",
      ecsTarget: {
        deploymentId: record.id,
        targetId,
        targetArn: `arn:aws:ecs:${this.runtime.region}:${this.runtime.accountId}:service/${group.cluster}/${group.service}`,
        lastUpdatedAt: new Date(this.runtime.now()),
        lifecycleEvents: this.#lifecycleEvents(record, status),
        status: status === "Stopped" ? "Failed" : status === "Created" ? "Pending" : status,
        taskSetsInfo: [taskSet("Blue", record.blueTargetGroup), taskSet("Green", record.greenTargetGroup)],
      },
    };
  }

  #weights(record: DeploymentRecord): Record<string, number> {
    const elb = this.runtime.service<SimService>("elbv2") as unknown as {
      loadBalancers(): { targetGroupArns: string[] }[];
      weightsAt(lb: unknown, at: number): Record<string, number>;
    };
    const lb = elb.loadBalancers().find((l) => l.targetGroupArns.includes(record.greenTargetGroup));
    return lb ? elb.weightsAt(lb, this.runtime.now()) : {};
  }

  readonly operations = {
    GetApplication: (input: Shape) => {
      const name = this.#application(input);
      const app = this.#applications.get(name) as { id: string; createdAt: number };
      return {
        application: {
          applicationId: app.id,
          applicationName: name,
          createTime: new Date(app.createdAt),
          linkedToGitHub: false,
          computePlatform: "ECS",
        },
      };
    },

    GetDeploymentGroup: (input: Shape) => {
      const group = this.#group(input);
      const last = [...this.#deployments.values()].filter((d) => d.group === group).at(-1);
      return {
        deploymentGroupInfo: {
          applicationName: group.application,
          deploymentGroupId: group.id,
          deploymentGroupName: group.name,
          deploymentConfigName: group.deploymentConfigName,
          serviceRoleArn: group.serviceRoleArn,
          autoRollbackConfiguration: {
            enabled: group.autoRollback,
            events: group.autoRollback ? ["DEPLOYMENT_FAILURE"] : [],
          },
          deploymentStyle: { deploymentType: "BLUE_GREEN", deploymentOption: "WITH_TRAFFIC_CONTROL" },
          blueGreenDeploymentConfiguration: {
            terminateBlueInstancesOnDeploymentSuccess: {
              action: "TERMINATE",
              terminationWaitTimeInMinutes: group.terminationWaitMinutes,
            },
            deploymentReadyOption: { actionOnTimeout: "CONTINUE_DEPLOYMENT", waitTimeInMinutes: 0 },
          },
          loadBalancerInfo: this.#loadBalancerInfo(group),
          computePlatform: "ECS",
          ecsServices: [{ serviceName: group.service, clusterName: group.cluster }],
          ...(last
            ? {
                lastAttemptedDeployment: {
                  deploymentId: last.id,
                  status: this.#status(last),
                  createTime: new Date(last.createdAt),
                },
              }
            : {}),
        },
      };
    },

    CreateDeployment: async (input: Shape) => {
      const group = this.#group(input);
      const revision = input.revision as Shape | undefined;
      if (!revision) throw new SimError("RevisionRequiredException", "The revision must be specified.");
      const configName =
        typeof input.deploymentConfigName === "string"
          ? input.deploymentConfigName
          : group.deploymentConfigName;
      if (!CONFIGS[configName])
        throw new SimError(
          "DeploymentConfigDoesNotExistException",
          `No deployment configuration found for name: ${configName}`,
        );
      const spec = this.#readAppSpec(revision);
      const active = [...this.#deployments.values()].find(
        (d) => d.group === group && ACTIVE.has(this.#status(d)),
      );
      if (active)
        throw new SimError(
          "DeploymentLimitExceededException",
          `The Deployment Group '${group.name}' already has an active Deployment '${active.id}'`,
        );
      const blue =
        this.#ecs().productionTargetGroup(group.cluster, group.service) ?? group.targetGroupArns[0];
      const record: DeploymentRecord = {
        id: this.#newId(),
        group,
        configName,
        revision,
        taskDefinitionArn: spec.taskDefinitionArn,
        createdAt: this.runtime.now(),
        creator: "user",
        blueTargetGroup: blue,
        greenTargetGroup: group.targetGroupArns.find((arn) => arn !== blue) ?? group.targetGroupArns[1],
        hooks: spec.hooks,
        events: new Map(),
      };
      this.#deployments.set(record.id, record);
      await this.#start(record, spec.containerName, spec.containerPort);
      return { deploymentId: record.id };
    },

    GetDeployment: (input: Shape) => ({ deploymentInfo: this.#deploymentInfo(this.#deployment(input)) }),

    ListDeployments: (input: Shape) => {
      const group = this.#group(input);
      const statuses = Array.isArray(input.includeOnlyStatuses)
        ? (input.includeOnlyStatuses as string[])
        : [];
      const ids = [...this.#deployments.values()]
        .filter((d) => d.group === group && (statuses.length === 0 || statuses.includes(this.#status(d))))
        .reverse()
        .map((d) => d.id);
      return { deployments: ids };
    },

    ListDeploymentTargets: (input: Shape) => {
      const record = this.#deployment(input);
      return { targetIds: [`${record.group.cluster}:${record.group.service}`] };
    },

    BatchGetDeploymentTargets: (input: Shape) => {
      const record = this.#deployment(input);
      const ids = Array.isArray(input.targetIds) ? (input.targetIds as string[]) : [];
      if (ids.length === 0)
        throw new SimError(
          "DeploymentTargetIdRequiredException",
          "A deployment target ID must be specified.",
        );
      if (ids.length > 25)
        throw new SimError(
          "DeploymentTargetListSizeExceededException",
          "The maximum number of targets that can be requested is 25.",
        );
      const own = `${record.group.cluster}:${record.group.service}`;
      const unknown = ids.find((id) => id !== own);
      if (unknown)
        throw new SimError(
          "DeploymentTargetDoesNotExistException",
          `Deployment target ${unknown} does not exist`,
        );
      return { deploymentTargets: ids.map(() => this.#target(record)) };
    },

    GetDeploymentTarget: (input: Shape) => {
      const record = this.#deployment(input);
      const id = required(
        input,
        "targetId",
        "DeploymentTargetIdRequiredException",
        "A deployment target ID must be specified.",
      );
      if (id !== `${record.group.cluster}:${record.group.service}`)
        throw new SimError("DeploymentTargetDoesNotExistException", `Deployment target ${id} does not exist`);
      return { deploymentTarget: this.#target(record) };
    },

    StopDeployment: (input: Shape) => {
      const record = this.#deployment(input);
      const status = this.#status(record);
      if (!ACTIVE.has(status))
        throw new SimError(
          "DeploymentAlreadyCompletedException",
          `Deployment ${record.id} has already completed.`,
        );
      const autoRollback = input.autoRollbackEnabled === true;
      if (record.serviceDeploymentArn) {
        this.#ecs().operations.StopServiceDeployment?.({
          serviceDeploymentArn: record.serviceDeploymentArn,
          stopType: autoRollback ? "ROLLBACK" : "ABORT",
        });
      }
      record.stopped = { at: this.runtime.now(), autoRollback };
      record.failure = {
        code: "MANUAL_STOP",
        message: "The deployment was stopped by a user request.",
        at: this.runtime.now(),
      };
      record.completedAt = this.runtime.now();
      if (autoRollback) {
        const rollback: DeploymentRecord = {
          ...record,
          id: this.#newId(),
          creator: "codeDeployRollback",
          createdAt: this.runtime.now(),
          rollbackOf: record.id,
          events: new Map(),
        };
        delete rollback.stopped;
        delete rollback.failure;
        delete rollback.completedAt;
        delete rollback.rolledBackBy;
        this.#deployments.set(rollback.id, rollback);
        record.rolledBackBy = rollback.id;
      }
      return {
        status: "Pending",
        statusMessage: autoRollback
          ? `Stopping deployment ${record.id}; ${record.rolledBackBy} rolls it back.`
          : `Stopping deployment ${record.id}.`,
      };
    },
  };

  snapshot(): unknown {
    return {
      deployments: [...this.#deployments.values()].map((d) => ({
        id: d.id,
        status: this.#status(d),
        taskDefinitionArn: d.taskDefinitionArn,
        serviceDeploymentArn: d.serviceDeploymentArn,
      })),
    };
  }

  /** What tests read (`sim.codedeploy`). */
  readonly surface = {
    deployments: () =>
      [...this.#deployments.values()].map((d) => Object.freeze({ ...(this.#deploymentInfo(d) as Shape) })),
  };
}

export const codedeployService = (runtime: SimRuntime): CodeDeployService => new CodeDeployService(runtime);

// The task API of ECS: RunTask (with clientToken idempotency), DescribeTasks, ListTasks, StopTask, and
// the Task shape AWS returns. The life of the tasks is in ecs-tasks.ts.
import { createHash } from "node:crypto";
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
import { type ClusterRecord, nameFromArn, type Shape, type TaskRecord } from "./model";
import { placement, resolvePlatformVersion, validateNetwork } from "./placement";
import { containerDefinitions, paginate, readTags, type TaskDefinitions } from "./task-definitions";
import type { Tasks } from "./tasks";

/** How long ECS remembers a RunTask client token. */
const TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

/** JSON with object keys sorted, so two equal requests compare equal whatever order they were sent in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Shape)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** What makes two RunTask requests the same: everything but the token, names resolved to ARNs. */
function requestFingerprint(
  input: Shape,
  clusterArn: string,
  taskDefinitionArn: string,
  count: number,
): string {
  const {
    clientToken: _token,
    cluster: _cluster,
    taskDefinition: _definition,
    count: _count,
    ...rest
  } = input;
  return canonical({ ...rest, clusterArn, taskDefinitionArn, count });
}

export class TaskApi {
  /**
   * RunTask tokens, by cluster and token (a token is scoped to its cluster), with the request's
   * fingerprint, the tasks it started and when: ECS forgets a token after 24 hours.
   */
  readonly #tokens = new Map<string, { fingerprint: string; taskArns: string[]; at: number }>();

  constructor(
    private readonly core: EcsCore,
    private readonly taskDefinitions: TaskDefinitions,
    private readonly tasks: Tasks,
  ) {}

  reset(): void {
    this.#tokens.clear();
  }

  shape(task: TaskRecord, includeTags: boolean): Shape {
    const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
    const attachmentId = createHash("sha1").update(task.eniId).digest("hex").slice(0, 32);
    const attachmentStatus =
      task.lastStatus === "STOPPED"
        ? "DELETED"
        : task.lastStatus === "PROVISIONING"
          ? "PRECREATED"
          : "ATTACHED";
    const definition = task.taskDefinition.body;
    return {
      attachments: task.networkConfiguration
        ? [
            {
              id: attachmentId,
              type: "ElasticNetworkInterface",
              status: attachmentStatus,
              details: [
                ...(task.subnetId ? [{ name: "subnetId", value: task.subnetId }] : []),
                { name: "networkInterfaceId", value: task.eniId },
                { name: "macAddress", value: "0a:1b:2c:3d:4e:5f" },
                {
                  name: "privateDnsName",
                  value: `ip-${task.privateIp.replace(/\./g, "-")}.${this.core.runtime.region}.compute.internal`,
                },
                { name: "privateIPv4Address", value: task.privateIp },
              ],
            },
          ]
        : [],
      attributes: [{ name: "ecs.cpu-architecture", value: "x86_64" }],
      availabilityZone: task.availabilityZone,
      ...(task.capacityProviderName ? { capacityProviderName: task.capacityProviderName } : {}),
      clusterArn: task.cluster.arn,
      connectivity: task.connectivityAt !== undefined ? "CONNECTED" : undefined,
      connectivityAt: date(task.connectivityAt),
      containers: task.containers.map((c) => ({
        containerArn: c.containerArn,
        taskArn: task.arn,
        name: c.name,
        image: c.image,
        imageDigest: c.imageDigest,
        runtimeId: task.startedAt !== undefined ? c.runtimeId : undefined,
        lastStatus: c.lastStatus,
        exitCode: c.exitCode,
        reason: c.reason,
        networkInterfaces: task.networkConfiguration
          ? [{ attachmentId, privateIpv4Address: task.privateIp }]
          : [],
        healthStatus: c.healthStatus ?? "UNKNOWN",
        cpu: c.cpu !== undefined ? String(c.cpu) : "0",
        ...(c.memory !== undefined ? { memory: String(c.memory) } : {}),
      })),
      // A task-level override replaces the definition's size for this task only.
      cpu: (task.overrides.cpu as string | undefined) ?? definition.cpu,
      createdAt: date(task.createdAt),
      desiredStatus: task.desiredStatus,
      enableExecuteCommand: task.enableExecuteCommand,
      executionStoppedAt: date(task.executionStoppedAt),
      group: task.group,
      healthStatus: task.healthStatus,
      lastStatus: task.lastStatus,
      launchType: task.launchType,
      memory: (task.overrides.memory as string | undefined) ?? definition.memory,
      overrides: { containerOverrides: [], inferenceAcceleratorOverrides: [], ...task.overrides },
      platformVersion: task.platformVersion,
      platformFamily: task.launchType === "FARGATE" || task.capacityProviderName ? "Linux" : undefined,
      pullStartedAt: date(task.pullStartedAt),
      pullStoppedAt: date(task.pullStoppedAt),
      startedAt: date(task.startedAt),
      startedBy: task.startedBy,
      stopCode: task.stopCode,
      stoppedAt: date(task.stoppedAt),
      stoppedReason: task.stoppedReason,
      stoppingAt: date(task.stoppingAt),
      ...(includeTags ? { tags: task.tags } : {}),
      taskArn: task.arn,
      taskDefinitionArn: task.taskDefinition.arn,
      version: task.version,
      ephemeralStorage: { sizeInGiB: 20 },
      fargateEphemeralStorage: { sizeInGiB: 20 },
    };
  }

  find(cluster: ClusterRecord, ref: string): TaskRecord | undefined {
    const id = nameFromArn(ref);
    const task = this.core.tasks.get(
      ref.startsWith("arn:") ? ref : this.core.arn(`task/${cluster.name}/${id}`),
    );
    return task && task.cluster === cluster && this.tasks.visible(task) ? task : undefined;
  }

  readonly operations = {
    RunTask: async (input: Shape) => {
      const core = this.core;
      const cluster = core.cluster(optionalString(input, "cluster"));
      const taskDefinition = this.taskDefinitions.findDeployable(requireString(input, "taskDefinition"));
      const count = optionalNumber(input, "count") ?? 1;
      if (!Number.isInteger(count) || count < 1 || count > 10)
        throw invalidParameter("count must be between 1 and 10.");
      const startedBy = optionalString(input, "startedBy");
      if (startedBy && startedBy.length > 36)
        throw invalidParameter("startedBy must be at most 36 characters.");
      if (startedBy && !/^[A-Za-z0-9_/-]+$/.test(startedBy))
        throw invalidParameter("startedBy may hold only letters, numbers, hyphens, slashes and underscores.");
      const clientToken = optionalString(input, "clientToken");
      if (clientToken && clientToken.length > 64)
        throw invalidParameter("clientToken must be at most 64 characters.");
      const overrides = optionalObject(input, "overrides") ?? {};
      const names = new Set(containerDefinitions(taskDefinition).map((c) => c.name));
      for (const override of objectList(overrides, "containerOverrides")) {
        if (!names.has(override.name)) {
          throw invalidParameter(
            `Override for container named ${String(override.name)} is not a container in the TaskDefinition.`,
          );
        }
        for (const size of ["cpu", "memory", "memoryReservation"]) {
          const value = override[size];
          if (value !== undefined && (!Number.isInteger(value) || (value as number) < 0)) {
            throw invalidParameter(`Container override ${size} must be a non-negative integer.`);
          }
        }
      }
      const networkConfiguration = optionalObject(input, "networkConfiguration");
      validateNetwork(taskDefinition, networkConfiguration);

      // ECS compares every parameter of the request: the same token with any other value is a conflict.
      const fingerprint = requestFingerprint(input, cluster.arn, taskDefinition.arn, count);
      if (clientToken) {
        const key = `${cluster.arn} ${clientToken}`;
        const previous = this.#tokens.get(key);
        if (previous && core.now() - previous.at >= TOKEN_TTL_MS) this.#tokens.delete(key);
        else if (previous) {
          if (previous.fingerprint !== fingerprint) {
            throw new SimError(
              "ConflictException",
              "The specified client token has already been used with different parameters.",
              400,
              { resourceIds: previous.taskArns },
            );
          }
          const tasks = previous.taskArns.map((arn) => core.tasks.get(arn)).filter((t) => t !== undefined);
          return { tasks: tasks.map((t) => this.shape(t, false)), failures: [] };
        }
      }

      const place = placement(
        cluster,
        taskDefinition,
        optionalString(input, "launchType"),
        objectList(input, "capacityProviderStrategy"),
      );
      if (place.failure) return { tasks: [], failures: [{ arn: cluster.arn, reason: place.failure }] };
      const digests = new Map<string, string>();
      for (const definition of containerDefinitions(taskDefinition)) {
        digests.set(definition.name as string, await core.resolveDigest(definition.image as string));
      }
      const platformVersion = optionalString(input, "platformVersion");
      const fargate = place.launchType === "FARGATE" || place.capacityProviderName?.startsWith("FARGATE");
      const tasks: TaskRecord[] = [];
      for (let i = 0; i < count; i++) {
        tasks.push(
          this.tasks.launch({
            cluster,
            taskDefinition,
            group: optionalString(input, "group") ?? `family:${taskDefinition.family}`,
            ...(startedBy ? { startedBy } : {}),
            ...(place.launchType ? { launchType: place.launchType } : {}),
            ...(place.capacityProviderName ? { capacityProviderName: place.capacityProviderName } : {}),
            ...(fargate ? { platformVersion: resolvePlatformVersion(platformVersion) } : {}),
            ...(networkConfiguration ? { networkConfiguration } : {}),
            overrides,
            tags: readTags(input),
            targets: [],
            digests,
            ...(clientToken ? { clientToken } : {}),
            enableExecuteCommand: optionalBoolean(input, "enableExecuteCommand") ?? false,
          }),
        );
      }
      if (clientToken) {
        this.#tokens.set(`${cluster.arn} ${clientToken}`, {
          at: core.now(),
          fingerprint,
          taskArns: tasks.map((t) => t.arn),
        });
      }
      return { tasks: tasks.map((t) => this.shape(t, false)), failures: [] };
    },

    DescribeTasks: (input: Shape) => {
      const cluster = this.core.cluster(optionalString(input, "cluster"));
      const refs = stringList(input, "tasks");
      if (refs.length === 0) throw invalidParameter("Tasks cannot be empty.");
      if (refs.length > 100) throw invalidParameter("Tasks must contain at most 100 elements.");
      const includeTags = stringList(input, "include").includes("TAGS");
      const tasks: Shape[] = [];
      const failures: Shape[] = [];
      for (const ref of refs) {
        const task = this.find(cluster, ref);
        if (task) tasks.push(this.shape(task, includeTags));
        else {
          failures.push({
            arn: ref.startsWith("arn:") ? ref : this.core.arn(`task/${cluster.name}/${ref}`),
            reason: "MISSING",
          });
        }
      }
      return { tasks, failures };
    },

    ListTasks: (input: Shape) => {
      const cluster = this.core.cluster(optionalString(input, "cluster"));
      const serviceName = optionalString(input, "serviceName");
      if (serviceName && !this.core.findService(cluster, serviceName)) {
        throw new SimError("ServiceNotFoundException", "Service not found.");
      }
      const family = optionalString(input, "family");
      const startedBy = optionalString(input, "startedBy");
      const desiredStatus = optionalString(input, "desiredStatus") ?? "RUNNING";
      const launchType = optionalString(input, "launchType");
      const arns = [...this.core.tasks.values()]
        .filter((t) => t.cluster === cluster && this.tasks.visible(t))
        .filter((t) => !serviceName || t.group === `service:${nameFromArn(serviceName)}`)
        .filter((t) => !family || t.taskDefinition.family === family)
        .filter((t) => !startedBy || t.startedBy === startedBy)
        .filter((t) => !launchType || t.launchType === launchType)
        // PENDING as a desired status lists nothing: the simulator never holds tasks back.
        .filter((t) => t.desiredStatus === desiredStatus)
        .map((t) => t.arn);
      return paginate(arns, input, "taskArns");
    },

    StopTask: (input: Shape) => {
      const cluster = this.core.cluster(optionalString(input, "cluster"));
      const task = this.find(cluster, requireString(input, "task"));
      if (!task) throw invalidParameter("The referenced task was not found.");
      const reason = optionalString(input, "reason");
      if (reason && reason.length > 255) throw invalidParameter("reason must be at most 255 characters.");
      this.tasks.stop(task, "UserInitiated", reason ?? "Task stopped by user");
      return { task: this.shape(task, false) };
    },
  };
}

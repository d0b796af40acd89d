// The task runtime plug-in: lets a test or the demo run something real for each simulated task (for
// example one local process of a web service per RUNNING task, behind a loopback port that plays the
// load balancer). The simulation never waits for it: simulated time moves on while the runtime
// starts, and what it reports back (an endpoint, an exit, a health verdict) applies when it arrives.
import type { TaskRecord } from "./model";

export interface TaskRuntimeContainer {
  name: string;
  image: string;
  imageDigest?: string;
  essential: boolean;
  /** The command after overrides (undefined: the image's default). */
  command?: string[];
  /** The environment as the agent sets it: the environment files' variables, then the definition's, then overrides. */
  environment: Record<string, string>;
  /** The task definition's secrets, by variable name: where the value comes from (valueFrom). */
  secrets: Record<string, string>;
  /** The secrets' values by variable name, as read with the execution role at task start. */
  secretValues: Record<string, string>;
  portMappings: { containerPort: number; protocol: string }[];
}

/** What the runtime learns about a task that is starting. */
export interface TaskRuntimeTask {
  taskArn: string;
  taskId: string;
  clusterArn: string;
  group: string;
  startedBy?: string;
  serviceName?: string;
  /** The deployment (ecs-svc/...) that started a service task. */
  deploymentId?: string;
  taskDefinitionArn: string;
  family: string;
  revision: number;
  privateIp: string;
  containers: TaskRuntimeContainer[];
}

/** Where a task serves requests (a loopback port when the runtime runs a real process). */
export interface TaskEndpoint {
  host: string;
  port: number;
}

/** What the runtime can report back about a task while it runs. */
export interface TaskRuntimeControls {
  /** The task's process exited on its own: its essential container stops with this exit code. */
  exit(exitCode: number, reason?: string): void;
  /** Health verdict for load balancer and container health checks (undefined: the scenario decides). */
  setHealthy(healthy: boolean | undefined): void;
  /**
   * Appends lines to the container's awslogs stream, stamped `at` (epoch ms): the log driver's clock,
   * which is the host's; the simulated now when not given.
   */
  log(containerName: string, lines: string[], at?: number): void;
}

export interface TaskRuntime {
  /**
   * Called when the task's containers start (PENDING → RUNNING). Resolve with the endpoint the task
   * serves on, or nothing. A rejection stops the task as if its essential container exited with code 1.
   */
  onTaskStarting(
    task: TaskRuntimeTask,
    controls: TaskRuntimeControls,
  ): Promise<TaskEndpoint | undefined> | TaskEndpoint | undefined;
  /** Called once when the task begins to stop (for any reason). Not awaited by the simulation. */
  onTaskStopping?(task: TaskRuntimeTask): Promise<void> | void;
  /** Called when the simulator stops or the runtime is replaced; awaited. */
  close?(): Promise<void>;
}

export function runtimeView(task: TaskRecord): TaskRuntimeTask {
  const definitions = (task.taskDefinition.body.containerDefinitions as Record<string, unknown>[]) ?? [];
  return {
    taskArn: task.arn,
    taskId: task.id,
    clusterArn: task.cluster.arn,
    group: task.group,
    ...(task.startedBy ? { startedBy: task.startedBy } : {}),
    ...(task.service ? { serviceName: task.service.name } : {}),
    ...(task.deployment ? { deploymentId: task.deployment.id } : {}),
    taskDefinitionArn: task.taskDefinition.arn,
    family: task.taskDefinition.family,
    revision: task.taskDefinition.revision,
    privateIp: task.privateIp,
    containers: task.containers.map((c) => {
      const definition = definitions.find((d) => d.name === c.name) ?? {};
      const ports =
        (definition.portMappings as { containerPort?: number; protocol?: string }[] | undefined) ?? [];
      const secrets = (definition.secrets as { name?: unknown; valueFrom?: unknown }[] | undefined) ?? [];
      return {
        name: c.name,
        image: c.image,
        ...(c.imageDigest ? { imageDigest: c.imageDigest } : {}),
        essential: c.essential,
        ...(c.command ? { command: c.command } : {}),
        environment: { ...(c.fileEnvironment ?? {}), ...c.environment },
        secrets: Object.fromEntries(
          secrets
            .filter((s) => typeof s.name === "string" && typeof s.valueFrom === "string")
            .map((s) => [s.name as string, s.valueFrom as string]),
        ),
        secretValues: { ...(c.secretValues ?? {}) },
        portMappings: ports
          .filter((p) => typeof p.containerPort === "number")
          .map((p) => ({ containerPort: p.containerPort as number, protocol: p.protocol ?? "tcp" })),
      };
    }),
  };
}

// The shop's simulated AWS account: the scenario the simulator is loaded with (the cluster, the web
// service as Terraform created it, its load balancer, database and registry) and the one place the
// world reaches into the simulator's services. The tests and the demo read the account through the
// plain views below, never through the simulator's records, so a change inside the simulator means a
// change here only.
import type { Scenario, Simulator, TaskRuntime } from "../sim/index";

export type { TaskEndpoint, TaskRuntime, TaskRuntimeControls, TaskRuntimeTask } from "../sim/index";

/** Simulated milliseconds per real millisecond: a rollout of a simulated minute takes three seconds. */
export const CLOCK_FACTOR = 20;
/**
 * How long a task's real process may take to answer its first health check, in real time. The
 * service's health-check grace period is this much simulated time, so however busy the machine (a
 * process can take seconds to start), ECS does not replace a healthy task that is still starting.
 */
const STARTUP_BUDGET_MS = 15_000;
export const ACCOUNT = "123456789012";
export const CLUSTER = "shop";
export const SERVICE = "web";
export const REPOSITORY = "shop/web";
export const DB_INSTANCE = "shop-db";
export const LOG_GROUP = "/ecs/shop-web";
export const TARGET_GROUP_ARN = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/shop-web/5e1f0c2a9b7d3e41`;
/** The prefix of the account's task-definition ARNs; append `family:revision`. */
export const TASK_DEFINITION_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/`;

/** The registry behind the simulated ECR, when images are really pushed. */
export interface RegistryLogin {
  url: string;
  username: string;
  password: string;
}

/** The simulated AWS account: the shop's cluster, service, load balancer, database and registry. */
export function shopScenario(registry: RegistryLogin | undefined): Scenario {
  return {
    clock: { mode: "scaled", factor: CLOCK_FACTOR },
    seed: 11,
    logs: { groups: [{ name: LOG_GROUP }] },
    rds: { instances: [{ id: DB_INSTANCE, snapshotMs: 20_000 }] },
    ecr: {
      ...(registry
        ? { registry: { url: registry.url, username: registry.username, password: registry.password } }
        : {}),
      repositories: [{ name: REPOSITORY, imageTagMutability: "MUTABLE" }],
    },
    elbv2: {
      targetGroups: [
        {
          name: "shop-web",
          arn: TARGET_GROUP_ARN,
          port: 8080,
          healthCheckPath: "/health",
          healthCheckIntervalSeconds: 5,
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 2,
          deregistrationDelaySeconds: 10,
        },
      ],
      loadBalancers: [{ name: "shop-alb", targetGroups: ["shop-web"] }],
    },
    ecs: {
      clusters: [CLUSTER],
      // The service as Terraform created it, running a placeholder until the first deploy.
      taskDefinitions: [
        {
          family: "shop-web",
          networkMode: "awsvpc",
          requiresCompatibilities: ["FARGATE"],
          cpu: "256",
          memory: "512",
          containerDefinitions: [
            {
              name: "web",
              image: "public.ecr.aws/docker/library/busybox:stable",
              essential: true,
              portMappings: [{ containerPort: 8080, protocol: "tcp" }],
              environment: [{ name: "VERSION", value: "placeholder" }],
            },
          ],
        },
      ],
      services: [
        {
          cluster: CLUSTER,
          serviceName: SERVICE,
          taskDefinition: "shop-web:1",
          desiredCount: 2,
          launchType: "FARGATE",
          networkConfiguration: {
            awsvpcConfiguration: { subnets: ["subnet-0a1b", "subnet-0c2d"], securityGroups: ["sg-0web"] },
          },
          loadBalancers: [{ targetGroupArn: TARGET_GROUP_ARN, containerName: "web", containerPort: 8080 }],
          healthCheckGracePeriodSeconds: (STARTUP_BUDGET_MS * CLOCK_FACTOR) / 1000,
          deploymentConfiguration: {
            minimumHealthyPercent: 100,
            maximumPercent: 200,
            deploymentCircuitBreaker: { enable: true, rollback: true },
          },
        },
      ],
    },
  };
}

/** The web service as ECS describes it. */
export interface ServiceView {
  taskDefinitionArn: string;
  /** PRIMARY first. */
  deployments: { taskDefinitionArn: string; rolloutState: string }[];
}

/** A task as ECS describes it. */
export interface TaskView {
  taskArn: string;
  taskDefinitionArn: string;
  lastStatus: string;
  containers: { name: string; exitCode: number | undefined }[];
}

/** A registration in the service's target group. */
export interface TargetView {
  taskDefinitionArn: string;
  state: string;
}

export interface SnapshotView {
  id: string;
  database: string;
  status: string;
}

/** A place where a task of the web service serves, and its share of the listener's traffic. */
export interface ServingTarget {
  endpoint: { host: string; port: number };
  weight: number;
  taskDefinitionArn: string;
}

/** The shop's account in a running simulator: what the world changes in it and what the tests read. */
export class ShopAccount {
  readonly #sim: Simulator;

  constructor(sim: Simulator) {
    this.#sim = sim;
  }

  /** Runs something real for each task that starts (see task-runtime.ts). */
  setTaskRuntime(runtime: TaskRuntime): Promise<void> {
    return this.#sim.ecs.setTaskRuntime(runtime);
  }

  /** Puts an image in the simulated ECR without a registry, as CI would have pushed it; its digest. */
  seedImage(tag: string): string {
    return this.#sim.ecr.seedImage(REPOSITORY, { tags: [tag] });
  }

  /** Where the web service's tasks serve now, weighted as the load balancer forwards. */
  servingTargets(): ServingTarget[] {
    return this.#sim.ecs.servingEndpoints(SERVICE, CLUSTER);
  }

  service(): ServiceView {
    const service = this.#sim.ecs.service(SERVICE, CLUSTER);
    return {
      taskDefinitionArn: service.taskDefinition ?? "",
      deployments: (service.deployments ?? []).map((d) => ({
        taskDefinitionArn: d.taskDefinition ?? "",
        rolloutState: d.rolloutState ?? "",
      })),
    };
  }

  task(taskArn: string): TaskView | undefined {
    const task = this.#sim.ecs.task(taskArn);
    if (!task) return undefined;
    return {
      taskArn: task.taskArn ?? taskArn,
      taskDefinitionArn: task.taskDefinitionArn ?? "",
      lastStatus: task.lastStatus ?? "",
      containers: (task.containers ?? []).map((c) => ({ name: c.name ?? "", exitCode: c.exitCode })),
    };
  }

  /** The live registrations of the service's target group (draining ones included). */
  targets(): TargetView[] {
    return this.#sim.elbv2
      .targets(TARGET_GROUP_ARN)
      .map((t) => ({ taskDefinitionArn: t.taskDefinitionArn, state: t.state }));
  }

  snapshots(): SnapshotView[] {
    return this.#sim.rds.snapshots().map((s) => ({ id: s.id, database: s.database, status: s.status }));
  }

  /** The lines of one awslogs stream of the service's log group. */
  logLines(stream: string): string[] {
    return this.#sim.logs.lines(LOG_GROUP, stream);
  }
}

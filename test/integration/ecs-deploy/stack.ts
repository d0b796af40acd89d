// The simulated world the ecs-deploy and auto-rollback bundle tests run in: service "web" running
// web:1 (three tasks behind an ALB target group) in cluster "prod", on a scaled clock so a rollout of
// a simulated minute takes about half a real second (with polls of 12 simulated seconds, fine enough
// to see every stage), and helpers to run the bundles against it.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { type ActionRun, type RunActionOptions, runAction } from "../../rig/harness";
import {
  type CallRecord,
  type CloudWatchScenario,
  type Scenario,
  type Simulator,
  simulatorEnv,
} from "../../sim/index";

export const REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
export const ACCOUNT_ARN = "arn:aws:ecs:eu-west-1:123456789012";
export const TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef";
export const TG_GREEN =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/fedcba9876543210";
export const PRODUCTION_RULE =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web-alb/0a1b2c3d4e5f6071/1a2b3c4d5e6f7081/0c1d2e3f40516273";
export const TEST_RULE =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web-alb/0a1b2c3d4e5f6071/2b3c4d5e6f708192/1d2e3f4051627384";
export const ROLE = "arn:aws:iam::123456789012:role/ecsInfrastructure";
export const NETWORK = {
  awsvpcConfiguration: {
    subnets: ["subnet-a", "subnet-b"],
    securityGroups: ["sg-web"],
    assignPublicIp: "DISABLED",
  },
};
/** Simulated milliseconds per real millisecond in the bundle tests. */
export const FACTOR = 120;
/** The poll interval the tests give the bundles (real time; FACTOR × it in simulated time). */
export const POLL_MS = 100;

export const MUTATING = new Set([
  "RegisterTaskDefinition",
  "DeregisterTaskDefinition",
  "UpdateService",
  "CreateService",
  "DeleteService",
  "StopServiceDeployment",
  "RunTask",
  "StopTask",
  "TagResource",
]);

export function image(tag: string): string {
  return `${REGISTRY}/web:${tag}`;
}

export function digestOf(tag: string): string {
  return `sha256:${tag.repeat(64).slice(0, 64)}`;
}

export function webTaskDefinition(tag: string, extra: Record<string, unknown> = {}) {
  return {
    family: "web",
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "256",
    memory: "512",
    executionRoleArn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    taskRoleArn: "arn:aws:iam::123456789012:role/web",
    containerDefinitions: [
      {
        name: "app",
        image: image(tag),
        essential: true,
        portMappings: [{ containerPort: 8080, protocol: "tcp" }],
        environment: [{ name: "LOG_LEVEL", value: "info" }],
        logConfiguration: {
          logDriver: "awslogs",
          options: {
            "awslogs-group": "/ecs/web",
            "awslogs-region": "eu-west-1",
            "awslogs-stream-prefix": "web",
          },
        },
      },
    ],
    ...extra,
  };
}

export interface WorldOptions {
  images?: Record<string, unknown>;
  breaker?: { enable: boolean; rollback: boolean };
  /** More services running web:1 beside "web". */
  extraServices?: string[];
  strategy?: "BLUE_GREEN" | "LINEAR" | "CANARY";
  desiredCount?: number;
  factor?: number;
  /** Time moves only when told (sim.advance, or clockedByPolls), not with the real clock. */
  manualClock?: boolean;
  faults?: Scenario["faults"];
  /** More revisions of web registered after web:1 (web:2 ... as tags "2", "3"...). */
  revisions?: string[];
  /** family:revision of task definitions deregistered (INACTIVE) from the start. */
  deregistered?: string[];
  /** ECS timings (simulated ms), e.g. a long pullMs to keep a rollout in progress. */
  timings?: Record<string, number>;
  /** How long the load balancer drains a deregistered target (default 20 s): web's rollout waits for it. */
  deregistrationDelaySeconds?: number;
  /** The load balancer metrics of the revisions (request rate, error rate, p95) by image or revision. */
  metrics?: CloudWatchScenario;
  /** More deploymentConfiguration fields of web (canaryConfiguration, linearConfiguration...). */
  deploymentConfiguration?: Record<string, unknown>;
  /** web-green exists on the load balancer although web does not use it (no strategy yet). */
  alternateTargetGroup?: boolean;
}

/** web:1 runs steady; images of the next versions behave as told (default: healthy). */
export function world(options: WorldOptions = {}): Scenario {
  const blueGreen = options.strategy !== undefined;
  const twoGroups = blueGreen || options.alternateTargetGroup === true;
  const group = (name: string, arn: string) => ({
    name,
    arn,
    port: 8080,
    healthCheckPath: "/health",
    healthCheckIntervalSeconds: 10,
    healthyThresholdCount: 2,
    unhealthyThresholdCount: 2,
    deregistrationDelaySeconds: options.deregistrationDelaySeconds ?? 20,
  });
  const service = (serviceName: string, withLoadBalancer: boolean) => ({
    cluster: "prod",
    serviceName,
    taskDefinition: "web:1",
    desiredCount: options.desiredCount ?? 3,
    launchType: "FARGATE",
    networkConfiguration: NETWORK,
    ...(withLoadBalancer
      ? {
          loadBalancers: [
            {
              targetGroupArn: TG,
              containerName: "app",
              containerPort: 8080,
              ...(blueGreen
                ? {
                    advancedConfiguration: {
                      alternateTargetGroupArn: TG_GREEN,
                      productionListenerRule: PRODUCTION_RULE,
                      testListenerRule: TEST_RULE,
                      roleArn: ROLE,
                    },
                  }
                : {}),
            },
          ],
          healthCheckGracePeriodSeconds: 30,
        }
      : {}),
    deploymentConfiguration: {
      minimumHealthyPercent: 100,
      maximumPercent: 200,
      deploymentCircuitBreaker: options.breaker ?? { enable: true, rollback: true },
      ...(options.strategy ? { strategy: options.strategy, bakeTimeInMinutes: 1 } : {}),
      ...(options.deploymentConfiguration ?? {}),
    },
  });
  return {
    clock: options.manualClock ? { mode: "manual" } : { mode: "scaled", factor: options.factor ?? FACTOR },
    seed: 17,
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.metrics ? { cloudwatch: options.metrics } : {}),
    logs: { groups: [{ name: "/ecs/web" }] },
    elbv2: {
      targetGroups: [group("web", TG), ...(twoGroups ? [group("web-green", TG_GREEN)] : [])],
      loadBalancers: [{ name: "web-alb", targetGroups: twoGroups ? ["web", "web-green"] : ["web"] }],
    },
    ecs: {
      clusters: ["prod"],
      ...(options.timings ? { timings: options.timings } : {}),
      images: { [image("1")]: { digest: digestOf("1") }, ...(options.images ?? {}) },
      taskDefinitions: [
        webTaskDefinition("1"),
        ...(options.revisions ?? []).map((tag) => webTaskDefinition(tag)),
      ],
      deregisteredTaskDefinitions: options.deregistered ?? [],
      services: [service("web", true), ...(options.extraServices ?? []).map((name) => service(name, false))],
    },
  };
}

/** A workspace holding the given files (task definitions). */
export function workspace(files: Record<string, string | object> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "shipline-ecs-"));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

export async function deploy(
  sim: Simulator,
  inputs: Record<string, string | undefined>,
  options: Omit<RunActionOptions, "inputs"> = {},
): Promise<ActionRun> {
  return runAction("ecs-deploy", {
    timeoutMs: 90_000,
    ...options,
    env: { ...simulatorEnv(sim), ...(options.env ?? {}) },
    inputs: { cluster: "prod", services: "web", "poll-interval": `${POLL_MS}ms`, ...inputs },
  });
}

export async function rollback(
  sim: Simulator,
  inputs: Record<string, string | undefined>,
  options: Omit<RunActionOptions, "inputs"> = {},
): Promise<ActionRun> {
  return runAction("auto-rollback", {
    timeoutMs: 90_000,
    ...options,
    env: { ...simulatorEnv(sim), ...(options.env ?? {}) },
    inputs: { cluster: "prod", services: "web", "poll-interval": `${POLL_MS}ms`, ...inputs },
  });
}

/**
 * A refused run: exit code 1, one clear user error with a fix (not a bug report), and not one
 * mutating call attempted since `before` (refused ones included).
 */
export function expectRefused(sim: Simulator, run: ActionRun, before: number, error: RegExp): void {
  expect(run.exitCode).toBe(1);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]?.message).toMatch(error);
  expect(run.errors[0]?.message).toMatch(/\nFix: /);
  expect(sim.calls.filter((c) => c.seq > before && MUTATING.has(c.operation))).toEqual([]);
  expect(run.stdout).not.toContain("This is a bug in shipline");
}

/** Calls since `from` (a sequence number) that change something, successful ones only. */
export function mutations(sim: Simulator, from = 0): CallRecord[] {
  return sim.calls.filter((c) => c.seq > from && MUTATING.has(c.operation) && c.status < 400);
}

export function lastSeq(sim: Simulator): number {
  return sim.calls.at(-1)?.seq ?? 0;
}

/** A service of cluster "prod" as the simulator holds it now (DescribeServices' shape, times in ms). */
export function webService(sim: Simulator, name = "web") {
  return sim.ecs.service(name, "prod");
}

export function arnOf(revision: string): string {
  return `${ACCOUNT_ARN}:task-definition/${revision}`;
}

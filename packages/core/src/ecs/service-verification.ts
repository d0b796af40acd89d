// Verifies that a service runs a given revision with every task healthy: the service settled on it,
// its RUNNING tasks all of that revision and not unhealthy, and, behind a load balancer, each of
// those tasks a healthy target. Used after a rollback, where "ECS says done" is not enough.
import {
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  type Service,
  type Task,
} from "@aws-sdk/client-ecs";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { elbTargetHealthReader, type TargetState } from "../health/target-health";
import type { Clock } from "../runtime/clock";
import type { Logger } from "../runtime/logger";
import { done, pending, poll } from "../runtime/poller";
import { describeServices, isSettled, runningRevision } from "./service-snapshot";
import { revisionLabel } from "./task-definition";

export interface VerificationRound {
  verified: boolean;
  /** One line: what holds and what does not yet. */
  detail: string;
  runningTasks: number;
  desiredCount: number;
  /** Healthy targets of the revision's tasks, and how many there should be, when behind a load balancer. */
  healthyTargets?: number;
  expectedTargets?: number;
}

function privateIp(task: Task): string | undefined {
  for (const attachment of task.attachments ?? []) {
    const ip = attachment.details?.find((d) => d.name === "privateIPv4Address")?.value;
    if (ip) return ip;
  }
  return task.containers?.flatMap((c) => c.networkInterfaces ?? [])[0]?.privateIpv4Address;
}

async function runningTasks(ecs: ECSClient, cluster: string, service: string): Promise<Task[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListTasksCommand({
        cluster,
        serviceName: service,
        desiredStatus: "RUNNING",
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const tasks: Task[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }));
    tasks.push(...(out.tasks ?? []));
  }
  return tasks;
}

/** One look at the service; `verified` only when everything holds. */
export async function verifyRound(
  ecs: ECSClient,
  elb: ElasticLoadBalancingV2Client | undefined,
  service: Service,
  request: { cluster: string; taskDefinitionArn: string; clock: { now(): number } },
): Promise<VerificationRound> {
  const name = service.serviceName ?? "";
  const target = revisionLabel(request.taskDefinitionArn);
  const desiredCount = service.desiredCount ?? 0;
  const base = { runningTasks: service.runningCount ?? 0, desiredCount };
  const runs = runningRevision(service);
  if (runs !== request.taskDefinitionArn) {
    return {
      ...base,
      verified: false,
      detail: `the service runs ${revisionLabel(runs ?? "?")}, not ${target}`,
    };
  }
  if (!isSettled(service)) {
    return {
      ...base,
      verified: false,
      detail: `${service.deployments?.length ?? 0} deployments, the rollout of ${target} is not complete yet`,
    };
  }
  const tasks = await runningTasks(ecs, request.cluster, name);
  const others = tasks.filter((t) => t.taskDefinitionArn !== request.taskDefinitionArn);
  const own = tasks.filter(
    (t) => t.taskDefinitionArn === request.taskDefinitionArn && t.lastStatus === "RUNNING",
  );
  const unhealthy = own.filter((t) => t.healthStatus === "UNHEALTHY");
  const round: VerificationRound = { ...base, runningTasks: own.length, verified: false, detail: "" };
  if (others.length > 0) {
    round.detail = `${others.length} task(s) of other revisions still run`;
    return round;
  }
  if (own.length < desiredCount) {
    round.detail = `${own.length}/${desiredCount} tasks of ${target} RUNNING`;
    return round;
  }
  if (unhealthy.length > 0) {
    round.detail = `${unhealthy.length} task(s) of ${target} report UNHEALTHY container health`;
    return round;
  }
  const balancers = service.loadBalancers ?? [];
  if (balancers.length === 0 || !elb) {
    round.verified = true;
    round.detail = `${own.length}/${desiredCount} tasks of ${target} RUNNING and not unhealthy${balancers.length === 0 ? " (no load balancer)" : ""}`;
    return round;
  }
  const read = elbTargetHealthReader(elb, request.clock);
  const states = new Map<string, TargetState[]>();
  for (const entry of balancers) {
    const groups = [entry.targetGroupArn, entry.advancedConfiguration?.alternateTargetGroupArn].filter(
      (g): g is string => typeof g === "string",
    );
    for (const group of groups) {
      if (states.has(group)) continue;
      const health = await read(group);
      if (health.error !== undefined) {
        round.detail = `target health of ${group} could not be read (${health.error})`;
        return round;
      }
      states.set(group, health.targets);
    }
  }
  let healthy = 0;
  let expected = 0;
  const problems: string[] = [];
  for (const task of own) {
    const ip = privateIp(task);
    for (const entry of balancers) {
      expected++;
      const id = `${ip ?? "?"}:${entry.containerPort ?? "?"}`;
      const seen = [...states.values()].flat().filter((s) => s.target === id);
      if (seen.some((s) => s.state === "healthy")) healthy++;
      else problems.push(`${id} ${seen.map((s) => s.state).join("/") || "not registered"}`);
    }
  }
  round.healthyTargets = healthy;
  round.expectedTargets = expected;
  round.verified = healthy === expected;
  round.detail = `${own.length}/${desiredCount} tasks of ${target} RUNNING, ${healthy}/${expected} load balancer targets healthy${problems.length ? ` (${problems.slice(0, 3).join(", ")})` : ""}`;
  return round;
}

export interface VerifyOptions {
  cluster: string;
  service: string;
  taskDefinitionArn: string;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal | undefined;
  intervalMs: number;
  timeoutMs: number;
}

/** Polls until the service is verified on the revision; PollTimeoutError when it is not in time. */
export async function verifyServiceRuns(
  ecs: ECSClient,
  elb: ElasticLoadBalancingV2Client | undefined,
  options: VerifyOptions,
): Promise<VerificationRound> {
  let lastDetail = "";
  return poll(
    {
      intervalMs: options.intervalMs,
      timeoutMs: options.timeoutMs,
      clock: options.clock,
      fixedRate: true,
      ...(options.signal ? { signal: options.signal } : {}),
    },
    async () => {
      const [service] = await describeServices(ecs, options.cluster, [options.service]);
      const round = await verifyRound(ecs, elb, service as Service, {
        cluster: options.cluster,
        taskDefinitionArn: options.taskDefinitionArn,
        clock: options.clock,
      });
      if (round.detail !== lastDetail) {
        options.logger.progress(
          `${options.service}: ${round.verified ? "verified" : "verifying"}: ${round.detail}`,
        );
        lastDetail = round.detail;
      }
      return round.verified ? done(round) : pending;
    },
  );
}

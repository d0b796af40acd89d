// SDK v3 clients pointed at an in-process simulator, built the way the actions build theirs.
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type Service,
  type Task,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { awsClientConfig } from "../../../packages/core/src/aws/clients";
import { type Simulator, type Snapshot, simulatorEnv } from "../../sim/index";
import { webTaskDefinition } from "./web-scenario";

export function simulatorClientConfig(sim: Simulator, maxAttempts = 3) {
  const env = simulatorEnv(sim);
  return {
    ...awsClientConfig({ region: sim.region, endpoint: sim.endpoint, maxAttempts }),
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
    },
  };
}

export function simulatorClients(sim: Simulator, maxAttempts = 3) {
  const config = simulatorClientConfig(sim, maxAttempts);
  return {
    ecs: new ECSClient(config),
    elb: new ElasticLoadBalancingV2Client(config),
    cloudwatch: new CloudWatchClient(config),
    logs: new CloudWatchLogsClient(config),
  };
}

/** Service "web" in cluster "default" as DescribeServices returns it (see web-scenario.ts). */
export async function describeWeb(sim: Simulator, maxAttempts = 3): Promise<Service> {
  const { ecs } = simulatorClients(sim, maxAttempts);
  const out = await ecs.send(new DescribeServicesCommand({ cluster: "default", services: ["web"] }));
  const service = out.services?.[0];
  if (!service) throw new Error("web is missing");
  return service;
}

/** Registers a new revision of the web task definition with this image; returns its ARN. */
export async function registerWeb(sim: Simulator, image: string): Promise<string> {
  const { ecs } = simulatorClients(sim);
  const out = await ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition(image) as never));
  return out.taskDefinition?.taskDefinitionArn ?? "";
}

/** Registers a web revision with this image and points the service at it; returns the revision's ARN. */
export async function deployWeb(sim: Simulator, image: string): Promise<string> {
  const arn = await registerWeb(sim, image);
  const { ecs } = simulatorClients(sim);
  await ecs.send(new UpdateServiceCommand({ cluster: "default", service: "web", taskDefinition: arn }));
  return arn;
}

/** The service deployment a service names as current, as the simulator holds it. */
export function currentServiceDeployment(sim: Simulator, service = "web", cluster = "default") {
  const arn = sim.ecs.service(service, cluster).currentServiceDeployment;
  return arn ? sim.ecs.serviceDeployment(arn) : undefined;
}

const SETTLED = ["SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"];

/** Whether a service deployment status is final. */
export function isSettled(status: string | undefined): boolean {
  return SETTLED.includes(status ?? "");
}

/** A task's private IP address (its target id behind a load balancer). */
export function ipOf(task: Snapshot<Task>): string {
  return task.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address ?? "";
}

/** Whether the service has reported "has reached a steady state." since simulated time `since`. */
export function steadySince(sim: Simulator, since: number, service = "web", cluster = "default"): boolean {
  return (sim.ecs.service(service, cluster).events ?? []).some(
    (e) => e.message?.endsWith("has reached a steady state.") && (e.createdAt ?? 0) > since,
  );
}

// SDK v3 clients pointed at an in-process simulator, built the way the actions build theirs.
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type Service,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { awsClientConfig } from "../../../packages/core/src/aws/clients";
import { type Simulator, simulatorEnv } from "../../sim/index";
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

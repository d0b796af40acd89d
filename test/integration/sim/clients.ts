// SDK v3 clients pointed at an in-process simulator, built the way the actions build theirs.
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { awsClientConfig } from "../../../packages/core/src/aws";
import { type Simulator, simulatorEnv } from "../../sim/index";

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

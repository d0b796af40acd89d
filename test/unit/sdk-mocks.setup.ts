// Unit test files share their worker's module cache, and aws-sdk-client-mock replaces a client's
// send() with a stub on the client's prototype, which outlives the file that made it: restore it
// when the file ends, so a later file that sends through a real client (test/unit/core/aws) gets
// the SDK's own send().
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { RDSClient } from "@aws-sdk/client-rds";
import { afterAll } from "vitest";

const SDK_CLIENTS = [
  CloudWatchClient,
  CloudWatchLogsClient,
  ECRClient,
  ECSClient,
  ElasticLoadBalancingV2Client,
  RDSClient,
];

afterAll(() => {
  for (const client of SDK_CLIENTS) {
    const send = Object.getOwnPropertyDescriptor(client.prototype, "send")?.value as
      | { restore?: () => void }
      | undefined;
    send?.restore?.();
  }
});

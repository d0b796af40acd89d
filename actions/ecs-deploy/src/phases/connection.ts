// The step's AWS clients, each made once: ECS and Logs always, the judging clients (CloudWatch, ELB,
// HTTP for test traffic) only when a judge will read them, shared by the native-strategy step judge,
// shipline's traffic steps and the CodeDeploy judge. They follow AWS's clock from their answers.
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { createAwsClient, warnIfBeyondSessionLife } from "@shipline/core/aws/clients";
import { ServerClock } from "@shipline/core/aws/server-clock";
import type { DeployDeps } from "@shipline/core/ecs/deploy-execute";
import { ServiceDeploymentsApi } from "@shipline/core/ecs/service-deployments";
import { createHttpClient, type HttpClient } from "@shipline/core/health/http";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";

/** The AWS clients of the step, each made once; the judging ones only when a judge will read them. */
export interface Connection extends DeployDeps {
  /** AWS's clock, as the judging clients' answers date it: the metric windows are AWS's minutes. */
  awsClock: ServerClock;
}

export function connect(context: ActionContext, settings: Settings): Connection {
  const { logger } = context;
  if (settings.mode === "deploy" && settings.follow.wait)
    warnIfBeyondSessionLife(settings.follow.waitTimeoutMs, "wait-timeout", logger);
  const ecs = createAwsClient(ECSClient, settings.aws, { logger });
  const logs = createAwsClient(CloudWatchLogsClient, settings.aws, { logger });
  const api = new ServiceDeploymentsApi(ecs, logger);
  const awsClock = new ServerClock(context.clock);
  const deps = { ecs, logs, api, logger, clock: context.clock, signal: context.signal, awsClock };
  const judged =
    settings.mode === "deploy" &&
    (settings.follow.judge !== undefined ||
      settings.traffic !== undefined ||
      settings.codeDeploy !== undefined);
  if (!judged) return deps;
  // The judges (native steps, traffic steps, CodeDeploy) read load balancer metrics and alarms, the
  // target groups and test traffic: one client of each for the step.
  return {
    ...deps,
    cloudwatch: awsClock.follow(createAwsClient(CloudWatchClient, settings.aws, { logger })),
    elbv2: awsClock.follow(createAwsClient(ElasticLoadBalancingV2Client, settings.aws, { logger })),
    http: createHttpClient(),
  };
}

/** The judging clients, which `connect` made for any step that judges. */
export function judgingClients(deps: Connection): {
  elbv2: ElasticLoadBalancingV2Client;
  cloudwatch: CloudWatchClient;
  http: HttpClient;
  awsClock: ServerClock;
} {
  const { elbv2, cloudwatch, http, awsClock } = deps;
  if (!elbv2 || !cloudwatch || !http) throw new Error("the judging clients were not made for this step");
  return { elbv2, cloudwatch, http, awsClock };
}

// auto-rollback: refuse when destructive migrations make it unsafe, find the bad revision and the
// one to return to, put it back (stopping the bad deployment with ROLLBACK while it is in flight),
// verify the service runs it with every task healthy, and report once: GitHub deployment statuses,
// the step summary's timeline, and an incident issue.
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { createAwsClient, warnIfBeyondSessionLife } from "@shipline/core/aws/clients";
import type { RollbackDeps } from "@shipline/core/ecs/rollback-execute";
import { ServiceDeploymentsApi } from "@shipline/core/ecs/service-deployments";
import type { ActionContext } from "@shipline/core/runtime/run";
import { inputSpec } from "./inputs";
import { plan } from "./phases/plan";
import { restore } from "./phases/restore";
import { publish } from "./report";
import { type Settings, settingsFrom } from "./settings";

function connect(context: ActionContext, settings: Settings): RollbackDeps {
  const { logger } = context;
  warnIfBeyondSessionLife(settings.follow.waitTimeoutMs, "wait-timeout", logger);
  const ecs = createAwsClient(ECSClient, settings.aws, { logger });
  const elb = createAwsClient(ElasticLoadBalancingV2Client, settings.aws, { logger });
  const api = new ServiceDeploymentsApi(ecs, logger);
  return { ecs, elb, api, logger, clock: context.clock, signal: context.signal };
}

export async function main(context: ActionContext): Promise<void> {
  const startedAt = context.clock.now();
  const inputs = context.inputs(inputSpec);
  // Database safety first: a refused rollback reads and changes nothing.
  const settings = settingsFrom(inputs, context.env, (message) => context.logger.warning(message));
  const aws = connect(context, settings);
  const found = await plan(aws, settings.request, context.logger);
  const outcome = await restore(aws, found, settings.follow);
  return publish(context, settings, startedAt, found, outcome);
}

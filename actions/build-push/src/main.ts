// build-push: build the commit's image once and push it to ECR, or promote a verified image by
// re-tagging it; optionally gate on ECR's scan. The same bundle is the post step, which logs out.
import { ECRClient } from "@aws-sdk/client-ecr";
import { awsSettingsFromInputs, createAwsClient, warnIfBeyondSessionLife } from "@shipline/core/aws/clients";
import { DockerCli } from "@shipline/core/docker/cli";
import { dockerLogout } from "@shipline/core/docker/login";
import type { ActionContext } from "@shipline/core/runtime/run";
import { buildMode, REGISTRY_STATE } from "./build-mode";
import { inputSpec } from "./inputs";
import { planFromInputs } from "./plan";
import { promote } from "./promote-mode";
import { emptyReport, publish } from "./report";

/** Saved first thing in main: the runner runs the same file as the post step, with this state set. */
const POST_STATE = "isPost";

export async function main(context: ActionContext): Promise<void> {
  if (context.state.get(POST_STATE) === "true") {
    await post(context);
    return;
  }
  context.state.set(POST_STATE, "true");

  const inputs = context.inputs(inputSpec);
  const plan = planFromInputs(inputs, context.env, context.env.GITHUB_WORKSPACE || process.cwd());
  for (const secret of plan.build?.secrets ?? []) context.logger.secrets.add(secret.value);
  if (plan.scan) warnIfBeyondSessionLife(plan.scan.timeoutMs, "scan-timeout", context.logger);

  const ecr = createAwsClient(
    ECRClient,
    { ...awsSettingsFromInputs(inputs), region: plan.region },
    { logger: context.logger, env: context.env },
  );
  const report = emptyReport(plan.mode, plan.repository.name);
  let failed = true;
  try {
    if (plan.mode === "promote") await promote(context, plan, ecr, report);
    else await buildMode(context, plan, ecr, report);
    failed = false;
  } finally {
    publish(context, report, failed);
  }
}

/** The post step: log docker out of the registry the main step logged in to. */
async function post(context: ActionContext): Promise<void> {
  const registry = context.state.get(REGISTRY_STATE);
  if (!registry) {
    context.logger.info("No registry login to undo.");
    return;
  }
  await context.logger.group("Registry logout", async () => {
    await dockerLogout(new DockerCli(context.logger), registry);
    context.logger.info(`Logged out of ${registry}.`);
  });
}

// build-push: build the commit's image once and push it to ECR, or promote a verified image by
// re-tagging it; optionally gate on ECR's scan. The same bundle is the post step, which logs out.
import { ECRClient } from "@aws-sdk/client-ecr";
import { awsSettingsFromInputs, createAwsClient, warnIfBeyondSessionLife } from "@shipline/core/aws/clients";
import type { ActionContext } from "@shipline/core/runtime/run";
import { inputSpec } from "./inputs";
import { build } from "./phases/build";
import { logout } from "./phases/logout";
import { promote } from "./phases/promote";
import { publish } from "./report";
import { settingsFromInputs } from "./settings";

/** Saved first thing in main: the runner runs the same file as the post step, with this state set. */
const POST_STATE = "isPost";

export async function main(context: ActionContext): Promise<void> {
  if (context.state.get(POST_STATE) === "true") {
    await logout(context);
    return;
  }
  context.state.set(POST_STATE, "true");

  const inputs = context.inputs(inputSpec);
  const settings = settingsFromInputs(inputs, context.env, context.env.GITHUB_WORKSPACE || process.cwd());
  for (const secret of settings.build?.secrets ?? []) context.logger.secrets.add(secret.value);
  if (settings.scan) warnIfBeyondSessionLife(settings.scan.timeoutMs, "scan-timeout", context.logger);
  const ecr = createAwsClient(
    ECRClient,
    { ...awsSettingsFromInputs(inputs), region: settings.region },
    { logger: context.logger, env: context.env },
  );

  const outcome =
    settings.mode === "promote" ? await promote(context, settings, ecr) : await build(context, settings, ecr);
  publish(context, outcome);
  if (outcome.failure) throw outcome.failure.error;
}

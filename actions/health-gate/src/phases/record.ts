// The verdict recorded on the GitHub deployment that ecs-deploy created, as a marked status: the
// deployment's payload cannot change after creation, and preflight reads the verdict and its time
// from the statuses (packages/core/src/github/deployment-record.ts says why).
import { createGitHubClient, type GitHubClient, repoFromEnv } from "@shipline/core/github/client";
import { recordDecision } from "@shipline/core/github/deployment-record";
import type { HealthReport } from "@shipline/core/health/verdict";
import { errorMessage } from "@shipline/core/runtime/errors";
import { inputError } from "@shipline/core/runtime/inputs";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Inputs } from "../inputs";

export interface VerdictRecorder {
  github: GitHubClient;
  deploymentId: number;
}

/** Checked with the other inputs, before the gate starts: a deployment id needs a token. */
export function verdictRecorder(context: ActionContext, inputs: Inputs): VerdictRecorder | undefined {
  if (inputs.deploymentId === undefined) return undefined;
  if (!inputs.githubToken) {
    throw inputError(
      "deployment-id",
      "recording the verdict on the GitHub deployment needs a token.",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, shown to the user as is.
      "Pass `github-token: ${{ github.token }}` (with `deployments: write`), or remove `deployment-id`.",
    );
  }
  // Resolved now, so a job without GITHUB_REPOSITORY fails before the gate, not after it.
  repoFromEnv(context.env);
  return {
    github: createGitHubClient(inputs.githubToken, { logger: context.logger }),
    deploymentId: inputs.deploymentId,
  };
}

const SAID: Record<HealthReport["verdict"], string> = {
  pass: "Health gate passed",
  fail: "Health gate failed",
  inconclusive: "Health gate inconclusive",
};

/**
 * Adds the verdict's status. A failure to record it is a warning, not a failed gate: the verdict
 * stands, and preflight, finding no recorded pass, refuses to promote (the safe side).
 */
export async function recordVerdict(
  context: ActionContext,
  recorder: VerdictRecorder | undefined,
  report: HealthReport,
): Promise<void> {
  if (!recorder) return;
  const text = `${SAID[report.verdict]}: ${report.reason}`;
  try {
    await recordDecision(recorder.github, {
      ...repoFromEnv(context.env),
      deploymentId: recorder.deploymentId,
      mark: { kind: "gate", verdict: report.verdict },
      text,
      env: context.env,
    });
    context.logger.info(`Verdict recorded on GitHub deployment ${recorder.deploymentId}.`);
  } catch (error) {
    context.logger.warning(
      `Could not record the verdict on GitHub deployment ${recorder.deploymentId}: ${errorMessage(error)}. Preflight will not count this deployment as proven; check the token has \`deployments: write\`.`,
    );
  }
}

// The scan gate phase: wait for ECR's scan of the image, judge it, record it in the report either way.
import type { ECRClient } from "@aws-sdk/client-ecr";
import type { RepositoryInfo } from "@shipline/core/ecr/repository";
import { judgeScan, waitForScan } from "@shipline/core/ecr/scan";
import { shortDigest } from "@shipline/core/ecr/tagging";
import { UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { ScanGatePlan } from "./plan";
import type { RunReport } from "./report";

export async function runScanGate(
  context: ActionContext,
  ecr: ECRClient,
  repository: RepositoryInfo,
  digest: string,
  gate: ScanGatePlan,
  report: RunReport,
): Promise<void> {
  await context.logger.group("Scan gate", async () => {
    const result = await waitForScan(
      ecr,
      { name: repository.name, registryId: repository.registryId },
      digest,
      {
        clock: context.clock,
        signal: context.signal,
        logger: context.logger,
        timeoutMs: gate.timeoutMs,
        intervalMs: gate.intervalMs,
        startIfMissing: !repository.scanOnPush,
        ignore: gate.ignore,
      },
    );
    const verdict = judgeScan(result, gate.policy);
    report.scan = {
      status: result.status,
      description: result.description,
      threshold: gate.policy.threshold,
      passed: verdict.passed,
      reasons: verdict.reasons,
      counts: result.counts,
      ignored: result.ignored,
      ignoredIds: result.ignoredIds,
      waitedMs: result.waitedMs,
      rows: verdict.rows,
    };
    const unmatched = gate.ignore.filter((id) => !result.ignoredIds.includes(id));
    if (unmatched.length > 0 && (result.status === "COMPLETE" || result.status === "ACTIVE")) {
      context.logger.info(`Ignored ids with no finding in this image: ${unmatched.join(", ")}.`);
    }
    if (!verdict.passed) {
      throw new UserError(
        `The scan gate failed for sha256:${shortDigest(digest)}… (threshold ${gate.policy.threshold.toLowerCase()}): ${verdict.reasons.join("; ")}.`,
        {
          input: "scan-severity-threshold",
          fix: "Update the base image or the vulnerable packages; or, deliberately, raise `scan-allowed-findings` or list the finding ids in `scan-ignore`.",
        },
      );
    }
    context.logger.info(`Scan gate passed (threshold ${gate.policy.threshold.toLowerCase()}).`);
  });
}

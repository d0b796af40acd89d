// Phase "Scan gate": wait for ECR's scan of the image and judge it. The verdict is returned either
// way; the caller fails the run on a gate that did not pass, after recording what the scan found.
import type { ECRClient } from "@aws-sdk/client-ecr";
import type { RepositoryInfo } from "@shipline/core/ecr/repository";
import {
  judgeScanGate,
  type ScanGate,
  type ScanGateOutcome,
  unmatchedIgnores,
  waitForScan,
} from "@shipline/core/ecr/scan";
import type { ActionContext } from "@shipline/core/runtime/run";

export function scan(
  context: ActionContext,
  ecr: ECRClient,
  repository: RepositoryInfo,
  digest: string,
  gate: ScanGate,
): Promise<ScanGateOutcome> {
  const { logger } = context;
  return logger.group("Scan gate", async () => {
    const result = await waitForScan(
      ecr,
      { name: repository.name, registryId: repository.registryId },
      digest,
      {
        clock: context.clock,
        signal: context.signal,
        logger,
        timeoutMs: gate.timeoutMs,
        intervalMs: gate.intervalMs,
        startIfMissing: !repository.scanOnPush,
        ignore: gate.ignore,
      },
    );
    const outcome = judgeScanGate(result, gate);
    const unmatched = unmatchedIgnores(gate, outcome);
    if (unmatched.length > 0)
      logger.info(`Ignored ids with no finding in this image: ${unmatched.join(", ")}.`);
    if (outcome.passed) logger.info(`Scan gate passed (threshold ${gate.policy.threshold.toLowerCase()}).`);
    return outcome;
  });
}

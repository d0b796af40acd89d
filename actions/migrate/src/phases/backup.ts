// The RDS snapshot before applying, when core's backup decision asks for one (always, or only when the
// pending migrations are destructive). The run's outcome gains the snapshot.
import { RDSClient } from "@aws-sdk/client-rds";
import { createAwsClient, warnIfBeyondSessionLife } from "@shipline/core/aws/clients";
import { snapshotIdFor, takeSnapshot } from "@shipline/core/migrations/backup";
import { decideBackup, type MigrationRunOutcome } from "@shipline/core/migrations/run-outcome";
import { formatDuration } from "@shipline/core/runtime/format";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";

export async function backUp(
  context: ActionContext,
  settings: Settings,
  outcome: MigrationRunOutcome,
): Promise<MigrationRunOutcome> {
  const { logger, env } = context;
  const target = settings.backup.target;
  const decision = decideBackup(settings.backup.policy, outcome.destructive);
  if (!target || !decision.take) {
    if (decision.why) logger.info(`No backup: ${decision.why}.`);
    return outcome;
  }
  return logger.group("Back up", async () => {
    warnIfBeyondSessionLife(settings.backup.timeoutMs, "backup-timeout", logger);
    const rds = createAwsClient(RDSClient, settings.aws, { logger });
    const snapshotId = snapshotIdFor(target.identifier, env.GITHUB_RUN_ID, context.clock.now());
    logger.info(
      `Snapshotting ${target.kind === "instance" ? "DB instance" : "DB cluster"} ${target.identifier} before applying (${decision.why}).`,
    );
    const result = await takeSnapshot(
      rds,
      {
        kind: target.kind,
        database: target.identifier,
        snapshotId,
        tags: {
          "shipline:purpose": "pre-migration backup",
          ...(env.GITHUB_REPOSITORY ? { "shipline:repository": env.GITHUB_REPOSITORY } : {}),
          ...(env.GITHUB_RUN_ID ? { "shipline:run-id": env.GITHUB_RUN_ID } : {}),
        },
      },
      {
        clock: context.clock,
        logger,
        signal: context.signal,
        timeoutMs: settings.backup.timeoutMs,
        intervalMs: settings.pollIntervalMs,
      },
    );
    logger.info(`Snapshot ${result.snapshotId} is available (${formatDuration(result.durationMs)}).`);
    return {
      ...outcome,
      snapshot: {
        snapshotId: result.snapshotId,
        created: result.created,
        kind: target.kind,
        database: target.identifier,
        why: decision.why,
        durationMs: result.durationMs,
      },
    };
  });
}

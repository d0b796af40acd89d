// The optional RDS snapshot before applying: always, or only when the pending migrations are
// destructive.
import { RDSClient } from "@aws-sdk/client-rds";
import { awsSettingsFromInputs, createAwsClient, warnIfBeyondSessionLife } from "@shipline/core/aws/clients";
import { snapshotIdFor, takeSnapshot } from "@shipline/core/migrations/backup";
import { formatDuration } from "@shipline/core/runtime/format";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Inputs } from "./inputs";
import type { Settings } from "./settings";

/** Takes the snapshot when configured to; returns its id, or undefined when none was needed. */
export async function backUp(
  context: ActionContext,
  inputs: Inputs,
  settings: Settings,
  destructive: boolean,
): Promise<string | undefined> {
  const target = settings.backup;
  if (!target) return undefined;
  if (inputs.backup === "if-destructive" && !destructive) {
    context.logger.info(
      "No backup: none of the pending migrations is destructive (`backup: if-destructive`).",
    );
    return undefined;
  }
  return context.logger.group("Back up", async () => {
    warnIfBeyondSessionLife(inputs.backupTimeout, "backup-timeout", context.logger);
    const rds = createAwsClient(RDSClient, awsSettingsFromInputs(inputs), { logger: context.logger });
    const snapshotId = snapshotIdFor(target.identifier, context.env.GITHUB_RUN_ID, context.clock.now());
    const why = inputs.backup === "always" ? "`backup: always`" : "the pending migrations are destructive";
    context.logger.info(
      `Snapshotting ${target.kind === "instance" ? "DB instance" : "DB cluster"} ${target.identifier} before applying (${why}).`,
    );
    const result = await takeSnapshot(
      rds,
      {
        kind: target.kind,
        database: target.identifier,
        snapshotId,
        tags: {
          "shipline:purpose": "pre-migration backup",
          ...(context.env.GITHUB_REPOSITORY ? { "shipline:repository": context.env.GITHUB_REPOSITORY } : {}),
          ...(context.env.GITHUB_RUN_ID ? { "shipline:run-id": context.env.GITHUB_RUN_ID } : {}),
        },
      },
      {
        clock: context.clock,
        logger: context.logger,
        signal: context.signal,
        timeoutMs: inputs.backupTimeout,
        intervalMs: inputs.pollInterval,
      },
    );
    context.logger.info(`Snapshot ${result.snapshotId} is available (${formatDuration(result.durationMs)}).`);
    context.summary.heading("Backup", 3);
    context.summary.paragraph(
      `${result.created ? "Took" : "Reused"} snapshot \`${result.snapshotId}\` of \`${target.identifier}\` (${why}). Restore it with \`aws rds restore-db-${target.kind === "instance" ? "instance-from-db-snapshot" : "cluster-from-snapshot"}\` if the migration must be undone.`,
    );
    return result.snapshotId;
  });
}

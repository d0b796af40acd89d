// A manual RDS snapshot before migrations: CreateDBSnapshot (instance) or CreateDBClusterSnapshot
// (Aurora), waited for with the poller until it is available. One snapshot per workflow run, so a
// re-run finds and reuses it instead of taking a second one.
import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  type RDSClient,
} from "@aws-sdk/client-rds";
import type { Clock } from "../runtime/clock";
import { UserError } from "../runtime/errors";
import { formatDuration } from "../runtime/format";
import type { Logger } from "../runtime/logger";
import { done, PollTimeoutError, pending, poll } from "../runtime/poller";

export type DatabaseKind = "instance" | "cluster";

export interface SnapshotRequest {
  kind: DatabaseKind;
  /** The DB instance or DB cluster identifier. */
  database: string;
  snapshotId: string;
  tags?: Record<string, string>;
}

export interface SnapshotWait {
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal;
  timeoutMs: number;
  intervalMs: number;
}

export interface SnapshotResult {
  snapshotId: string;
  /** False when the snapshot already existed (a re-run of the same workflow run). */
  created: boolean;
  status: string;
  durationMs: number;
}

/**
 * A valid snapshot identifier for a database and a workflow run: letters, digits and single hyphens,
 * starting with a letter, at most 255 characters.
 */
export function snapshotIdFor(database: string, runId: string | undefined, now: number): string {
  const suffix = runId
    ? `run-${runId}`
    : `at-${new Date(now)
        .toISOString()
        .replace(/[^0-9]/g, "")
        .slice(0, 14)}`;
  const raw = `shipline-${database}-${suffix}`;
  return raw
    .replace(/[^A-Za-z0-9-]/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/-+$/, "")
    .slice(0, 255)
    .replace(/-+$/, "");
}

interface SnapshotState {
  status: string;
  progress: number | undefined;
  database: string | undefined;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

async function describe(rds: RDSClient, request: SnapshotRequest): Promise<SnapshotState | undefined> {
  try {
    if (request.kind === "instance") {
      const out = await rds.send(
        new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: request.snapshotId }),
      );
      const snapshot = out.DBSnapshots?.[0];
      return snapshot
        ? {
            status: snapshot.Status ?? "unknown",
            progress: snapshot.PercentProgress,
            database: snapshot.DBInstanceIdentifier,
          }
        : undefined;
    }
    const out = await rds.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: request.snapshotId }),
    );
    const snapshot = out.DBClusterSnapshots?.[0];
    return snapshot
      ? {
          status: snapshot.Status ?? "unknown",
          progress: snapshot.PercentProgress,
          database: snapshot.DBClusterIdentifier,
        }
      : undefined;
  } catch (error) {
    if (["DBSnapshotNotFoundFault", "DBClusterSnapshotNotFoundFault"].includes(errorName(error)))
      return undefined;
    throw error;
  }
}

async function create(rds: RDSClient, request: SnapshotRequest): Promise<boolean> {
  const Tags = Object.entries(request.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  try {
    if (request.kind === "instance") {
      await rds.send(
        new CreateDBSnapshotCommand({
          DBSnapshotIdentifier: request.snapshotId,
          DBInstanceIdentifier: request.database,
          Tags,
        }),
      );
    } else {
      await rds.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterSnapshotIdentifier: request.snapshotId,
          DBClusterIdentifier: request.database,
          Tags,
        }),
      );
    }
    return true;
  } catch (error) {
    const name = errorName(error);
    if (name === "DBSnapshotAlreadyExistsFault" || name === "DBClusterSnapshotAlreadyExistsFault")
      return false;
    if (name === "DBInstanceNotFoundFault" || name === "DBClusterNotFoundFault") {
      const what = request.kind === "instance" ? "DB instance" : "DB cluster";
      throw new UserError(`RDS has no ${what} "${request.database}" in this account and region.`, {
        input: request.kind === "instance" ? "db-instance-identifier" : "db-cluster-identifier",
        fix: `Check the identifier and \`aws-region\`${request.kind === "instance" ? "; for Aurora give `db-cluster-identifier` instead" : ""}.`,
        cause: error,
      });
    }
    if (name === "InvalidDBInstanceStateFault" || name === "InvalidDBClusterStateFault") {
      throw new UserError(
        `The database "${request.database}" cannot be snapshotted now: ${error instanceof Error ? error.message : ""}`,
        {
          fix: "Wait until it is available (not stopped, modifying or backing up) and re-run.",
          cause: error,
        },
      );
    }
    if (name === "SnapshotQuotaExceededFault") {
      throw new UserError(`The account's manual snapshot quota is used up, so no backup could be taken.`, {
        fix: "Delete old manual snapshots, or ask AWS for a higher quota.",
        cause: error,
      });
    }
    throw error;
  }
}

/** Takes the snapshot (or finds the one this run already took) and waits until it is available. */
export async function takeSnapshot(
  rds: RDSClient,
  request: SnapshotRequest,
  wait: SnapshotWait,
): Promise<SnapshotResult> {
  const { logger, clock } = wait;
  const started = clock.now();
  const created = await create(rds, request);
  if (created) {
    logger.info(
      `Creating snapshot ${request.snapshotId} of ${request.kind === "instance" ? "DB instance" : "DB cluster"} ${request.database}.`,
    );
  } else {
    const existing = await describe(rds, request);
    if (existing?.database && existing.database !== request.database) {
      throw new UserError(
        `A snapshot named ${request.snapshotId} exists but is of ${existing.database}, not ${request.database}.`,
        {
          fix: "Use another database identifier, or delete the unrelated snapshot.",
        },
      );
    }
    logger.info(
      `Snapshot ${request.snapshotId} already exists (an earlier attempt of this run took it); using it.`,
    );
  }

  let last = "";
  let status = "";
  try {
    await poll(
      {
        intervalMs: wait.intervalMs,
        timeoutMs: wait.timeoutMs,
        clock,
        ...(wait.signal ? { signal: wait.signal } : {}),
      },
      async ({ elapsedMs }) => {
        const state = await describe(rds, request);
        status = state?.status ?? "not found";
        const line = `${status}${state?.progress !== undefined ? ` ${state.progress}%` : ""}`;
        if (line !== last) {
          logger.progress(`Snapshot ${request.snapshotId}: ${line} (${formatDuration(elapsedMs)})`);
          last = line;
        }
        if (status === "available") return done(undefined);
        if (status === "creating" || status === "pending" || status === "not found") return pending;
        throw new UserError(
          `Snapshot ${request.snapshotId} ended in status "${status}"; no migration was applied.`,
          {
            fix: "Look at the snapshot in the RDS console (events of the database), then re-run.",
          },
        );
      },
    );
  } catch (error) {
    if (!(error instanceof PollTimeoutError)) throw error;
    throw new UserError(
      `Snapshot ${request.snapshotId} was not available within ${formatDuration(wait.timeoutMs)} (last status "${status}"); no migration was applied.`,
      {
        input: "backup-timeout",
        fix: "Raise `backup-timeout` (large databases take longer), then re-run: the run reuses the snapshot in progress.",
      },
    );
  }
  return { snapshotId: request.snapshotId, created, status, durationMs: clock.now() - started };
}

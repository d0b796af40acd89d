// The RDS snapshot wait with SDK mocks and simulated time: timeouts and odd states.
import {
  CreateDBSnapshotCommand,
  DBSnapshotAlreadyExistsFault,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { snapshotIdFor, takeSnapshot } from "../../../../packages/core/src/migrations/backup";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { UserError } from "../../../../packages/core/src/runtime/errors";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";

const rdsMock = mockClient(RDSClient);
const rds = new RDSClient({ region: "eu-west-1" });
beforeEach(() => rdsMock.reset());

const request = { kind: "instance" as const, database: "shop-db", snapshotId: "shipline-shop-db-run-7" };

describe("takeSnapshot", () => {
  it("gives up at the backup timeout, one progress line per change", async () => {
    rdsMock.on(CreateDBSnapshotCommand).resolves({});
    let percent = 0;
    rdsMock.on(DescribeDBSnapshotsCommand).callsFake(() => {
      percent += 5;
      return {
        DBSnapshots: [
          {
            Status: "creating",
            PercentProgress: Math.min(percent, 40),
            DBInstanceIdentifier: "shop-db",
          },
        ],
      };
    });
    const clock = new SimulatedClock();
    const logger = new RecordingLogger();
    const error = await takeSnapshot(rds, request, {
      clock,
      logger,
      timeoutMs: 600_000,
      intervalMs: 30_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(
      /was not available within 10m \(last status "creating"\); no migration was applied/,
    );
    expect((error as UserError).input).toBe("backup-timeout");
    const progress = logger.lines.filter((l) => l.level === "progress");
    expect(progress.length).toBe(8); // 5%..40%, then no change
  });

  it("refuses a snapshot of the same name that belongs to another database", async () => {
    rdsMock
      .on(CreateDBSnapshotCommand)
      .rejects(new DBSnapshotAlreadyExistsFault({ message: "exists", $metadata: {} }));
    rdsMock
      .on(DescribeDBSnapshotsCommand)
      .resolves({ DBSnapshots: [{ Status: "available", DBInstanceIdentifier: "billing-db" }] });
    await expect(
      takeSnapshot(rds, request, {
        clock: new SimulatedClock(),
        logger: new RecordingLogger(),
        timeoutMs: 60_000,
        intervalMs: 5_000,
      }),
    ).rejects.toThrow(/exists but is of billing-db, not shop-db/);
  });
});

describe("snapshotIdFor", () => {
  it.each([
    ["shop-db", "1001", "shipline-shop-db-run-1001"],
    ["Shop--DB-", "7", "shipline-Shop-DB-run-7"],
  ])("%s, run %s -> %s", (db, run, id) => {
    expect(snapshotIdFor(db, run, 0)).toBe(id);
  });

  it("uses the time outside a workflow run", () => {
    expect(snapshotIdFor("db", undefined, Date.UTC(2026, 0, 2, 3, 4, 5))).toBe(
      "shipline-db-at-20260102030405",
    );
  });
});

// Waiting for ECR's scan with the one poller, in simulated time: a missing scan is started, progress
// is said once per change, every findings page is read, ignored findings leave the counts.
import {
  DescribeImageScanFindingsCommand,
  ECRClient,
  LimitExceededException,
  ScanNotFoundException,
  StartImageScanCommand,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { waitForScan } from "../../../../packages/core/src/ecr/scan";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { UserError } from "../../../../packages/core/src/runtime/errors";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";

const ecrMock = mockClient(ECRClient);
afterEach(() => ecrMock.reset());

const DIGEST = `sha256:${"d".repeat(64)}`;
const repo = { name: "shop/web" };

function options(logger: RecordingLogger, extra: Partial<Parameters<typeof waitForScan>[3]> = {}) {
  return {
    clock: new SimulatedClock(),
    logger,
    timeoutMs: 300_000,
    intervalMs: 10_000,
    startIfMissing: true,
    ignore: [],
    ...extra,
  };
}

describe("waitForScan", () => {
  it("starts a missing basic scan, waits through IN_PROGRESS, and reads every page", async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejectsOnce(new ScanNotFoundException({ message: "no scan", $metadata: {} }))
      .resolvesOnce({ imageScanStatus: { status: "IN_PROGRESS" } })
      .resolvesOnce({ imageScanStatus: { status: "IN_PROGRESS" } })
      .resolvesOnce({
        imageScanStatus: { status: "COMPLETE" },
        imageScanFindings: {
          findingSeverityCounts: { CRITICAL: 1, HIGH: 2 },
          findings: [
            { name: "CVE-1", severity: "CRITICAL" },
            { name: "CVE-2", severity: "HIGH" },
          ],
        },
        nextToken: "page-2",
      })
      .resolvesOnce({
        imageScanStatus: { status: "COMPLETE" },
        imageScanFindings: { findings: [{ name: "CVE-3", severity: "HIGH" }] },
      });
    ecrMock.on(StartImageScanCommand).resolves({ imageScanStatus: { status: "IN_PROGRESS" } });
    const logger = new RecordingLogger();
    const result = await waitForScan(
      new ECRClient({ region: "eu-west-1" }),
      repo,
      DIGEST,
      options(logger, { ignore: ["CVE-1"] }),
    );

    expect(ecrMock.commandCalls(StartImageScanCommand)).toHaveLength(1);
    expect(result.status).toBe("COMPLETE");
    expect(result.findings.map((f) => f.id)).toEqual(["CVE-1", "CVE-2", "CVE-3"]);
    expect(result.counts).toMatchObject({ CRITICAL: 0, HIGH: 2 });
    expect(result.ignored).toMatchObject({ CRITICAL: 1 });
    expect(result.ignoredIds).toEqual(["CVE-1"]);
    // One progress line per change, not per poll.
    expect(logger.lines.filter((l) => l.level === "progress").map((l) => l.message)).toEqual([
      "scan: none yet; started a basic scan",
      "scan: IN_PROGRESS",
      "scan: COMPLETE, 2 high",
    ]);
  });

  it("refuses, as the user's to fix, when ECR will not start another scan today", async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(new ScanNotFoundException({ message: "no scan", $metadata: {} }));
    ecrMock.on(StartImageScanCommand).rejects(
      new LimitExceededException({
        message: "The scan quota per image has been exceeded. Wait and try again.",
        $metadata: {},
      }),
    );
    const error = await waitForScan(
      new ECRClient({ region: "eu-west-1" }),
      repo,
      DIGEST,
      options(new RecordingLogger()),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/ECR refused to start a scan .*scan quota per image/);
    expect((error as UserError).fix).toMatch(/scan on push/);
  });

  it("reads enhanced findings by their vulnerability id", async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({
      imageScanStatus: { status: "ACTIVE" },
      imageScanFindings: {
        findingSeverityCounts: { HIGH: 1 },
        enhancedFindings: [{ severity: "HIGH", packageVulnerabilityDetails: { vulnerabilityId: "CVE-9" } }],
      },
    });
    const result = await waitForScan(
      new ECRClient({ region: "eu-west-1" }),
      repo,
      DIGEST,
      options(new RecordingLogger(), { ignore: ["CVE-9"] }),
    );
    expect(result.status).toBe("ACTIVE");
    expect(result.counts.HIGH).toBe(0);
    expect(result.ignoredIds).toEqual(["CVE-9"]);
  });

  it("gives up at the deadline with a UserError naming scan-timeout", async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({ imageScanStatus: { status: "IN_PROGRESS" } });
    const clock = new SimulatedClock();
    const error = await waitForScan(new ECRClient({ region: "eu-west-1" }), repo, DIGEST, {
      ...options(new RecordingLogger()),
      clock,
      timeoutMs: 60_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).input).toBe("scan-timeout");
    expect((error as UserError).message).toContain("did not finish within 1m (last status: IN_PROGRESS)");
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(60_000);
  });

  it("returns a FAILED scan for the verdict to judge", async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({
      imageScanStatus: { status: "FAILED", description: "Unsupported layer" },
    });
    const result = await waitForScan(
      new ECRClient({ region: "eu-west-1" }),
      repo,
      DIGEST,
      options(new RecordingLogger()),
    );
    expect(result).toMatchObject({ status: "FAILED", description: "Unsupported layer" });
  });
});

// The scan gate through the bundle: ECR's scan of a real pushed image, its status and findings from
// the simulator's scenario, judged against a threshold (integration: dockerd + registry + simulated ECR).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBuildPush, SHA_A, SHA_B, type Stack, stackAvailable, startStack } from "./stack";

const FINDINGS = [
  { id: "CVE-2024-1111", severity: "CRITICAL", package: { name: "openssl", version: "3.0.1" } },
  { id: "CVE-2024-2222", severity: "HIGH" },
  { id: "CVE-2024-3333", severity: "HIGH" },
  { id: "CVE-2024-4444", severity: "MEDIUM" },
] as const;

describe.runIf(stackAvailable())(
  "build-push scan gate (integration: dockerd + registry + simulated ECR)",
  () => {
    let stack: Stack;
    let passedDigest: string;

    beforeAll(async () => {
      stack = await startStack();
      // 60 simulated seconds per real second: a 90-second scan takes 1.5 s.
      stack.reset(
        {
          repositories: [{ name: "shop/web", scanOnPush: true }, { name: "shop/manual" }],
          scans: [
            { tag: SHA_A, inProgressMs: 90_000, findings: [...FINDINGS] },
            { tag: SHA_B, inProgressMs: 30_000, findings: [...FINDINGS] },
          ],
        },
        60,
      );
    });
    afterAll(async () => {
      await stack?.stop();
    });

    const gate = { "scan-poll-interval": "1s", "scan-timeout": "1m" };

    it("waits for the scan, passes with allowed and ignored findings, and shows the counts", async () => {
      const run = await runBuildPush(stack, {
        repository: "shop/web",
        context: "hello",
        network: "host",
        "scan-severity-threshold": "high",
        "scan-allowed-findings": "high=2",
        "scan-ignore": "CVE-2024-1111, CVE-2099-0000",
        ...gate,
      });
      expect(run.exitCode, run.stdout).toBe(0);
      passedDigest = run.outputs.digest ?? "";
      expect(run.visibleLog).toMatch(/scan: IN_PROGRESS/);
      expect(run.visibleLog).toMatch(/scan: COMPLETE, 2 high, 1 medium/);
      expect(run.visibleLog).toContain("Ignored ids with no finding in this image: CVE-2099-0000");
      const report = JSON.parse(run.outputs.report ?? "{}") as {
        scan: { passed: boolean; counts: Record<string, number>; ignoredIds: string[] };
      };
      expect(report.scan.passed).toBe(true);
      expect(report.scan.counts).toMatchObject({ CRITICAL: 0, HIGH: 2, MEDIUM: 1 });
      expect(report.scan.ignoredIds).toEqual(["CVE-2024-1111"]);
      expect(run.summary).toContain("Scan: passed (COMPLETE, threshold high)");
      expect(run.summary).toMatch(/\| CRITICAL \| 0 \| 1 \| 0 \| ok \|/);
      expect(run.summary).toMatch(/\| HIGH \| 2 \| 0 \| 2 \| ok \|/);
      expect(run.summary).toMatch(/\| MEDIUM \| 1 \| 0 \| not judged \|/);
      expect(JSON.parse(run.outputs.tags ?? "")).toEqual([SHA_A, "main"]);
    });

    it("fails on findings over the threshold, keeps the counts and outputs, and does not move the branch tag", async () => {
      const run = await runBuildPush(
        stack,
        {
          repository: "shop/web",
          context: "hello",
          network: "host",
          "build-args": "GREETING=vulnerable",
          "scan-severity-threshold": "critical",
          ...gate,
        },
        { sha: SHA_B },
      );
      expect(run.exitCode).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]?.message).toContain("The scan gate failed");
      expect(run.errors[0]?.message).toContain("1 critical finding (allowed 0)");
      expect(run.outputs.digest).toBe(stack.registry.skopeoDigest("shop/web", SHA_B));
      expect(run.summary).toContain("Scan: failed");
      expect(run.summary).toMatch(/\| CRITICAL \| 1 \| 0 \| 0 \| over \|/);
      // The gate runs before the other tags: `main` still names the image that passed.
      expect(stack.registry.skopeoDigest("shop/web", "main")).toBe(passedDigest);
    });

    it("fails when the scan itself FAILED: nothing can be judged", async () => {
      stack.sim.ecr.addScanRule({
        tag: "f".repeat(40),
        status: "FAILED",
        inProgressMs: 0,
        description: "The scanner could not unpack a layer.",
      });
      const run = await runBuildPush(
        stack,
        {
          repository: "shop/web",
          context: "hello",
          network: "host",
          "branch-tag": "false",
          "scan-severity-threshold": "critical",
          ...gate,
        },
        { sha: "f".repeat(40) },
      );
      expect(run.exitCode).toBe(1);
      expect(run.errors[0]?.message).toContain(
        "the scan ended FAILED (The scanner could not unpack a layer.)",
      );
    });

    it("starts a basic scan itself when the repository does not scan on push", async () => {
      const built = await runBuildPush(stack, {
        repository: "shop/manual",
        context: "hello",
        network: "host",
        "branch-tag": "false",
      });
      expect(built.exitCode, built.stdout).toBe(0);
      const run = await runBuildPush(stack, {
        repository: "shop/manual",
        mode: "promote",
        source: built.outputs.image,
        version: "v1.0.0",
        "scan-severity-threshold": "high",
        "scan-allowed-findings": "critical=1\nhigh=2",
        ...gate,
      });
      expect(run.exitCode, run.stdout).toBe(0);
      expect(run.calls.map((c) => c.operation)).toContain("StartImageScan");
      expect(run.visibleLog).toContain("started a basic scan");
      expect(stack.registry.skopeoDigest("shop/manual", "v1.0.0")).toBe(built.outputs.digest);
    });

    it("gives up at the scan timeout with a clear error", async () => {
      stack.sim.ecr.addScanRule({ tag: "9".repeat(40), inProgressMs: 24 * 3_600_000 });
      const started = Date.now();
      const run = await runBuildPush(
        stack,
        {
          repository: "shop/web",
          context: "hello",
          network: "host",
          "branch-tag": "false",
          "scan-severity-threshold": "critical",
          "scan-poll-interval": "1s",
          "scan-timeout": "5s",
        },
        { sha: "9".repeat(40) },
      );
      expect(run.exitCode).toBe(1);
      expect(run.errors[0]?.message).toContain("did not finish within 5s (last status: IN_PROGRESS)");
      expect(Date.now() - started).toBeLessThan(30_000);
    });

    it("judges an enhanced scan at ACTIVE, ignoring findings by vulnerability id", async () => {
      stack.reset(
        {
          scanning: { type: "ENHANCED", inProgressMs: 30_000 },
          repositories: [{ name: "shop/enhanced" }],
          scans: [{ tag: SHA_A, findings: [...FINDINGS] }],
        },
        60,
      );
      const run = await runBuildPush(stack, {
        repository: "shop/enhanced",
        context: "hello",
        network: "host",
        "branch-tag": "false",
        "scan-severity-threshold": "critical",
        "scan-ignore": "CVE-2024-1111",
        ...gate,
      });
      expect(run.exitCode, run.stdout).toBe(0);
      expect(run.visibleLog).toMatch(/scan: ACTIVE, 2 high, 1 medium/);
      expect(run.calls.map((c) => c.operation)).not.toContain("StartImageScan");
      expect(run.summary).toContain("Scan: passed (ACTIVE, threshold critical)");
    });
  },
);

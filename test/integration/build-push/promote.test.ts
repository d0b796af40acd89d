// build-push in promote mode through the committed bundle: re-tagging the image verified in staging
// with BatchGetImage + PutImage against the simulated ECR in front of a real registry (integration).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MUTATING_ECR_CALLS,
  runBuildPush,
  SHA_A,
  SHA_B,
  type Stack,
  stackAvailable,
  startStack,
} from "./stack";

describe.runIf(stackAvailable())(
  "build-push promote mode (integration: dockerd + registry + simulated ECR)",
  () => {
    let stack: Stack;
    let staging: { image: string; digest: string };

    beforeAll(async () => {
      stack = await startStack();
      stack.reset({
        repositories: [{ name: "shop/web" }, { name: "shop/locked", imageTagMutability: "IMMUTABLE" }],
      });
      const built = await runBuildPush(stack, {
        repository: "shop/web",
        context: "hello",
        network: "host",
        environment: "staging",
      });
      if (built.exitCode !== 0) throw new Error(`staging build failed:\n${built.stdout}`);
      staging = { image: built.outputs.image ?? "", digest: built.outputs.digest ?? "" };
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it("adds v1.5.0 and its semver tags to the staging image with no blob transfer and the same digest", async () => {
      await stack.registry.settle();
      const mark = stack.registry.mark();
      const run = await runBuildPush(
        stack,
        { repository: "shop/web", mode: "promote", source: staging.image, "semver-tags": "true" },
        { ref: "refs/tags/v1.5.0" },
      );
      expect(run.exitCode, run.stdout).toBe(0);
      expect(run.outputs.digest).toBe(staging.digest);
      expect(run.outputs.image).toBe(staging.image);
      expect(run.outputs.built).toBe("false");
      expect(JSON.parse(run.outputs.tags ?? "")).toEqual(["v1.5.0", "1.5.0", "1.5", "1"]);
      await stack.registry.settle();
      const requests = stack.registry.requests(mark).filter((r) => !r.path.startsWith("/v2/_settle"));
      expect(stack.registry.blobTransfers(mark)).toEqual([]);
      // The action's only writes are the four manifest PUTs.
      expect(requests.filter((r) => r.method === "PUT").map((r) => r.path)).toEqual(
        ["v1.5.0", "1.5.0", "1.5", "1"].map((t) => `/v2/shop/web/manifests/${t}`),
      );
      expect(requests.filter((r) => r.method === "POST" || r.method === "PATCH")).toEqual([]);
      // Read back independently; skopeo reads blobs itself, so only after the log was checked.
      for (const tag of ["v1.5.0", "1.5.0", "1.5", "1"]) {
        expect(stack.registry.skopeoDigest("shop/web", tag)).toBe(staging.digest);
      }
      const operations = run.calls.map((c) => c.operation);
      expect(operations).not.toContain("GetAuthorizationToken");
      expect(operations.filter((op) => op === "PutImage")).toHaveLength(4);
      // The permissions the README lists for promote, and no others.
      expect([...new Set(run.calls.map((c) => c.iamAction))].sort()).toEqual([
        "ecr:BatchGetImage",
        "ecr:DescribeRepositories",
        "ecr:PutImage",
      ]);
      expect(run.summary).toContain("promoted");
    });

    it("is idempotent: promoting again changes nothing and gives the same outputs", async () => {
      const run = await runBuildPush(
        stack,
        { repository: "shop/web", mode: "promote", source: staging.image, "semver-tags": "true" },
        { ref: "refs/tags/v1.5.0" },
      );
      expect(run.exitCode, run.stdout).toBe(0);
      expect(run.outputs.digest).toBe(staging.digest);
      expect(run.calls.map((c) => c.operation)).not.toContain("PutImage");
      const report = JSON.parse(run.outputs.report ?? "{}") as { tagChanges: { action: string }[] };
      expect(report.tagChanges.map((c) => c.action)).toEqual([
        "unchanged",
        "unchanged",
        "unchanged",
        "unchanged",
      ]);
    });

    it("promotes by tag or by digest as well as by image reference", async () => {
      for (const source of [SHA_A, staging.digest]) {
        const run = await runBuildPush(stack, {
          repository: "shop/web",
          mode: "promote",
          source,
          tags: "approved",
        });
        expect(run.exitCode, run.stdout).toBe(0);
        expect(run.outputs.digest).toBe(staging.digest);
      }
    });

    it("refuses to move a version tag to another image, changing nothing", async () => {
      const other = await runBuildPush(
        stack,
        {
          repository: "shop/web",
          context: "hello",
          network: "host",
          "branch-tag": "false",
          "build-args": "GREETING=other",
        },
        { sha: SHA_B },
      );
      expect(other.exitCode, other.stdout).toBe(0);
      expect(other.outputs.digest).not.toBe(staging.digest);

      const run = await runBuildPush(
        stack,
        { repository: "shop/web", mode: "promote", source: SHA_B, "semver-tags": "true" },
        { ref: "refs/tags/v1.5.0" },
      );
      expect(run.exitCode).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]?.message).toContain("`v1.5.0` already names");
      expect(run.errors[0]?.message).toContain("nothing was changed");
      // The refused run still says which image it was asked to promote.
      expect(run.outputs.digest).toBe(other.outputs.digest);
      expect(run.calls.map((c) => c.operation).filter((op) => MUTATING_ECR_CALLS.includes(op))).toEqual([]);
      expect(stack.registry.skopeoDigest("shop/web", "1.5")).toBe(staging.digest);
    });

    it("moves a floating tag such as the environment when the repository allows it", async () => {
      const run = await runBuildPush(stack, {
        repository: "shop/web",
        mode: "promote",
        source: SHA_B,
        environment: "staging",
      });
      expect(run.exitCode, run.stdout).toBe(0);
      const report = JSON.parse(run.outputs.report ?? "{}") as {
        tagChanges: { tag: string; action: string; from?: string }[];
      };
      expect(report.tagChanges).toEqual([{ tag: "staging", action: "moved", from: staging.digest }]);
      expect(stack.registry.skopeoDigest("shop/web", "staging")).toBe(run.outputs.digest);
    });

    it("refuses an immutable repository's taken tag with an explanation, before any PutImage", async () => {
      // Put one image in the IMMUTABLE repository under v2.0.0, then try to give that tag to another.
      const first = await runBuildPush(
        stack,
        {
          repository: "shop/locked",
          context: "hello",
          network: "host",
          "branch-tag": "false",
          tags: "v2.0.0",
        },
        { sha: SHA_A },
      );
      expect(first.exitCode, first.stdout).toBe(0);
      const second = await runBuildPush(
        stack,
        {
          repository: "shop/locked",
          context: "hello",
          network: "host",
          "branch-tag": "false",
          "build-args": "GREETING=2",
        },
        { sha: SHA_B },
      );
      expect(second.exitCode, second.stdout).toBe(0);
      const run = await runBuildPush(stack, {
        repository: "shop/locked",
        mode: "promote",
        source: SHA_B,
        version: "v2.0.0",
      });
      expect(run.exitCode).toBe(1);
      expect(run.errors[0]?.message).toContain("does not let it move (tag immutability)");
      expect(run.calls.map((c) => c.operation)).not.toContain("PutImage");
    });

    it("absorbs ECR throttling with the SDK's retries", async () => {
      stack.sim.injectFault(
        { service: "ecr", operation: "BatchGetImage", kind: "throttle", count: 2 },
        { service: "ecr", operation: "PutImage", kind: "throttle", count: 1 },
      );
      const run = await runBuildPush(stack, {
        repository: "shop/web",
        mode: "promote",
        source: SHA_A,
        tags: "throttled",
      });
      expect(run.exitCode, run.stdout).toBe(0);
      expect(run.outputs.digest).toBe(staging.digest);
      expect(run.calls.filter((c) => c.fault === "throttle")).toHaveLength(3);
      expect(run.calls.filter((c) => c.operation === "PutImage" && c.status === 200)).toHaveLength(1);
    });

    it("fails clearly when the source image is not in the repository", async () => {
      const run = await runBuildPush(stack, {
        repository: "shop/web",
        mode: "promote",
        source: "f".repeat(40),
        version: "v9.9.9",
      });
      expect(run.exitCode).toBe(1);
      expect(run.errors[0]?.message).toContain(
        `The image to promote (tag ${"f".repeat(40)}) is not in shop/web`,
      );
      expect(run.calls.map((c) => c.operation)).not.toContain("PutImage");
    });
  },
);

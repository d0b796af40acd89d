// build-push in build mode, through the committed bundle, against a real Docker engine, a real
// registry and the simulator's ECR in front of it (integration).

import { spawnSync } from "node:child_process";
import { DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsClientConfig } from "../../../packages/core/src/aws/clients";
import { everythingPrinted } from "../../rig/harness";
import { modernClientsWithoutBuildx } from "../../rig/services/docker";
import {
  BUSYBOX_BASE,
  type BuildPushRun,
  dockerConfig,
  MUTATING_ECR_CALLS,
  runBuildPush,
  SHA_A,
  SHA_B,
  type Stack,
  stackAvailable,
  startStack,
} from "./stack";

function ecrClient(stack: Stack): ECRClient {
  return new ECRClient({
    ...awsClientConfig({ region: stack.sim.region, endpoint: stack.sim.endpoint }),
    credentials: { accessKeyId: "AKIASIMULATOR000000", secretAccessKey: "x" },
  });
}

describe.runIf(stackAvailable())(
  "build-push build mode (integration: dockerd + registry + simulated ECR)",
  () => {
    let stack: Stack;
    let first: BuildPushRun;

    beforeAll(async () => {
      stack = await startStack({ busybox: true });
      stack.reset({ repositories: [{ name: "shop/web", scanOnPush: true }] });
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it("builds a fixture image, pushes it through the simulator's login, and outputs the registry's digest", async () => {
      const mark = stack.registry.mark();
      first = await runBuildPush(stack, {
        repository: "shop/web",
        context: "hello",
        network: "host",
        "build-args": "GREETING=hi there",
      });
      expect(first.errors, first.stdout).toEqual([]);
      expect(first.exitCode).toBe(0);

      const digest = stack.registry.skopeoDigest("shop/web", SHA_A);
      expect(first.outputs.digest).toBe(digest);
      expect(first.outputs.image).toBe(`${stack.registry.host}/shop/web@${digest}`);
      expect(JSON.parse(first.outputs.tags ?? "")).toEqual([SHA_A, "main"]);
      expect(first.outputs.registry).toBe(stack.registry.host);
      expect(first.outputs.built).toBe("true");
      expect(first.visibleLog).toContain("docker build with BuildKit");

      const described = await ecrClient(stack).send(
        new DescribeImagesCommand({ repositoryName: "shop/web", imageIds: [{ imageTag: "main" }] }),
      );
      expect(described.imageDetails?.[0]?.imageDigest).toBe(digest);
      expect(described.imageDetails?.[0]?.imageTags).toEqual([SHA_A, "main"]);

      const labels = stack.registry.skopeoLabels("shop/web", SHA_A);
      expect(labels).toMatchObject({
        "org.opencontainers.image.revision": SHA_A,
        "org.opencontainers.image.source": "https://github.com/acme/shop",
        "com.example.greeting": "hi there",
      });
      expect(Date.parse(labels["org.opencontainers.image.created"] ?? "")).toBeGreaterThan(0);

      // One push of the commit tag by docker; `main` was added by PutImage, without moving a layer again.
      await stack.registry.settle();
      const manifestPuts = stack.registry
        .requests(mark)
        .filter((r) => r.method === "PUT" && r.path.includes("/manifests/"))
        .map((r) => r.path);
      expect(manifestPuts).toEqual([`/v2/shop/web/manifests/${SHA_A}`, "/v2/shop/web/manifests/main"]);
      const report = JSON.parse(first.outputs.report ?? "{}") as { built: boolean; tagChanges: unknown[] };
      expect(report.tagChanges).toEqual([
        { tag: SHA_A, action: "added" },
        { tag: "main", action: "added" },
      ]);
      expect(first.summary).toContain(digest);
      // ECR API permissions of a build, all in the README's list (the layer pushes go to the registry).
      expect([...new Set(first.calls.map((c) => c.iamAction))].sort()).toEqual([
        "ecr:BatchGetImage",
        "ecr:DescribeImages",
        "ecr:DescribeRepositories",
        "ecr:GetAuthorizationToken",
        "ecr:PutImage",
      ]);
    });

    it("never shows the registry password in the log, the summary or the outputs, and masks it", async () => {
      const printed = everythingPrinted(first);
      expect(printed).not.toContain(stack.registry.password);
      expect(printed).not.toContain(Buffer.from(`AWS:${stack.registry.password}`).toString("base64"));
      expect(first.masks).toContain(stack.registry.password);
      expect(first.visibleLog).toContain("Login Succeeded");
    });

    it("logs out of the registry in the post step", async () => {
      expect(first.state.registry).toBe(stack.registry.host);
      expect(Object.keys(dockerConfig(stack).auths ?? {})).toContain(stack.registry.host);
      const post = await runBuildPush(stack, { repository: "shop/web" }, { post: { state: first.state } });
      expect(post.exitCode, post.stdout).toBe(0);
      expect(post.visibleLog).toContain(`Logged out of ${stack.registry.host}`);
      expect(Object.keys(dockerConfig(stack).auths ?? {})).not.toContain(stack.registry.host);
      expect(post.calls).toEqual([]);
    });

    it("skips the build when the commit's image is in ECR, with the same outputs and no push", async () => {
      const mark = stack.registry.mark();
      const again = await runBuildPush(stack, {
        repository: "shop/web",
        context: "hello",
        network: "host",
        "build-args": "GREETING=hi there",
      });
      expect(again.exitCode, again.stdout).toBe(0);
      for (const name of ["image", "digest", "tags", "registry"])
        expect(again.outputs[name]).toBe(first.outputs[name]);
      expect(again.outputs.built).toBe("false");
      expect(again.visibleLog).toContain("Skipping the build");
      await stack.registry.settle();
      expect(stack.registry.requests(mark).filter((r) => r.method !== "GET" && r.method !== "HEAD")).toEqual(
        [],
      );
      expect(again.calls.map((c) => c.operation).filter((op) => MUTATING_ECR_CALLS.includes(op))).toEqual([]);
      expect(again.state.registry).toBeUndefined();
    });

    it("builds with BuildKit secrets, build args and a target stage, never printing the secret", async () => {
      const secret = "npm-token-9f8e7d6c5b4a";
      const run = await runBuildPush(
        stack,
        {
          repository: "shop/web",
          context: "busybox-app",
          network: "host",
          target: "release",
          "build-args": `BASE=${BUSYBOX_BASE}`,
          secrets: `npm_token=${secret}`,
          "branch-tag": "false",
          tags: "release-candidate",
        },
        { sha: SHA_B },
      );
      expect(run.exitCode, run.stdout).toBe(0);
      expect(everythingPrinted(run)).not.toContain(secret);
      expect(run.masks).toContain(secret);
      expect(run.visibleLog).toContain("[release");
      expect(run.visibleLog).not.toContain("debug > /debug.txt");
      expect(JSON.parse(run.outputs.tags ?? "")).toEqual([SHA_B, "release-candidate"]);
      expect(run.outputs.digest).toBe(stack.registry.skopeoDigest("shop/web", "release-candidate"));
      expect(run.outputs.digest).not.toBe(first.outputs.digest);
    });

    it("creates a missing repository when asked, with the requested settings", async () => {
      const run = await runBuildPush(stack, {
        repository: "shop/new-service",
        context: "hello",
        network: "host",
        "create-repository": "true",
        "tag-mutability": "IMMUTABLE",
        "scan-on-push": "true",
        "branch-tag": "false",
        "commit-tag": "short",
      });
      expect(run.exitCode, run.stdout).toBe(0);
      expect(JSON.parse(run.outputs.tags ?? "")).toEqual([SHA_A.slice(0, 7)]);
      const repo = (
        await ecrClient(stack).send(
          new DescribeRepositoriesCommand({ repositoryNames: ["shop/new-service"] }),
        )
      ).repositories?.[0];
      expect(repo).toMatchObject({
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
      });
      expect(run.outputs.digest).toBe(stack.registry.skopeoDigest("shop/new-service", SHA_A.slice(0, 7)));
      const calls = run.calls.map((c) => c.operation);
      expect(calls.indexOf("CreateRepository")).toBeLessThan(calls.indexOf("GetAuthorizationToken"));
    });

    it("refuses a branch tag in an IMMUTABLE repository before anything is built or pushed", async () => {
      const mark = stack.registry.mark();
      const run = await runBuildPush(
        stack,
        { repository: "shop/new-service", context: "hello", network: "host" },
        { sha: SHA_B },
      );
      expect(run.exitCode).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]?.message).toContain("`main` would have to move");
      expect(run.errors[0]?.message).toContain("branch-tag");
      expect(run.calls.map((c) => c.operation).filter((op) => MUTATING_ECR_CALLS.includes(op))).toEqual([]);
      await stack.registry.settle();
      expect(stack.registry.requests(mark).filter((r) => r.method !== "GET" && r.method !== "HEAD")).toEqual(
        [],
      );
    });

    it("refuses more than one platform without buildx before anything is pushed", async () => {
      const run = await runBuildPush(
        stack,
        {
          repository: "shop/web",
          context: "hello",
          platforms: "linux/amd64,linux/arm64",
          "branch-tag": "false",
        },
        { sha: "c".repeat(40) },
      );
      expect(run.exitCode).toBe(1);
      expect(run.errors[0]?.message).toContain("needs docker buildx");
      expect(run.calls.map((c) => c.operation).filter((op) => MUTATING_ECR_CALLS.includes(op))).toEqual([]);
    });

    it("stops the docker build when the workflow is cancelled, pushing nothing", async () => {
      const mark = stack.registry.mark();
      const sha = "d".repeat(40);
      const run = await runBuildPush(
        stack,
        {
          repository: "shop/web",
          context: "slow-app",
          network: "host",
          "build-args": `BASE=${BUSYBOX_BASE}`,
          "branch-tag": "false",
        },
        { sha, cancelWhen: /slow-step-started/ },
      );
      expect(run.exitCode).toBe(1);
      expect(run.errors.at(-1)?.message).toMatch(/cancelled; `docker build` was stopped/);
      // The RUN step sleeps for 417 s: ending within a minute means the build itself was stopped.
      expect(run.durationMs).toBeLessThan(60_000);
      const stillSleeping = async (): Promise<boolean> =>
        spawnSync("pgrep", ["-f", "sleep 417"], { encoding: "utf8" }).status === 0;
      const deadline = Date.now() + 20_000;
      while ((await stillSleeping()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(await stillSleeping()).toBe(false);
      // The login came before the build; nothing was tagged or scanned after it.
      expect(run.calls.map((c) => c.operation).filter((op) => MUTATING_ECR_CALLS.includes(op))).toEqual([
        "GetAuthorizationToken",
      ]);
      await stack.registry.settle();
      expect(stack.registry.requests(mark).filter((r) => r.method !== "GET" && r.method !== "HEAD")).toEqual(
        [],
      );
    });

    it("rebuilds a commit already in ECR with skip-existing: false, moving its commit tag", async () => {
      const before = stack.registry.skopeoDigest("shop/web", SHA_A);
      const run = await runBuildPush(stack, {
        repository: "shop/web",
        context: "hello",
        network: "host",
        "branch-tag": "false",
        "skip-existing": "false",
        "build-args": "GREETING=rebuilt",
      });
      expect(run.exitCode, run.stdout).toBe(0);
      expect(run.outputs.built).toBe("true");
      expect(run.outputs.digest).not.toBe(before);
      expect(stack.registry.skopeoDigest("shop/web", SHA_A)).toBe(run.outputs.digest);
      const report = JSON.parse(run.outputs.report ?? "{}") as { tagChanges: unknown[] };
      expect(report.tagChanges).toEqual([{ tag: SHA_A, action: "moved", from: before }]);
    });

    it("refuses skip-existing: false when the commit tag cannot move, before anything is built", async () => {
      const mark = stack.registry.mark();
      const run = await runBuildPush(stack, {
        repository: "shop/new-service",
        context: "hello",
        network: "host",
        "branch-tag": "false",
        "commit-tag": "short",
        "skip-existing": "false",
      });
      expect(run.exitCode).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]?.message).toContain("`skip-existing` is false");
      expect(run.errors[0]?.message).toContain("does not let tags move");
      expect(run.calls.map((c) => c.operation).filter((op) => MUTATING_ECR_CALLS.includes(op))).toEqual([]);
      await stack.registry.settle();
      expect(stack.registry.requests(mark).filter((r) => r.method !== "GET" && r.method !== "HEAD")).toEqual(
        [],
      );
    });

    const modern = modernClientsWithoutBuildx();
    it.runIf(modern.length > 0)(
      "falls back to the legacy builder with a client that has neither buildx nor BuildKit",
      async () => {
        const client = modern[0] as string;
        const sha = "d".repeat(40);
        const run = await runBuildPush(
          stack,
          { repository: "shop/web", context: "hello", network: "host", "branch-tag": "false" },
          { sha, client },
        );
        expect(run.exitCode, run.stdout).toBe(0);
        expect(run.visibleLog).toContain("docker build with the legacy builder");
        expect(run.outputs.digest).toBe(stack.registry.skopeoDigest("shop/web", sha));

        const refused = await runBuildPush(
          stack,
          {
            repository: "shop/web",
            context: "busybox-app",
            secrets: "npm_token=x-y-z-1",
            "branch-tag": "false",
          },
          { sha: "e".repeat(40), client },
        );
        expect(refused.exitCode).toBe(1);
        expect(refused.errors[0]?.message).toContain("build secrets need BuildKit");
      },
    );
  },
);

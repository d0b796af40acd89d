// Every bad input fails before anything is pushed or changed, with one clear error naming the input
// (integration: through the bundle, against the real Docker engine, registry and simulated ECR).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MUTATING_ECR_CALLS, runBuildPush, type Stack, stackAvailable, startStack } from "./stack";

const cases: [string, Record<string, string>, string, string | undefined][] = [
  ["a context without a Dockerfile", { context: "." }, "there is no Dockerfile at Dockerfile", "context"],
  [
    "a Dockerfile that does not exist",
    { context: "hello", dockerfile: "hello/Dockerfile.prod" },
    "there is no Dockerfile at hello/Dockerfile.prod",
    "dockerfile",
  ],
  [
    "a context directory that does not exist",
    { context: "services/api" },
    "the directory services/api does not exist",
    "context",
  ],
  ["a context outside the workspace", { context: "../.." }, "is outside the workspace", "context"],
  [
    "invalid tag characters",
    { context: "hello", tags: "release candidate!" },
    'the item "release candidate!" is not valid',
    "tags",
  ],
  [
    "an environment that is not a valid tag",
    { context: "hello", environment: "prod/eu" },
    '"prod/eu" is not valid',
    "environment",
  ],
  [
    "an unknown repository without create",
    { repository: "shop/unknown", context: "hello" },
    'The ECR repository "shop/unknown" given in `repository` does not exist',
    "repository",
  ],
  [
    "an invalid repository name",
    { repository: "Shop/Web", context: "hello" },
    "is not a valid ECR repository name",
    "repository",
  ],
  [
    "a registry that is not ECR",
    { repository: "ghcr.io/acme/web", context: "hello" },
    "names a registry that is not ECR",
    "repository",
  ],
  [
    "promote mode without a source",
    { mode: "promote", version: "v1.0.0" },
    "promote mode needs the image to promote",
    "source",
  ],
  [
    "a source in build mode",
    { context: "hello", source: "abc" },
    "it is only used in promote mode",
    "source",
  ],
  [
    "semver tags without a version",
    { context: "hello", "semver-tags": "true" },
    "there is no version",
    "semver-tags",
  ],
  [
    "semver tags of a version that is not semver",
    { context: "hello", version: "release-7", "semver-tags": "true" },
    '"release-7" is not a semantic version',
    "version",
  ],
  [
    "scan settings without the gate",
    { context: "hello", "scan-ignore": "CVE-2024-1" },
    "no effect without the scan gate",
    "scan-ignore",
  ],
  [
    "an unknown severity threshold",
    { context: "hello", "scan-severity-threshold": "severe" },
    '"severe" is not one of the allowed values',
    "scan-severity-threshold",
  ],
  [
    "a commit that is not a full SHA",
    { context: "hello", commit: "abc123" },
    "Give the full 40-character commit SHA",
    "commit",
  ],
];

describe.runIf(stackAvailable())(
  "build-push input validation (integration: dockerd + registry + simulated ECR)",
  () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack();
      stack.reset({ repositories: [{ name: "shop/web" }] });
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it.each(cases)("fails before any push on %s", async (_, inputs, message, input) => {
      await stack.registry.settle();
      const mark = stack.registry.mark();
      const run = await runBuildPush(stack, { repository: "shop/web", network: "host", ...inputs });
      expect(run.exitCode).toBe(1);
      expect(run.errors).toHaveLength(1);
      const error = run.errors[0];
      expect(error?.message).toContain(message);
      if (input) expect(error?.message).toContain(`\`${input}\``);
      expect(error?.message).toMatch(/Fix: /);
      expect(run.calls.map((c) => c.operation).filter((op) => MUTATING_ECR_CALLS.includes(op))).toEqual([]);
      await stack.registry.settle();
      const writes = stack.registry.requests(mark).filter((r) => r.method !== "GET" && r.method !== "HEAD");
      expect(writes).toEqual([]);
      expect(run.state.registry).toBeUndefined();
    });
  },
);

// build-push promote through the bundle against the simulated ECR (images in memory, no Docker): the
// calls one promote takes, a version tag that never moves whatever tag BatchGetImage answers with, the
// tags read again before writing after the scan gate waited, and a malformed source refused before any
// call (integration: simulator).
//
// Each case runs once per way of answering. "aws" and "compat" are the simulator's two profiles: ECR
// as its API reference describes it, and an AWS-compatible endpoint whose BatchGetImage answers with
// the image's most recently written tag. "other-tag", kept in this file, is harsher than either: every
// image asked by tag is answered with another tag of that image wherever it has one.
import { afterEach, describe, expect, it } from "vitest";
import { type ActionRun, runAction } from "../../rig/harness";
import {
  type Scenario,
  type SimProfile,
  type Simulator,
  simulatorEnv,
  startSimulator,
} from "../../sim/index";

type Shape = Record<string, unknown>;
type ImageIdShape = { imageTag?: string; imageDigest?: string };

/** Every tag of an image, as the simulated ECR holds them. */
async function tagsOf(simulator: Simulator, repositoryName: string, imageDigest: string): Promise<string[]> {
  const images = await simulator.ecr.images(repositoryName);
  return [...(images.find((image) => image.imageDigest === imageDigest)?.imageTags ?? [])];
}

/** Answers each image asked by tag with another tag of that image, where it has one. */
function answerWithAnotherTag(sim: Simulator): void {
  sim.override({
    service: "ecr",
    operation: "BatchGetImage",
    handle: async ({ input, next }) => {
      const out = (await next()) as Shape;
      const images = out.images as { imageId: ImageIdShape }[];
      for (const image of images) {
        const asked = image.imageId.imageTag;
        if (asked === undefined || image.imageId.imageDigest === undefined) continue;
        const tags = await tagsOf(sim, String(input.repositoryName), image.imageId.imageDigest);
        const other = tags.find((tag) => tag !== asked);
        if (other) image.imageId = { ...image.imageId, imageTag: other };
      }
      return out;
    },
  });
}

const ANSWERING: Record<string, { profile: SimProfile; install: (sim: Simulator) => void }> = {
  aws: { profile: "aws", install: () => {} },
  compat: { profile: "compat", install: () => {} },
  "other-tag": { profile: "aws", install: answerWithAnotherTag },
};

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(answering: string, scenario: Scenario): Promise<Simulator> {
  const way = ANSWERING[answering];
  if (!way) throw new Error(`no way of answering called ${answering}`);
  sim = await startSimulator({ scenario, profile: way.profile });
  way.install(sim);
  return sim;
}

function promote(
  simulator: Simulator,
  inputs: Record<string, string>,
  options: { onLine?: (line: string) => void } = {},
): Promise<ActionRun> {
  return runAction("build-push", {
    inputs: { repository: "shop/web", mode: "promote", ...inputs },
    env: { ...simulatorEnv(simulator), GITHUB_SHA: "a".repeat(40), GITHUB_REF: "refs/heads/main" },
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
}

const REPOSITORY_URI = (simulator: Simulator) =>
  `${simulator.accountId}.dkr.ecr.${simulator.region}.amazonaws.com/shop/web`;
const operations = (simulator: Simulator) => simulator.calls.map((call) => call.operation);

async function digestOfTag(simulator: Simulator, tag: string): Promise<string | undefined> {
  return (await simulator.ecr.resolveImage(`shop/web:${tag}`))?.digest;
}

describe.each(Object.keys(ANSWERING))("build-push promote, BatchGetImage answering as %s", (answering) => {
  const scenario: Scenario = { ecr: { repositories: [{ name: "shop/web" }] } };

  it("promotes one new tag with one BatchGetImage and one PutImage", async () => {
    const simulator = await start(answering, scenario);
    const staging = simulator.ecr.seedImage("shop/web", { tags: ["abc", "staging"] });
    const image = `${REPOSITORY_URI(simulator)}@${staging}`;
    const run = await promote(simulator, { source: image, version: "v1.0.0" });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ image, digest: staging, tags: JSON.stringify(["v1.0.0"]) });
    expect(operations(simulator)).toEqual(["BatchGetImage", "PutImage"]);
    expect(await digestOfTag(simulator, "v1.0.0")).toBe(staging);
  });

  it("never moves v1.0.0 to another image, whatever tag the answer carries, and writes nothing", async () => {
    const simulator = await start(answering, scenario);
    const ecr = simulator.ecr;
    const staging = ecr.seedImage("shop/web", { tags: ["abc"] });
    const released = ecr.seedImage("shop/web", { tags: ["v1.0.0", "latest"] });
    const run = await promote(simulator, { source: "abc", version: "v1.0.0" });
    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toContain("`v1.0.0` already names");
    expect(run.errors[0]?.message).toContain("nothing was changed");
    expect(run.stdout).not.toContain("This is a bug");
    expect(operations(simulator)).not.toContain("PutImage");
    expect(await digestOfTag(simulator, "v1.0.0")).toBe(released);
    expect(run.outputs.digest).toBe(staging);
  });

  it("reads the tags again after the scan gate waited, and refuses v1.0.0 taken meanwhile", async () => {
    const simulator = await start(answering, {
      clock: { mode: "manual" },
      ecr: { repositories: [{ name: "shop/web", scanOnPush: true }], scanning: { inProgressMs: 60_000 } },
    });
    const ecr = simulator.ecr;
    const staging = ecr.seedImage("shop/web", { tags: ["abc"] });
    let other: string | undefined;
    const run = await promote(
      simulator,
      {
        source: `${REPOSITORY_URI(simulator)}@${staging}`,
        version: "v1.0.0",
        "scan-severity-threshold": "critical",
        "scan-poll-interval": "1s",
      },
      {
        // While the gate waits for the scan, another run releases v1.0.0; then the scan completes.
        onLine: (line) => {
          if (other || !line.includes("scan: IN_PROGRESS")) return;
          other = ecr.seedImage("shop/web", { tags: ["v1.0.0"] });
          simulator.advance(60_000);
        },
      },
    );
    expect(other, run.stdout).toBeDefined();
    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.errors[0]?.message).toContain("`v1.0.0` already names");
    expect(operations(simulator)).not.toContain("PutImage");
    expect(await digestOfTag(simulator, "v1.0.0")).toBe(other);
  });
});

describe("build-push promote refuses a malformed source before any call", () => {
  it.each([
    ["sha256:xyz", "is not a digest"],
    [`sha256:${"a".repeat(63)}`, "is not a digest"],
    [`shop/web@sha256:${"A".repeat(64)}`, "is not a digest"],
    ["-abc", "is not a valid tag"],
    ["shop/web:bad*tag", "is not a valid tag"],
    [`team/shop/web@sha256:${"a".repeat(64)}`, "is another repository than shop/web"],
  ])("source %s", async (source, message) => {
    const simulator = await start("aws", { ecr: { repositories: [{ name: "shop/web" }] } });
    const run = await promote(simulator, { source, version: "v1.0.0" });
    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toContain("Input `source`");
    expect(run.errors[0]?.message).toContain(message);
    expect(run.stdout).not.toContain("This is a bug");
    expect(simulator.calls).toEqual([]);
  });
});

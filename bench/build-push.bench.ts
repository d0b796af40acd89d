// Promote (BatchGetImage + PutImage) against rebuilding and pushing the same image, wall time of the
// whole action run side by side, against a real Docker engine, a real registry and the simulated ECR.
// The image is a locally imported busybox base plus a 24 MiB layer and a RUN step. Promote's rows
// count its ECR calls (the simulator's call log) and its blob requests (the registry's own access
// log: none at all means no blob byte moved); the first build's row shows that log does see a push.
// Without Docker and a registry there is nothing to measure, and the bench fails rather than print
// no rows.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  BUSYBOX_BASE,
  runBuildPush,
  type Stack,
  stackAvailable,
  startStack,
} from "../test/integration/build-push/stack";
import { type Benchmark, type BenchRow, median, round, withGoal } from "./types";

const RUNS = 5;
const PAYLOAD_MIB = 24;

function sha(n: number): string {
  return n.toString(16).padStart(40, "0");
}

async function timed(
  stack: Stack,
  inputs: Record<string, string>,
  options: { sha?: string; ref?: string } = {},
): Promise<Timed> {
  await stack.registry.settle();
  const mark = stack.registry.mark();
  const started = process.hrtime.bigint();
  const run = await runBuildPush(stack, inputs, options);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.exitCode !== 0) throw new Error(`build-push failed:\n${run.stdout}`);
  await stack.registry.settle();
  return {
    ms,
    blobTransfers: stack.registry.blobTransfers(mark).length,
    // Any request for a blob (HEAD included): with none, not one blob byte was sent either way.
    blobRequests: stack.registry.requests(mark).filter((r) => r.path.includes("/blobs/")).length,
    ecrCalls: run.calls.map((call) => call.operation),
    output: run.outputs,
  };
}

interface Timed {
  ms: number;
  blobTransfers: number;
  blobRequests: number;
  ecrCalls: string[];
  output: Record<string, string>;
}

/** A fresh runner: no build cache and no local images, only the base it would pull. */
function forgetLocalImages(stack: Stack): void {
  stack.engine.docker(["system", "prune", "--all", "--force"]);
  stack.engine.importBusyboxBase(BUSYBOX_BASE);
}

const benchmark: Benchmark = {
  name: "build-push",
  async run() {
    // In CI stackAvailable() throws for the missing service; elsewhere it says so, and so does this.
    if (!stackAvailable()) {
      throw new Error("build-push bench: needs a Docker engine, a registry and skopeo, and measured nothing");
    }
    const stack = await startStack({ busybox: true });
    try {
      stack.reset({ repositories: [{ name: "shop/web" }] }, 1);
      const context = join(stack.workspace, "bench-app");
      mkdirSync(context, { recursive: true });
      writeFileSync(join(context, "payload.bin"), randomBytes(PAYLOAD_MIB * 1024 * 1024));
      writeFileSync(
        join(context, "Dockerfile"),
        `ARG BASE=${BUSYBOX_BASE}\nFROM \${BASE}\nCOPY payload.bin /payload.bin\nRUN /bin/busybox sha256sum /payload.bin > /payload.sha256\n`,
      );
      const build = { repository: "shop/web", context: "bench-app", network: "host", "branch-tag": "false" };

      // The staging image, built and pushed once into the empty repository.
      forgetLocalImages(stack);
      const first = await timed(stack, build, { sha: sha(1) });

      const promote: Timed[] = [];
      for (let i = 0; i < RUNS; i++) {
        const run = await timed(
          stack,
          { repository: "shop/web", mode: "promote", source: first.output.image ?? "" },
          { ref: `refs/tags/v1.${i}.0` },
        );
        if (run.output.digest !== first.output.digest) throw new Error("promote changed the digest");
        promote.push(run);
      }

      const rebuildCold: Timed[] = [];
      const rebuildWarm: Timed[] = [];
      for (let i = 0; i < RUNS; i++) {
        forgetLocalImages(stack);
        rebuildCold.push(await timed(stack, { ...build, tags: `v2.${i}.0` }, { sha: sha(100 + i) }));
        rebuildWarm.push(await timed(stack, { ...build, tags: `v3.${i}.0` }, { sha: sha(200 + i) }));
      }

      const benchmark = "build-push: promote vs rebuild";
      const promoteMs = median(promote.map((r) => r.ms));
      const coldMs = median(rebuildCold.map((r) => r.ms));
      const warmMs = median(rebuildWarm.map((r) => r.ms));
      const promoteCalls = promote.map((r) => r.ecrCalls.join(" + "));
      const blobRequests = Math.max(...promote.map((r) => r.blobRequests));
      const newDigests = [...rebuildCold, ...rebuildWarm].every(
        (r) => r.output.digest !== first.output.digest,
      );
      const rows: BenchRow[] = [
        withGoal(
          {
            benchmark,
            case: `first build and push (${PAYLOAD_MIB} MiB layer, empty repository)`,
            metric: "wall time",
            value: round(first.ms, 0),
            unit: "ms",
            note: `${first.blobTransfers} blob transfer requests in the registry's log`,
          },
          "the registry's log sees the push's blobs (so promote's 0 is measured, not missed)",
          first.blobTransfers > 0,
        ),
        withGoal(
          {
            benchmark,
            case: "promote one tag",
            metric: "ECR calls",
            value: Math.max(...promote.map((r) => r.ecrCalls.length)),
            note: `${[...new Set(promoteCalls)].join(" | ")}; same digest every time`,
          },
          "2 (1 BatchGetImage + 1 PutImage per new tag)",
          promoteCalls.every((calls) => calls === "BatchGetImage + PutImage"),
        ),
        withGoal(
          {
            benchmark,
            case: "promote one tag",
            metric: "blob requests (registry log)",
            value: blobRequests,
            note: "no blob request, so 0 blob bytes moved",
          },
          "0",
          blobRequests === 0,
        ),
        withGoal(
          {
            benchmark,
            case: "promote one tag",
            metric: `wall time, median of ${RUNS}`,
            value: round(promoteMs, 0),
            unit: "ms",
          },
          "faster than either rebuild",
          promoteMs < Math.min(coldMs, warmMs),
        ),
        withGoal(
          {
            benchmark,
            case: "rebuild and push, fresh runner (no build cache)",
            metric: `wall time, median of ${RUNS}`,
            value: round(coldMs, 0),
            unit: "ms",
            note: `${round(coldMs / promoteMs, 1)}x promote; ${Math.max(...rebuildCold.map((r) => r.blobTransfers))} blob transfer requests`,
          },
          "a new digest (what promote avoids)",
          newDigests,
        ),
        withGoal(
          {
            benchmark,
            case: "rebuild and push, warm build cache",
            metric: `wall time, median of ${RUNS}`,
            value: round(warmMs, 0),
            unit: "ms",
            note: `${round(warmMs / promoteMs, 1)}x promote (created label)`,
          },
          "a new digest (what promote avoids)",
          newDigests,
        ),
      ];
      return rows;
    } finally {
      await stack.stop();
    }
  },
};

export default benchmark;

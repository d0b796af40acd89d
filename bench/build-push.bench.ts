// Promote (BatchGetImage + PutImage) against rebuilding and pushing the same image, wall time of the
// whole action run side by side, against a real Docker engine, a real registry and the simulated ECR.
// The image is a locally imported busybox base plus a 24 MiB layer and a RUN step.
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
import { type Benchmark, type BenchRow, median, round } from "./types";

const RUNS = 5;
const PAYLOAD_MIB = 24;

function sha(n: number): string {
  return n.toString(16).padStart(40, "0");
}

async function timed(
  stack: Stack,
  inputs: Record<string, string>,
  options: { sha?: string; ref?: string } = {},
): Promise<{ ms: number; blobTransfers: number; output: Record<string, string> }> {
  await stack.registry.settle();
  const mark = stack.registry.mark();
  const started = process.hrtime.bigint();
  const run = await runBuildPush(stack, inputs, options);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.exitCode !== 0) throw new Error(`build-push failed:\n${run.stdout}`);
  await stack.registry.settle();
  return { ms, blobTransfers: stack.registry.blobTransfers(mark).length, output: run.outputs };
}

/** A fresh runner: no build cache and no local images, only the base it would pull. */
function forgetLocalImages(stack: Stack): void {
  stack.engine.docker(["system", "prune", "--all", "--force"]);
  stack.engine.importBusyboxBase(BUSYBOX_BASE);
}

const benchmark: Benchmark = {
  name: "build-push",
  async run() {
    if (!stackAvailable()) return [];
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

      const promote: number[] = [];
      const promoteBlobs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const run = await timed(
          stack,
          { repository: "shop/web", mode: "promote", source: first.output.image ?? "" },
          {
            ref: `refs/tags/v1.${i}.0`,
          },
        );
        if (run.output.digest !== first.output.digest) throw new Error("promote changed the digest");
        promote.push(run.ms);
        promoteBlobs.push(run.blobTransfers);
      }

      const rebuildCold: number[] = [];
      const rebuildWarm: number[] = [];
      const rebuildBlobs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        forgetLocalImages(stack);
        const cold = await timed(stack, { ...build, tags: `v2.${i}.0` }, { sha: sha(100 + i) });
        rebuildCold.push(cold.ms);
        rebuildBlobs.push(cold.blobTransfers);
        const warm = await timed(stack, { ...build, tags: `v3.${i}.0` }, { sha: sha(200 + i) });
        rebuildWarm.push(warm.ms);
      }

      const promoteMs = median(promote);
      const rows: BenchRow[] = [
        {
          benchmark: "build-push: promote vs rebuild",
          case: `first build and push (${PAYLOAD_MIB} MiB layer, empty repository)`,
          metric: "wall time",
          value: round(first.ms, 0),
          unit: "ms",
          note: `${first.blobTransfers} blob transfer requests`,
        },
        {
          benchmark: "build-push: promote vs rebuild",
          case: "promote (BatchGetImage + PutImage)",
          metric: `median of ${RUNS}`,
          value: round(promoteMs, 0),
          unit: "ms",
          note: `${Math.max(...promoteBlobs)} blob transfers; same digest every time`,
        },
        {
          benchmark: "build-push: promote vs rebuild",
          case: "rebuild and push, fresh runner (no build cache)",
          metric: `median of ${RUNS}`,
          value: round(median(rebuildCold), 0),
          unit: "ms",
          note: `${round(median(rebuildCold) / promoteMs, 1)}x promote; new digest; ${Math.max(...rebuildBlobs)} blob transfer requests`,
        },
        {
          benchmark: "build-push: promote vs rebuild",
          case: "rebuild and push, warm build cache",
          metric: `median of ${RUNS}`,
          value: round(median(rebuildWarm), 0),
          unit: "ms",
          note: `${round(median(rebuildWarm) / promoteMs, 1)}x promote; new digest (created label)`,
        },
      ];
      return rows;
    } finally {
      await stack.stop();
    }
  },
};

export default benchmark;

// GitHub API calls and wall time of the release-notes bundle for a range of 1,000 pull requests,
// against the GitHub fake (GraphQL over a real git repository built with fast-import). The calls are
// counted by the fake; the wall time includes the client's throttling (one write-class request per
// second, GraphQL included), which is what a real run pays too.
import { startFakeGitHub } from "../test/rig/fake-github";
import { hideDraftsFromTagLookup, installGraphQL } from "../test/rig/fake-github-graphql";
import { type Person, TestRepo } from "../test/rig/git-repo";
import { runAction } from "../test/rig/harness";
import type { Benchmark, BenchRow } from "./types";

const PULL_REQUESTS = 1000;
const CALL_TARGET = 15;

const authors: Person[] = Array.from({ length: 40 }, (_, i) => ({
  name: `Developer ${i}`,
  email: `dev${i}@acme.test`,
  login: `dev${i}`,
}));

interface Measured {
  calls: number;
  graphql: number;
  rest: number;
  writes: number;
  ms: number;
  ok: boolean;
}

async function measure(repo: TestRepo, options: { failAbove?: number; runs: number }): Promise<Measured[]> {
  const fake = await startFakeGitHub();
  installGraphQL(fake, {
    repoDir: repo.dir,
    pullRequests: repo.pullRequests,
    people: repo.people,
    ...(options.failAbove === undefined ? {} : { failAbove: options.failAbove }),
  });
  hideDraftsFromTagLookup(fake);
  const results: Measured[] = [];
  try {
    for (let i = 0; i < options.runs; i++) {
      const before = fake.calls.length;
      const run = await runAction("release-notes", {
        workspace: repo.dir,
        inputs: { "github-token": "ghs_bench" },
        env: { GITHUB_API_URL: fake.url, GITHUB_REF: "refs/tags/v2.0.0" },
        timeoutMs: 300_000,
      });
      const calls = fake.calls.slice(before);
      results.push({
        calls: calls.length,
        graphql: calls.filter((c) => c.path === "/graphql").length,
        rest: calls.filter((c) => c.path !== "/graphql").length,
        writes: calls.filter((c) => c.path !== "/graphql" && c.method !== "GET").length,
        ms: run.durationMs,
        ok: run.exitCode === 0,
      });
      if (run.exitCode !== 0) console.error(run.stdout);
    }
  } finally {
    await fake.close();
  }
  return results;
}

function rows(label: string, measured: Measured, degraded = false): BenchRow[] {
  const benchmark = "release-notes, 1,000 PRs";
  const status = measured.ok ? "" : " (RUN FAILED)";
  return [
    {
      benchmark,
      case: label,
      metric: "GitHub API calls",
      value: measured.calls,
      note: `${measured.graphql} GraphQL + ${measured.rest} REST (${measured.writes} writes); ${degraded ? "degraded GitHub, no target" : `target ≤ ${CALL_TARGET}`}${status}`,
    },
    {
      benchmark,
      case: label,
      metric: "wall time",
      value: Math.round(measured.ms),
      unit: "ms",
      note: "bundle under Node 24, spawn to exit; includes the 1 request/s write throttle",
    },
  ];
}

const benchmark: Benchmark = {
  name: "release-notes",
  async run() {
    const repo = TestRepo.create("shipline-bench-release-");
    try {
      repo.commit("chore: start");
      repo.tag("v1.0.0");
      repo.squashManyPullRequests({ count: PULL_REQUESTS, firstNumber: 1, authors });
      repo.tag("v2.0.0");
      const [create, rerun] = await measure(repo, { runs: 2 });
      const [timeouts] = await measure(repo, { failAbove: 50, runs: 1 });
      return [
        ...rows("first run (create draft, publish)", create as Measured),
        ...rows("re-run, nothing changed", rerun as Measured),
        ...rows("GitHub times out above 50 commits/query", timeouts as Measured, true),
      ];
    } finally {
      repo.remove();
    }
  },
};

export default benchmark;

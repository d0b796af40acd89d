// GitHub API calls and wall time of the release-notes bundle for a release of 5,000 pull requests,
// against the GitHub fake (GraphQL over a real git repository built with fast-import, with GitHub's
// rate-limit headers). The calls are counted by the fake; the wall time is the bundle's, spawn to
// exit, including every pause the client makes. Each run is checked, not only timed: it must exit 0,
// find a pull request for every commit, and account in the notes for every pull request (listed, or
// counted in the "… and N more" lines GitHub's 125,000-character release limit calls for).
import { startFakeGitHub } from "../test/rig/fake-github";
import { hideDraftsFromTagLookup, installGraphQL } from "../test/rig/fake-github-graphql";
import { type Person, TestRepo } from "../test/rig/git-repo";
import { assertNoUnreportedDrifts } from "../test/rig/github-openapi-check";
import { runAction } from "../test/rig/harness";
import { type Benchmark, type BenchRow, withGoal } from "./types";

const PULL_REQUESTS = 5000;
/** Issue 17: release notes for 5,000 pull requests in at most 20 s. */
const WALL_TIME_GOAL_MS = 20_000;
/** One GraphQL query per 100 commits (GitHub's page size), then list, create and publish the release. */
const QUERIES = Math.ceil(PULL_REQUESTS / 100);
const CALL_GOAL = QUERIES + 3;

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
  /** Pull requests the report says were found, and the ones the notes list or count. */
  found: number;
  accounted: number;
}

interface ReleaseReport {
  pullRequests: number;
  directCommits: number;
}

/**
 * Pull requests the notes list as changes ("- title ([#12](…/pull/12))"), plus those they count as not
 * listed. Throws on one listed twice.
 */
function accountedInNotes(notes: string): number {
  const listed = [...notes.matchAll(/\(\[#\d+\]\([^)\s]*\/pull\/(\d+)\)\)/g)].map((m) => Number(m[1]));
  const distinct = new Set(listed);
  if (distinct.size !== listed.length) throw new Error("the notes list a pull request twice");
  const more = [...notes.matchAll(/… and (\d+) more/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  for (const n of distinct) {
    if (n < 1 || n > PULL_REQUESTS) throw new Error(`the notes list #${n}, not in the release`);
  }
  return distinct.size + more;
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
      // A run that did not do its job measures nothing: the bench fails instead of printing a figure.
      if (run.exitCode !== 0) throw new Error(`release-notes failed (exit ${run.exitCode}):\n${run.stdout}`);
      const report = JSON.parse(run.outputs.report ?? "{}") as ReleaseReport;
      const calls = fake.calls.slice(before);
      results.push({
        calls: calls.length,
        graphql: calls.filter((c) => c.path === "/graphql").length,
        rest: calls.filter((c) => c.path !== "/graphql").length,
        writes: calls.filter((c) => c.path !== "/graphql" && c.method !== "GET").length,
        ms: run.durationMs,
        found: report.pullRequests,
        accounted: accountedInNotes(run.outputs.notes ?? ""),
      });
    }
    // As in the tests: a run whose exchanges GitHub would not have had measures nothing either.
    assertNoUnreportedDrifts();
  } finally {
    await fake.close();
  }
  return results;
}

function rows(label: string, m: Measured, calls: { goal: string; met: boolean }): BenchRow[] {
  const benchmark = "release-notes, 5,000 PRs";
  const split = `${m.graphql} GraphQL + ${m.rest} REST (${m.writes} writes)`;
  const complete = m.found === PULL_REQUESTS && m.accounted === PULL_REQUESTS;
  return [
    withGoal(
      { benchmark, case: label, metric: "GitHub API calls", value: m.calls, note: split },
      calls.goal,
      calls.met,
    ),
    withGoal(
      {
        benchmark,
        case: label,
        metric: "wall time",
        value: Math.round(m.ms),
        unit: "ms",
        note: "bundle, Node 24",
      },
      `≤ ${WALL_TIME_GOAL_MS / 1000} s`,
      m.ms <= WALL_TIME_GOAL_MS,
    ),
    withGoal(
      {
        benchmark,
        case: label,
        metric: "pull requests in the notes",
        value: `${m.accounted}/${PULL_REQUESTS}`,
        note: `${m.found} found by the lookup; listed or counted as not listed (size limit)`,
      },
      `all ${PULL_REQUESTS}`,
      complete,
    ),
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
      const [create, rerun] = (await measure(repo, { runs: 2 })) as [Measured, Measured];
      const [timeouts] = (await measure(repo, { failAbove: 50, runs: 1 })) as [Measured];
      return [
        ...rows("first run (create draft, publish)", create, {
          goal: `≤ ${CALL_GOAL} (${QUERIES} queries of 100 commits + 3 REST)`,
          met: create.calls <= CALL_GOAL,
        }),
        ...rows("re-run, nothing changed", rerun, {
          goal: `≤ ${QUERIES + 1}, no write`,
          met: rerun.calls <= QUERIES + 1 && rerun.writes === 0,
        }),
        // GitHub times out on queries of 100 commits: one split to 50, then the rest of the range at 50.
        ...rows("GitHub times out above 50 commits/query", timeouts, {
          goal: `≤ ${2 * QUERIES + 1 + 3} (one time-out, then queries of 50)`,
          met: timeouts.calls <= 2 * QUERIES + 1 + 3,
        }),
      ];
    } finally {
      repo.remove();
    }
  },
};

export default benchmark;

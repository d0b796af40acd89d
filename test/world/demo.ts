// The demo as `npm run demo` tells it: the world started, the story run on a printed timeline, then
// where things stand (the service, the database, GitHub, the traffic) and the files each step left.
import { relative } from "node:path";
import pg from "pg";
import { ROOT } from "../repo/layout";
import { CLOCK_FACTOR, CLUSTER, SERVICE } from "./account";
import { keep } from "./runner/run-workflow";
import { runStory, storyProblems } from "./story";
import { Timeline } from "./timeline";
import { outputDirFor, startWorld, type Variant, type World } from "./world";

export interface DemoOptions {
  variant: Variant;
  /** Use pre-seeded images even when Docker could run. */
  seededImages?: boolean;
  /** Where a line goes (stdout by default). */
  print?(line: string): void;
}

export interface Demo {
  world: World;
  /** Runs the story and says where things stand; 0 when the story went as it should. Stops the world. */
  tell(): Promise<number>;
  /** Stops every process the demo started (for Ctrl-C). */
  stop(): Promise<void>;
}

/** Starts the world and prints what it is made of. */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const outputDir = outputDirFor(ROOT, options.variant);
  const timeline = new Timeline(options.print);
  timeline.line("shipline demo: the deploy workflow on this machine, no AWS and no GitHub");
  const world = await startWorld({
    variant: options.variant,
    outputDir,
    seededImages: options.seededImages ?? false,
    log: (line) => timeline.line(line, 1),
  });
  timeline.line(
    `AWS simulator at ${world.sim.endpoint} (1 s = ${CLOCK_FACTOR} simulated s); fake GitHub at ${world.github.url}`,
    1,
  );
  timeline.line(
    world.images.kind === "docker"
      ? "images: built by the Docker engine, pushed to the registry behind the simulated ECR"
      : `images: pre-seeded in the simulated ECR, as CI would have pushed them (${world.images.why})`,
    1,
  );
  timeline.line(
    `service ${SERVICE} in cluster ${CLUSTER}: ${world.runtime.processes().length} tasks (local processes) behind the load balancer ${world.balancer.url}, 20 requests/s of traffic`,
    1,
  );
  return {
    world,
    stop: () => world.stop(),
    tell: async () => {
      try {
        return await tell(world, timeline, outputDir);
      } finally {
        await world.stop();
      }
    },
  };
}

async function tell(world: World, timeline: Timeline, outputDir: string): Promise<number> {
  const story = await runStory(world, {
    outputDir,
    onTrigger: (trigger, release) => timeline.trigger(trigger, release),
    onEvent: (event) => timeline.event(event),
    onNote: (text) => timeline.line(text, 1),
  });
  timeline.blank();
  await whereThingsStand(world, timeline, outputDir);
  timeline.files(story.steps);
  const problems = storyProblems(world, story);
  timeline.blank();
  if (problems.length > 0) {
    console.error(`The story did not go as it should:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    return 1;
  }
  timeline.line(`done in ${timeline.elapsed().toFixed(0)} s`);
  return 0;
}

async function whereThingsStand(world: World, timeline: Timeline, outputDir: string): Promise<void> {
  timeline.line("where things stand");
  const serving = world.runtime.processes();
  const revisions = new Set(serving.map((p) => `${p.revision} (version ${p.version.slice(0, 7)})`));
  timeline.line(`service ${SERVICE}: ${serving.length} tasks, ${[...revisions].join(", ")}`, 1);
  const client = new pg.Client({ connectionString: world.databaseUrl });
  await client.connect();
  try {
    const columns = await client.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position",
    );
    timeline.line(`database: orders(${columns.rows.map((r) => r.column_name).join(", ")})`, 1);
  } finally {
    await client.end();
  }
  for (const release of world.github.state.releases) {
    const file = keep(outputDir, `release-${release.tag_name}.md`, release.body ?? "");
    timeline.line(
      `GitHub release ${release.tag_name}: ${release.draft ? "draft" : "published"} (${relative(ROOT, file)})`,
      1,
    );
  }
  for (const issue of world.github.state.issues)
    timeline.line(`GitHub issue #${issue.number}: ${issue.title}`, 1);
  const deployments = world.github.state.deployments.map((d) => {
    const last = d.statuses.at(-1);
    return `#${d.id} ${last?.state ?? "pending"}${last?.description ? ` (${last.description})` : ""}`;
  });
  timeline.line("GitHub deployments to production:", 1);
  for (const line of deployments) timeline.line(line, 2);
  timeline.line(
    `traffic through the load balancer: ${world.traffic.stats().sent} requests, by status ${JSON.stringify(world.balancer.counts())}`,
    1,
  );
}

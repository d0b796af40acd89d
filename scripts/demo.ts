// `npm run demo`: the whole pipeline on this machine, with no AWS and no GitHub. The reusable deploy
// workflow (.github/workflows/deploy.yml) runs for two releases of a shop's web service against the AWS
// simulator, a real PostgreSQL, a Docker engine and registry (when this machine can run them), a fake
// GitHub, and one real process per running ECS task behind a loopback load balancer. v1.0.0 goes out;
// v1.1.0 is bad: the health gate fails it in seconds, auto-rollback restores v1.0.0 and the gate passes
// again; then the release notes. Prints a timeline and leaves each step's summary as a file.
//
//   npm run demo                          the story above
//   npm run demo -- --crash-at-boot       v1.1.0 exits at boot: ECS's circuit breaker catches it first
//   npm run demo -- --seeded-images       skip Docker even where it could run
import { relative } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { ROOT } from "../test/repo/layout";
import { runStory, storyProblems } from "./demo/story";
import { Timeline } from "./demo/timeline";
import { keep } from "./demo/workflow-runner";
import { CLOCK_FACTOR, CLUSTER, outputDirFor, SERVICE, startWorld, type Variant } from "./demo/world";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { "crash-at-boot": { type: "boolean" }, "seeded-images": { type: "boolean" } },
  });
  const variant: Variant = values["crash-at-boot"] ? "crash-at-boot" : "bad-release";
  const outputDir = outputDirFor(ROOT, variant);
  const timeline = new Timeline();
  timeline.line("shipline demo: the deploy workflow on this machine, no AWS and no GitHub");
  const world = await startWorld({
    variant,
    outputDir,
    seededImages: values["seeded-images"] ?? false,
    log: (line) => timeline.line(line, 1),
  });
  // Ctrl-C: stop every process the demo started (task processes, PostgreSQL, dockerd) before leaving.
  const interrupted = (): void => {
    console.error("\ninterrupted: stopping the demo's services");
    world.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
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

    const story = await runStory(world, {
      outputDir,
      onTrigger: (trigger, release) => timeline.trigger(trigger, release),
      onEvent: (event) => timeline.event(event),
    });

    console.log("");
    timeline.line("where things stand");
    const serving = world.runtime.processes();
    timeline.line(
      `service ${SERVICE}: ${serving.length} tasks, ${[...new Set(serving.map((p) => `${p.revision} (version ${p.version.slice(0, 7)})`))].join(", ")}`,
      1,
    );
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
    const deployments = world.github.state.deployments.map(
      (d) => `#${d.id} ${d.statuses.at(-1)?.state ?? "pending"}`,
    );
    timeline.line(`GitHub deployments to production: ${deployments.join(", ")}`, 1);
    const traffic = world.traffic.stats();
    timeline.line(
      `traffic through the load balancer: ${traffic.sent} requests, by status ${JSON.stringify(world.balancer.counts())}`,
      1,
    );
    timeline.files(story.steps);

    const problems = storyProblems(world, story);
    console.log("");
    if (problems.length > 0) {
      console.error(`The story did not go as it should:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
      return 1;
    }
    timeline.line(`done in ${timeline.elapsed().toFixed(0)} s`);
    return 0;
  } finally {
    await world.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);

// `npm run demo`: the whole pipeline on this machine, with no AWS and no GitHub. The reusable deploy
// workflow (.github/workflows/deploy.yml) runs for two releases of a shop's web service in the world
// of test/world: the AWS simulator, a real PostgreSQL, a Docker engine and registry (when this machine
// can run them), a fake GitHub, and one real process per running ECS task behind a loopback load
// balancer. Each tag's production job starts with preflight's checklist (rollback target, migrations,
// release window; the world has one cluster, so no staging deploy can prove the image and that check
// is turned off). v1.0.0 goes out; v1.1.0 is bad: the health gate fails it in seconds, auto-rollback
// restores v1.0.0 and the gate passes again; then the release notes. After each gate that passes, the
// watch keeps looking for 45 s (15 simulated minutes) and then marks the GitHub deployment verified. Prints a timeline and leaves
// each step's summary as a file.
//
//   npm run demo                          the story above
//   npm run demo -- --crash-at-boot       v1.1.0 exits at boot: ECS's circuit breaker catches it first
//   npm run demo -- --late-failure        v1.1.0 passes the gate and goes bad ten simulated minutes
//                                         later: the watch after the gate fails it and it is rolled back
//   npm run demo -- --seeded-images       skip Docker even where it could run
//   npm run demo -- --canary              a bad release as a 5 % ECS canary, caught by shipline at 5 %
import { parseArgs } from "node:util";
import { runCanaryDemo } from "../test/world/canary-demo";
import { startDemo } from "../test/world/demo";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      "crash-at-boot": { type: "boolean" },
      "late-failure": { type: "boolean" },
      "seeded-images": { type: "boolean" },
      canary: { type: "boolean" },
    },
  });
  if (values.canary) return runCanaryDemo();
  if (values["crash-at-boot"] && values["late-failure"]) {
    console.error("demo: give one of --crash-at-boot and --late-failure");
    return 2;
  }
  const demo = await startDemo({
    variant: values["crash-at-boot"]
      ? "crash-at-boot"
      : values["late-failure"]
        ? "late-failure"
        : "bad-release",
    seededImages: values["seeded-images"] ?? false,
  });
  // Ctrl-C: stop every process the demo started (task processes, PostgreSQL, dockerd) before leaving.
  const interrupted = (): void => {
    console.error("\ninterrupted: stopping the demo's services");
    demo.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  return demo.tell();
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);

// `npm run sim -- --port 4566 [--scenario file.json] [--factor 60 | --manual | --step 12000] [--profile compat]`: runs
// the simulator as a standalone process, prints its endpoint, and serves until interrupted.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isSimProfile } from "./framework/profiles";
import { type Scenario, startSimulator } from "./index";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    scenario: { type: "string" },
    factor: { type: "string" },
    manual: { type: "boolean", default: false },
    step: { type: "string" },
    seed: { type: "string" },
    profile: { type: "string", default: "aws" },
  },
});

const scenario: Scenario = values.scenario
  ? (JSON.parse(readFileSync(values.scenario, "utf8")) as Scenario)
  : {};
if (values.manual) scenario.clock = { ...scenario.clock, mode: "manual" };
else if (values.step) scenario.clock = { ...scenario.clock, mode: "stepped", stepMs: Number(values.step) };
else if (values.factor) scenario.clock = { ...scenario.clock, mode: "scaled", factor: Number(values.factor) };
if (values.seed) scenario.seed = Number(values.seed);

if (!isSimProfile(values.profile)) {
  console.error(`--profile must be aws or compat, not ${values.profile}`);
  process.exit(2);
}
const sim = await startSimulator({ port: Number(values.port), scenario, profile: values.profile });
console.log(`AWS simulator listening on ${sim.endpoint} (profile ${sim.profile})`);
console.log(`  services: ${sim.serviceNames().join(", ")}`);
console.log(
  `  control API: ${sim.endpoint}/_sim/health, /_sim/scenario, /_sim/clock, /_sim/calls, /_sim/calls/counts, /_sim/faults, /_sim/state, /_sim/events, /_sim/model-drifts, /_sim/<service>/<handler>`,
);
console.log(`  point SDK clients at it with AWS_ENDPOINT_URL=${sim.endpoint}`);

const shutdown = (): void => {
  sim.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

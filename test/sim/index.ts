// Starting the simulator from tests (in-process, on a free port) and the environment that points the
// real SDK clients at it.
import { builtInServices } from "./services/index";
import { type Scenario, Simulator, type SimulatorOptions } from "./simulator";

export type { CallRecord, FaultRule, Scenario } from "./simulator";
export { Simulator } from "./simulator";

export interface StartOptions extends SimulatorOptions {
  scenario?: Scenario;
  /** Background ticking in scaled mode (default true). */
  ticking?: boolean;
}

/** Starts a simulator on 127.0.0.1 with every built-in service; stop it with `sim.stop()`. */
export async function startSimulator(options: StartOptions = {}): Promise<Simulator> {
  const sim = new Simulator({ services: builtInServices, ...options });
  if (options.scenario) sim.load(options.scenario);
  await sim.listen(options.port ?? 0);
  if (options.ticking ?? true) sim.startTicking(options.tickMs);
  return sim;
}

/**
 * The environment that sends every SDK client to the simulator with throwaway credentials: give it to
 * runAction's `env`, or to a child process. No real AWS credentials are ever needed.
 */
export function simulatorEnv(sim: Simulator): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: sim.endpoint,
    AWS_REGION: sim.region,
    AWS_ACCESS_KEY_ID: "AKIASIMULATOR000000",
    AWS_SECRET_ACCESS_KEY: "simulator-secret-access-key-not-real",
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

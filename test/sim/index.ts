// The simulator's public entry: start one in-process, point SDK clients (or a bundle's process) at it,
// and the types of its surface. Tests and the demo import the simulator from here only.
import { type Scenario, Simulator, type SimulatorOptions } from "./simulator";

export type { CallFilter, CallRecord } from "./framework/call-log";
export type { ClockMode, ClockSettings } from "./framework/clock";
export type { Override, OverrideCall } from "./framework/dispatch";
export { SimError } from "./framework/errors";
export type { FaultKind, FaultRule } from "./framework/faults";
export type { ModelDrift } from "./framework/model-check";
export { isSimProfile, SIM_PROFILES, type SimProfile } from "./framework/profiles";
export { RawReply } from "./framework/protocol";
export type { Snapshot } from "./framework/snapshot";
export type {
  OperationContext,
  Shape,
  SimRuntime,
  SimService,
  SimServiceDefinition,
  SimServiceFactory,
} from "./framework/types";
export type { CloudWatchScenario, CloudWatchSurface, MetricsProfile } from "./services/cloudwatch/service";
export type {
  EcrRegistryConfig,
  EcrScenario,
  EcrScenarioImage,
  EcrScenarioScan,
  EcrSurface,
  ImageState,
  ScanState,
} from "./services/ecr/service";
export type { ImageBehaviourSpec } from "./services/ecs/behaviour";
export type { EcsTimings } from "./services/ecs/model";
export type { EcsScenario } from "./services/ecs/service";
export type { EcsSurface, ServingEndpoint, TaskFilter } from "./services/ecs/surface";
export type {
  TaskEndpoint,
  TaskRuntime,
  TaskRuntimeContainer,
  TaskRuntimeControls,
  TaskRuntimeTask,
} from "./services/ecs/task-runtime";
export type { Elbv2Scenario, Elbv2Surface, TargetView } from "./services/elbv2/service";
export type { AllowStatement, IamScenario, IamSurface } from "./services/iam/service";
export { builtInServices } from "./services/index";
export type { LogsScenario, LogsSurface } from "./services/logs/service";
export type { DbSnapshotState, RdsScenario, RdsSurface } from "./services/rds/service";
export type { S3Scenario, S3Surface } from "./services/s3/service";
export type { SecretsManagerScenario, SecretsManagerSurface } from "./services/secretsmanager/service";
export type { SsmScenario, SsmSurface } from "./services/ssm/service";
export type { ClockChange, ClockState, Scenario, ScenarioClock, SimulatorOptions } from "./simulator";
export { Simulator } from "./simulator";

export interface StartOptions extends SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  scenario?: Scenario;
  /** Background ticking in scaled mode (default true). */
  ticking?: boolean;
  /** Real ms between background ticks in scaled mode (default 25). */
  tickMs?: number;
}

/** Starts a simulator on 127.0.0.1 with every built-in service; stop it with `sim.stop()`. */
export async function startSimulator(options: StartOptions = {}): Promise<Simulator> {
  const sim = new Simulator(options);
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

// The AWS control-plane simulator: a loopback HTTP server that the real SDK v3 clients talk to through
// an endpoint override, and the surface tests use to inspect and steer it. Everything a test needs is
// a member of Simulator: the call log, the faults, the clock, overrides of single operations, and
// each service's state (as plain read-only values) and controls under `sim.ecs`, `sim.ecr`, ...
import { type CallFilter, CallLog, type CallRecord } from "./framework/call-log";
import { type ClockMode, type ClockSettings, Scheduler, SimClock, seededRandom } from "./framework/clock";
import { handleControl } from "./framework/control-api";
import { Dispatcher, type Override } from "./framework/dispatch";
import { SimError } from "./framework/errors";
import { FaultBook, type FaultRule } from "./framework/faults";
import type { ModelDrift } from "./framework/model-check";
import { profileOverrides, type SimProfile } from "./framework/profiles";
import { SimServer } from "./framework/server";
import type { SimRuntime, SimService, SimServiceFactory } from "./framework/types";
import { CloudWatchService, type CloudWatchSurface } from "./services/cloudwatch/service";
import { CodeDeployService } from "./services/codedeploy/service";
import { EcrService, type EcrSurface } from "./services/ecr/service";
import { EcsService } from "./services/ecs/service";
import type { EcsSurface } from "./services/ecs/surface";
import { Elbv2Service, type Elbv2Surface } from "./services/elbv2/service";
import { IamService, type IamSurface } from "./services/iam/service";
import { builtInServices } from "./services/index";
import { LogsService, type LogsSurface } from "./services/logs/service";
import { RdsService, type RdsSurface } from "./services/rds/service";
import { S3Service, type S3Surface } from "./services/s3/service";
import { SecretsManagerService, type SecretsManagerSurface } from "./services/secretsmanager/service";
import { SsmService, type SsmSurface } from "./services/ssm/service";

export interface ScenarioClock {
  mode?: ClockMode;
  factor?: number;
  stepMs?: number;
  /** ISO time or epoch ms. */
  start?: string | number;
}

export interface Scenario {
  clock?: ScenarioClock;
  seed?: number;
  faults?: FaultRule[];
  /** Each service's own section, keyed by service name. */
  [service: string]: unknown;
}

export interface SimulatorOptions {
  region?: string;
  accountId?: string;
  clock?: ClockSettings;
  seed?: number;
  /** The services to run; default: every built-in service. */
  services?: readonly SimServiceFactory[];
  /** Overrides of single operations (see `override`), in force from the start. */
  overrides?: readonly Override[];
  /**
   * Which AWS to play: "aws" (default) as the API reference describes it, or "compat", an
   * AWS-compatible endpoint without the newer APIs (see framework/profiles.ts).
   */
  profile?: SimProfile;
  /**
   * Check every answer against the AWS SDK's model of its operation and record the drifts
   * (`modelDrifts()`). Default: on under vitest (process.env.VITEST), off otherwise.
   */
  checkModels?: boolean;
}

/**
 * Drifts recorded by any simulator of this process (or reported from a simulator in another) that no
 * one has looked at yet: test/vitest.setup.ts fails the test that caused them.
 */
const unreported: { sim: Simulator | undefined; drift: ModelDrift }[] = [];

/** Takes the drifts recorded since the last call, oldest first. */
export function takeUnreportedModelDrifts(): ModelDrift[] {
  return unreported.splice(0).map((entry) => entry.drift);
}

/** Adds drifts that a simulator in another process recorded (GET /_sim/model-drifts) to the unreported. */
export function reportModelDrifts(drifts: readonly ModelDrift[]): void {
  for (const drift of drifts) unreported.push({ sim: undefined, drift });
}

/** The clock as `sim.clock` reports it. */
export interface ClockState {
  readonly now: number;
  readonly iso: string;
  readonly mode: ClockMode;
  readonly factor: number;
  readonly stepMs: number;
}

export interface ClockChange {
  mode?: ClockMode;
  factor?: number;
  stepMs?: number;
  /** Jump to this simulated time (ISO or epoch ms). */
  start?: string | number;
}

function parseStart(start: string | number | undefined): number | undefined {
  if (start === undefined) return undefined;
  const ms = typeof start === "number" ? start : Date.parse(start);
  if (Number.isNaN(ms)) throw new SimError("InvalidScenario", `clock.start ${String(start)} is not a time`);
  return ms;
}

type ServiceClass<T> = abstract new (...args: never[]) => T;

export class Simulator {
  readonly region: string;
  readonly accountId: string;
  readonly profile: SimProfile;
  readonly #clock: SimClock;
  readonly #scheduler: Scheduler;
  readonly #calls = new CallLog();
  readonly #faults = new FaultBook();
  readonly #overrides: Override[] = [];
  readonly #services = new Map<string, SimService>();
  readonly #server: SimServer;
  readonly #checkModels: boolean;
  readonly #drifts: ModelDrift[] = [];
  #random: () => number;
  #ticker: NodeJS.Timeout | undefined;
  #endpoint = "";

  constructor(options: SimulatorOptions = {}) {
    this.region = options.region ?? "eu-west-1";
    this.accountId = options.accountId ?? "123456789012";
    this.#clock = new SimClock(options.clock ?? { mode: "scaled", factor: 1 });
    this.#scheduler = new Scheduler(this.#clock.now());
    this.#random = seededRandom(options.seed ?? 1);
    this.profile = options.profile ?? "aws";
    // The profile's overrides come first, so that a test's own overrides wrap them.
    this.#overrides.push(...profileOverrides(this.profile), ...(options.overrides ?? []));
    this.#checkModels = options.checkModels ?? Boolean(process.env.VITEST);
    const runtime: SimRuntime = {
      now: () => this.#scheduler.current,
      scheduler: this.#scheduler,
      random: () => this.#random(),
      region: this.region,
      accountId: this.accountId,
      service: <T extends SimService>(name: string): T => {
        const service = this.#services.get(name);
        if (!service) throw new Error(`the simulator has no ${name} service`);
        return service as T;
      },
      hexId: (length) => {
        let out = "";
        while (out.length < length) out += Math.floor(this.#random() * 16).toString(16);
        return out;
      },
    };
    for (const factory of options.services ?? builtInServices) {
      const service = factory(runtime);
      this.#services.set(service.definition.name, service);
    }
    const dispatcher = new Dispatcher({
      sim: this,
      calls: this.#calls,
      faults: this.#faults,
      services: () => [...this.#services.values()],
      overrides: () => this.#overrides,
      tick: () => {
        this.#clock.step();
        this.tick();
      },
      now: () => this.now(),
      random: () => this.#random(),
      region: this.region,
      accountId: this.accountId,
      checkModels: () => this.#checkModels,
      recordDrifts: (drifts) => {
        for (const drift of drifts) {
          this.#drifts.push(drift);
          unreported.push({ sim: this, drift });
        }
      },
    });
    this.#server = new SimServer({
      call: (request) => dispatcher.handle(request),
      control: (method, url, body) =>
        handleControl(
          this,
          (service, name) => this.#services.get(service)?.controlRoutes?.[name],
          method,
          url,
          body,
        ),
    });
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  /** http://127.0.0.1:<port> once listening. */
  get endpoint(): string {
    return this.#endpoint;
  }

  serviceNames(): string[] {
    return [...this.#services.keys()];
  }

  async listen(port = 0): Promise<string> {
    this.#endpoint = await this.#server.listen(port);
    return this.#endpoint;
  }

  async stop(): Promise<void> {
    this.stopTicking();
    for (const service of this.#services.values()) await service.close?.();
    await this.#server.stop();
  }

  /** Replaces all state with a scenario: the clock, the seed, the faults, every service's section. */
  load(scenario: Scenario): void {
    this.#configureClock(scenario.clock ?? {});
    this.#scheduler.reset(this.#clock.now());
    this.#random = seededRandom(scenario.seed ?? 1);
    this.#faults.replace(scenario.faults ?? []);
    this.#calls.clear();
    for (const service of this.#services.values()) service.reset();
    for (const [name, service] of this.#services) {
      if (scenario[name] !== undefined) service.load?.(scenario[name]);
    }
  }

  // ---- the call log --------------------------------------------------------------------------------

  /** Every call, oldest first (read-only). */
  get calls(): readonly CallRecord[] {
    return this.#calls.all;
  }

  /** Calls of one operation (of one service, when given). */
  callsTo(operation: string, service?: string): CallRecord[] {
    return this.#calls.find({ operation, ...(service ? { service } : {}) });
  }

  /** Calls after a mark taken with `lastSeq()`. */
  callsSince(seq: number): CallRecord[] {
    return this.#calls.find({ since: seq });
  }

  /** The sequence number of the last call so far (0 before any): a mark for `callsSince`. */
  lastSeq(): number {
    return this.#calls.lastSeq();
  }

  /** How many calls each operation got, e.g. {DescribeServices: 12, UpdateService: 1}. */
  callCounts(filter: CallFilter = {}): Record<string, number> {
    return this.#calls.counts(filter);
  }

  /** The distinct IAM actions the calls needed (answered, or refused by an injected fault), sorted. */
  iamActions(filter: CallFilter = {}): string[] {
    return this.#calls.iamActions(filter);
  }

  clearCalls(): void {
    this.#calls.clear();
  }

  // ---- faults and overrides ------------------------------------------------------------------------

  /** The fault rules in force (their `count` goes down as they fire). */
  get faults(): readonly Readonly<FaultRule>[] {
    return this.#faults.rules;
  }

  /** Adds fault rules; checked, and copied so that the caller's objects do not change. */
  injectFault(...rules: FaultRule[]): void {
    this.#faults.add(rules);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /**
   * Replaces or wraps one operation, e.g. to deny it, to answer as an AWS-compatible endpoint would,
   * or to report stale data for a while. Returns a function that removes the override.
   */
  override(override: Override): () => void {
    this.#overrides.push(override);
    return () => {
      const index = this.#overrides.indexOf(override);
      if (index >= 0) this.#overrides.splice(index, 1);
    };
  }

  // ---- the check against the AWS SDK's model ------------------------------------------------------

  /** Whether this simulator checks its answers against the SDK's model (see SimulatorOptions). */
  get checksModels(): boolean {
    return this.#checkModels;
  }

  /** How answers differed from the AWS SDK's model of their operation, oldest first. */
  modelDrifts(): ModelDrift[] {
    return [...this.#drifts];
  }

  /** Forgets the drifts so far, for a test that provoked them on purpose. */
  clearModelDrifts(): void {
    this.#drifts.length = 0;
    for (let i = unreported.length - 1; i >= 0; i--) if (unreported[i]?.sim === this) unreported.splice(i, 1);
  }

  // ---- time ----------------------------------------------------------------------------------------

  /** Simulated now (epoch ms), as the services see it. */
  now(): number {
    return this.#scheduler.current;
  }

  get clock(): ClockState {
    const now = this.now();
    return {
      now,
      iso: new Date(now).toISOString(),
      mode: this.#clock.mode,
      factor: this.#clock.factor,
      stepMs: this.#clock.stepMs,
    };
  }

  /** Switches between scaled, manual and stepped time, changes the factor or step, or jumps to a time. */
  setClock(change: ClockChange): void {
    this.#configureClock(change);
    this.tick();
  }

  #configureClock(change: ClockChange): void {
    const start = parseStart(change.start);
    this.#clock.configure({
      ...(change.mode ? { mode: change.mode } : {}),
      ...(change.factor !== undefined ? { factor: change.factor } : {}),
      ...(change.stepMs !== undefined ? { stepMs: change.stepMs } : {}),
      ...(start !== undefined ? { start } : {}),
    });
  }

  /** Runs every simulated event that is due. */
  tick(): void {
    this.#scheduler.runUntil(this.#clock.now());
  }

  /** Moves simulated time forward and runs what became due (in either clock mode). */
  advance(ms: number): void {
    this.#clock.advance(ms);
    this.tick();
  }

  /**
   * Runs simulated time forward until the predicate holds or the budget is spent, jumping from event
   * to event (meant for the manual clock). Returns whether the predicate held.
   */
  runUntil(predicate: () => boolean, budgetMs: number): boolean {
    const limit = this.now() + budgetMs;
    this.tick();
    while (!predicate()) {
      const next = this.#scheduler.nextAt();
      if (next === undefined || next > limit) {
        this.#clock.advance(Math.max(0, limit - this.#clock.now()));
        this.tick();
        return predicate();
      }
      this.#clock.advance(Math.max(0, next - this.#clock.now()));
      this.tick();
    }
    return true;
  }

  /** Runs `action` once simulated time has moved on by `delayMs` (a scripted event of a scenario). */
  after(delayMs: number, label: string, action: () => void): void {
    this.#scheduler.after(delayMs, label, action);
  }

  /** Pending simulated events, soonest first. */
  pendingEvents(): { at: number; label: string }[] {
    return this.#scheduler.pending();
  }

  /** Background ticks in scaled mode, so processes and timers follow simulated time without requests. */
  startTicking(intervalMs = 25): void {
    this.stopTicking();
    this.#ticker = setInterval(() => {
      if (this.#clock.mode === "scaled") this.tick();
    }, intervalMs);
    this.#ticker.unref();
  }

  stopTicking(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  // ---- the services' state and controls ------------------------------------------------------------

  get ecs(): EcsSurface {
    return this.#builtIn("ecs", EcsService).surface;
  }

  get ecr(): EcrSurface {
    return this.#builtIn("ecr", EcrService).surface;
  }

  get elbv2(): Elbv2Surface {
    return this.#builtIn("elbv2", Elbv2Service).surface;
  }

  get logs(): LogsSurface {
    return this.#builtIn("logs", LogsService).surface;
  }

  get rds(): RdsSurface {
    return this.#builtIn("rds", RdsService).surface;
  }

  get cloudwatch(): CloudWatchSurface {
    return this.#builtIn("cloudwatch", CloudWatchService).surface;
  }

  get codedeploy(): CodeDeployService["surface"] {
    return this.#builtIn("codedeploy", CodeDeployService).surface;
  }

  get iam(): IamSurface {
    return this.#builtIn("iam", IamService).surface;
  }

  get secretsmanager(): SecretsManagerSurface {
    return this.#builtIn("secretsmanager", SecretsManagerService).surface;
  }

  get ssm(): SsmSurface {
    return this.#builtIn("ssm", SsmService).surface;
  }

  get s3(): S3Surface {
    return this.#builtIn("s3", S3Service).surface;
  }

  /** Every service's state as one JSON-friendly dump, for debugging (GET /_sim/state). */
  snapshot(): Record<string, unknown> {
    this.tick();
    const state: Record<string, unknown> = { now: new Date(this.now()).toISOString() };
    for (const [name, service] of this.#services) state[name] = service.snapshot?.() ?? null;
    return state;
  }

  /** A built-in service, brought up to simulated now before anyone reads it. */
  #builtIn<T extends SimService>(name: string, type: ServiceClass<T>): T {
    const service = this.#services.get(name);
    if (!(service instanceof type))
      throw new Error(`this simulator does not run the built-in ${name} service`);
    this.tick();
    return service;
  }
}

export type { CallFilter, CallRecord, FaultRule, ModelDrift, Override };

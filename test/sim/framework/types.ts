// The contract between the simulator core and each simulated AWS service.
import type { Scheduler } from "./clock";

export type Protocol = "json1.1" | "json1.0" | "query";

export type Shape = Record<string, unknown>;

export interface OperationContext {
  /** Simulated now (epoch ms) while this call is handled. */
  now(): number;
  readonly requestId: string;
  readonly region: string;
  readonly accountId: string;
}

export type Operation = (input: Shape, context: OperationContext) => unknown;

/** A handler of the reserved control API, mounted at POST /_sim/<service>/<name>. */
export type ControlHandler = (body: Shape) => unknown;

export interface SimServiceDefinition {
  /** Short name, also the scenario key and the control path segment: "ecs", "ecr", "logs", ... */
  readonly name: string;
  /** The SigV4 signing name in the credential scope ("ecs", "elasticloadbalancing", "monitoring"). */
  readonly signingName: string;
  /** The IAM action prefix ("ecs", "elasticloadbalancing", "cloudwatch"). */
  readonly iamPrefix: string;
  readonly protocol: Protocol;
  /** JSON protocols: the X-Amz-Target prefix before the dot. */
  readonly targetPrefix?: string;
  /** Query protocol: the API version and the XML namespace of responses. */
  readonly queryVersion?: string;
  readonly xmlNamespace?: string;
  /** Error code used for injected server faults (default ServerException / InternalFailure). */
  readonly serverErrorCode?: string;
  readonly throttlingErrorCode?: string;
}

/** What a service instance can use from the simulator: time, events, randomness, other services. */
export interface SimRuntime {
  now(): number;
  readonly scheduler: Scheduler;
  random(): number;
  readonly region: string;
  readonly accountId: string;
  /** Another service instance by name (e.g. ECS writes task logs through "logs"). */
  service<T extends SimService>(name: string): T;
  /** Unique id from the seeded generator, as hex of the given length. */
  hexId(length: number): string;
}

export interface SimService {
  readonly definition: SimServiceDefinition;
  readonly operations: Readonly<Record<string, Operation>>;
  /** Control handlers over HTTP (for the standalone simulator); in-process, tests use `sim.<service>`. */
  readonly controlRoutes?: Readonly<Record<string, ControlHandler>>;
  /** Clears all state (a scenario load starts from nothing). */
  reset(): void;
  /** Applies this service's section of a scenario. */
  load?(section: unknown): void;
  /** A JSON-friendly dump of the state, for debugging (GET /_sim/state). */
  snapshot?(): unknown;
  /** Releases resources (child processes, servers) when the simulator stops. */
  close?(): Promise<void>;
}

export type SimServiceFactory = (runtime: SimRuntime) => SimService;

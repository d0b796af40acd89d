// How a container image behaves when ECS runs it, as the scenario describes it: healthy, crashing on
// start, failing load balancer health checks, slow to start, failing to pull, or running to an exit
// code (one-off tasks). Also resolves image digests.
import { createHash } from "node:crypto";
import { SimError } from "../../framework/errors";

export type BehaviourKind = "healthy" | "crash" | "unhealthy" | "slow" | "pull-error" | "exit";

/** One image's behaviour in the scenario (`ecs.images`); every field is optional. */
export interface ImageBehaviourSpec {
  /** Shorthand that sets sensible defaults for the other fields (default "healthy"). */
  kind?: BehaviourKind;
  /** The image digest ("sha256:..."), reported in containers and service revisions. */
  digest?: string;
  /** Pulling fails: the task stops with TaskFailedToStart and "CannotPullContainerError: <this>". */
  pullError?: string;
  /** Time from container start until the application answers health checks (slow start). */
  startupMs?: number;
  /** The container exits on its own with this code... */
  exitCode?: number;
  /** ...after running this long. */
  runMs?: number;
  /** Container `reason` when it exits (e.g. "OutOfMemoryError: Container killed due to memory usage"). */
  exitReason?: string;
  /** Whether it passes health checks once started (default true; "unhealthy" makes it false). */
  healthy?: boolean;
  /** The failing health check as the target group reports it. */
  healthCheckReason?: string;
  healthCheckDescription?: string;
  /** Lines the container writes to its log stream when it starts... */
  logs?: string[];
  /** ...and just before it exits. */
  exitLogs?: string[];
  /**
   * Lines it writes while it runs, one at a time, spread evenly over `runMs` (a backfill's progress):
   * a reader that polls sees them arrive.
   */
  runLogs?: string[];
  /** Overrides when the container's command (joined by spaces) contains the key, e.g. "migrate". */
  commands?: Record<string, ImageBehaviourSpec>;
}

/** A behaviour with every default applied. */
export interface ResolvedBehaviour {
  kind: BehaviourKind;
  digest?: string;
  pullError?: string;
  startupMs: number;
  exit?: { code: number; afterMs: number; reason?: string };
  healthy: boolean;
  healthCheckReason: string;
  healthCheckDescription: string;
  logs: string[];
  exitLogs: string[];
  runLogs: string[];
}

const KINDS: readonly BehaviourKind[] = ["healthy", "crash", "unhealthy", "slow", "pull-error", "exit"];

export interface BehaviourDefaults {
  crashAfterMs: number;
  exitAfterMs: number;
}

function validate(image: string, spec: ImageBehaviourSpec): void {
  if (spec.kind !== undefined && !KINDS.includes(spec.kind)) {
    throw new SimError("InvalidScenario", `ecs.images["${image}"].kind must be one of ${KINDS.join(", ")}`);
  }
}

export function resolveBehaviour(
  image: string,
  spec: ImageBehaviourSpec,
  defaults: BehaviourDefaults,
): ResolvedBehaviour {
  validate(image, spec);
  const kind =
    spec.kind ?? (spec.pullError ? "pull-error" : spec.exitCode !== undefined ? "exit" : "healthy");
  const crashes = kind === "crash" || kind === "exit" || spec.exitCode !== undefined;
  const exitCode = spec.exitCode ?? (kind === "crash" ? 1 : 0);
  const afterMs = spec.runMs ?? (kind === "crash" ? defaults.crashAfterMs : defaults.exitAfterMs);
  const healthy = spec.healthy ?? kind !== "unhealthy";
  return {
    kind,
    ...(spec.digest ? { digest: spec.digest } : {}),
    ...(kind === "pull-error"
      ? {
          pullError:
            spec.pullError ??
            `pull image manifest has been retried 5 time(s): failed to resolve ref ${image}: ${image}: not found`,
        }
      : {}),
    startupMs: spec.startupMs ?? (kind === "slow" ? 120_000 : 0),
    ...(crashes
      ? { exit: { code: exitCode, afterMs, ...(spec.exitReason ? { reason: spec.exitReason } : {}) } }
      : {}),
    healthy,
    healthCheckReason: spec.healthCheckReason ?? "Target.ResponseCodeMismatch",
    healthCheckDescription: spec.healthCheckDescription ?? "Health checks failed with these codes: [500]",
    logs: spec.logs ?? [],
    exitLogs: spec.exitLogs ?? (kind === "crash" ? [`process exited with code ${exitCode}`] : []),
    runLogs: spec.runLogs ?? [],
  };
}

/** Whether a scenario key names this image: exact, by repository path suffix, by digest, or a * glob. */
export function imageMatches(key: string, image: string): boolean {
  if (key === image) return true;
  if (key.includes("*")) {
    const pattern = new RegExp(
      `^${key
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")}$`,
    );
    return pattern.test(image);
  }
  if (image.endsWith(`/${key}`)) return true;
  // "sha256:..." alone matches any repository at that digest.
  return key.startsWith("sha256:") && image.endsWith(`@${key}`);
}

/** The scenario's image behaviours, changeable mid-run through the control API. */
export class BehaviourBook {
  #images = new Map<string, ImageBehaviourSpec>();

  constructor(private readonly defaults: () => BehaviourDefaults) {}

  clear(): void {
    this.#images.clear();
  }

  set(image: string, spec: ImageBehaviourSpec): void {
    validate(image, spec);
    this.#images.set(image, spec);
  }

  entries(): [string, ImageBehaviourSpec][] {
    return [...this.#images.entries()];
  }

  /** The most specific scenario entry for an image: exact key first, then the longest matching key. */
  spec(image: string): ImageBehaviourSpec | undefined {
    const exact = this.#images.get(image);
    if (exact) return exact;
    let best: [string, ImageBehaviourSpec] | undefined;
    for (const entry of this.#images) {
      if (imageMatches(entry[0], image) && (!best || entry[0].length > best[0].length)) best = entry;
    }
    return best?.[1];
  }

  /** The behaviour of a container running `image` with `command`. */
  resolve(image: string, command: string[] | undefined): ResolvedBehaviour {
    const base = this.spec(image) ?? {};
    const joined = (command ?? []).join(" ");
    let spec = base;
    for (const [key, override] of Object.entries(base.commands ?? {})) {
      if (joined.includes(key)) {
        const { commands: _ignored, kind: _kind, ...rest } = base;
        spec = { ...rest, ...override };
        break;
      }
    }
    return resolveBehaviour(image, spec, this.defaults());
  }
}

/**
 * The digest of an image. An image referenced by digest carries it; otherwise the scenario's, then
 * a registry that knows it (the ECR simulator, when present). Unknown images get a stable synthetic
 * digest so revisions always report one.
 */
export function syntheticDigest(image: string): string {
  return `sha256:${createHash("sha256").update(image).digest("hex")}`;
}

export function digestInReference(image: string): string | undefined {
  const at = image.indexOf("@sha256:");
  return at >= 0 ? image.slice(at + 1) : undefined;
}

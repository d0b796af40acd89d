// Load balancer target health: every target of a target group must end healthy; initial and draining
// are expected while a deployment settles, unhealthy is a failure.
import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { UserError } from "../runtime/errors";

export interface TargetState {
  /** "<id>:<port>". */
  target: string;
  state: string;
  reason?: string;
  description?: string;
}

export interface TargetHealthRound {
  targetGroupArn: string;
  at: number;
  targets: TargetState[];
  /** The call failed for a reason that is not the user's (throttling beyond retries, network). */
  error?: string;
}

/** healthy: every target healthy. settling: some initial or draining, none bad. unhealthy: anything else. */
export type RoundHealth = "healthy" | "settling" | "unhealthy" | "unknown";

const SETTLING = new Set(["initial", "draining", "unhealthy.draining"]);

export function classifyRound(round: TargetHealthRound): RoundHealth {
  if (round.error !== undefined) return "unknown";
  if (round.targets.length === 0) return "unhealthy";
  if (round.targets.every((t) => t.state === "healthy")) return "healthy";
  if (round.targets.every((t) => t.state === "healthy" || SETTLING.has(t.state))) return "settling";
  return "unhealthy";
}

/** "2 healthy, 1 draining" */
export function describeRound(round: TargetHealthRound): string {
  if (round.error !== undefined) return `unknown (${round.error})`;
  if (round.targets.length === 0) return "no registered targets";
  const counts = new Map<string, number>();
  for (const t of round.targets) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => (a === "healthy" ? -1 : b === "healthy" ? 1 : a.localeCompare(b)))
    .map(([state, n]) => `${n} ${state}`)
    .join(", ");
}

/** The targets that are not healthy, with ELB's reason: "10.0.1.7:8080 unhealthy (Target.ResponseCodeMismatch: ...)". */
export function unhealthyTargets(round: TargetHealthRound): string[] {
  return round.targets
    .filter((t) => t.state !== "healthy")
    .map((t) => {
      const why = [t.reason, t.description].filter(Boolean).join(": ");
      return `${t.target} ${t.state}${why ? ` (${why})` : ""}`;
    });
}

/** "targetgroup/<name>/<id>" ARN to its name, for check names. */
export function targetGroupName(arn: string): string {
  return /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn;
}

export type TargetHealthReader = (targetGroupArn: string, signal?: AbortSignal) => Promise<TargetHealthRound>;

/**
 * Reads target health through ELBv2; a missing target group or missing permission is the user's to
 * fix. `input` names the input the target groups came from, when they came from one (health-gate's
 * `target-group-arns`); groups read off a service or a deployment group name none.
 */
export function elbTargetHealthReader(
  client: ElasticLoadBalancingV2Client,
  clock: { now(): number },
  input?: string,
): TargetHealthReader {
  const named = input ? { input } : {};
  return async (targetGroupArn, signal) => {
    const at = clock.now();
    try {
      const output = await client.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
        signal ? { abortSignal: signal } : {},
      );
      const targets = (output.TargetHealthDescriptions ?? []).map((d) => {
        const state: TargetState = {
          target: `${d.Target?.Id ?? "?"}${d.Target?.Port === undefined ? "" : `:${d.Target.Port}`}`,
          state: d.TargetHealth?.State ?? "unknown",
        };
        if (d.TargetHealth?.Reason) state.reason = d.TargetHealth.Reason;
        if (d.TargetHealth?.Description) state.description = d.TargetHealth.Description;
        return state;
      });
      return { targetGroupArn, at, targets };
    } catch (error) {
      const name = error instanceof Error ? error.name : "";
      if (signal?.aborted) throw error;
      if (name === "TargetGroupNotFoundException" || name === "ValidationError") {
        throw new UserError(`Target group ${targetGroupArn} was not found: ${(error as Error).message}`, {
          ...named,
          fix: "Check the ARN and that the region (`aws-region`) is the target group's.",
        });
      }
      if (name === "AccessDenied" || name === "AccessDeniedException" || name === "UnauthorizedOperation") {
        throw new UserError(
          `Not allowed to read the health of ${targetGroupArn}: ${(error as Error).message}`,
          {
            fix: "Allow elasticloadbalancing:DescribeTargetHealth to the role the job assumes.",
          },
        );
      }
      return {
        targetGroupArn,
        at,
        targets: [],
        error: error instanceof Error ? error.message : String(error),
      };
    }
  };
}

// The deployment circuit breaker: counts the target deployment's failed tasks (tasks that never became
// healthy: failed to start, exited, or were replaced for failing health checks) against a threshold of
// ceil(0.5 × desiredCount) clamped to [3, 200] by default; a healthy task resets the count.
import type { DeploymentRecord, Shape } from "./model";

export interface CircuitBreakerSettings {
  enable: boolean;
  rollback: boolean;
  resetOnHealthyTask: boolean;
  thresholdType: "BOUNDED_PERCENT" | "UNBOUNDED_PERCENT" | "COUNT";
  thresholdValue: number;
}

export function circuitBreakerSettings(deploymentConfiguration: Shape): CircuitBreakerSettings {
  const breaker = (deploymentConfiguration.deploymentCircuitBreaker as Shape | undefined) ?? {};
  const threshold = (breaker.thresholdConfiguration as Shape | undefined) ?? {};
  const type = threshold.type;
  return {
    enable: breaker.enable === true,
    rollback: breaker.rollback === true,
    resetOnHealthyTask: breaker.resetOnHealthyTask !== false,
    thresholdType: type === "COUNT" || type === "UNBOUNDED_PERCENT" ? type : "BOUNDED_PERCENT",
    thresholdValue: typeof threshold.value === "number" ? threshold.value : 50,
  };
}

/** The number of failed tasks that trips the breaker for a service of `desiredCount` tasks. */
export function failureThreshold(settings: CircuitBreakerSettings, desiredCount: number): number {
  if (settings.thresholdType === "COUNT") return Math.max(1, settings.thresholdValue);
  const raw = Math.ceil((settings.thresholdValue / 100) * desiredCount);
  if (settings.thresholdType === "UNBOUNDED_PERCENT") return Math.max(1, raw);
  return Math.min(200, Math.max(3, raw));
}

export type FailureKind = "start" | "health";

/** What the breaker says about a task failure of a deployment it monitors. */
export interface BreakerVerdict {
  tripped: boolean;
  /** The AWS-style reason when it tripped ("tasks failed to start"). */
  reason?: string;
}

export function describeFailure(kind: FailureKind): string {
  return kind === "start" ? "tasks failed to start" : "tasks failed health checks";
}

/**
 * Records a failed task of a deployment and says whether the breaker trips: for the deployment a
 * service deployment targets, and for the rollout that rolls it back (whose trip means the rollback
 * failed).
 */
export function recordFailure(
  deployment: DeploymentRecord,
  kind: FailureKind,
  desiredCount: number,
): BreakerVerdict {
  const serviceDeployment = deployment.serviceDeployment;
  const settings = circuitBreakerSettings(serviceDeployment.deploymentConfiguration);
  deployment.failedTasks++;
  const breaker = serviceDeployment.circuitBreaker;
  const threshold = failureThreshold(settings, desiredCount);
  breaker.threshold = threshold;
  if (!settings.enable || deployment.rolloutState !== "IN_PROGRESS") return { tripped: false };
  if (deployment === serviceDeployment.rollbackDeployment) {
    return deployment.failedTasks >= threshold
      ? { tripped: true, reason: describeFailure(kind) }
      : { tripped: false };
  }
  if (breaker.status !== "MONITORING") return { tripped: false };
  breaker.failureCount = deployment.failedTasks;
  if (breaker.failureCount < threshold) return { tripped: false };
  breaker.status = "TRIGGERED";
  return { tripped: true, reason: describeFailure(kind) };
}

/** A task of the deployment became healthy: the consecutive failure count starts over. */
export function recordHealthy(deployment: DeploymentRecord): void {
  const serviceDeployment = deployment.serviceDeployment;
  const settings = circuitBreakerSettings(serviceDeployment.deploymentConfiguration);
  if (!settings.resetOnHealthyTask) return;
  deployment.failedTasks = 0;
  if (
    deployment === serviceDeployment.deployment &&
    serviceDeployment.circuitBreaker.status === "MONITORING"
  ) {
    serviceDeployment.circuitBreaker.failureCount = 0;
  }
}

// The simulated circuit breaker's default threshold: ceil(0.5 × desiredCount) clamped to [3, 200].
import { describe, expect, it } from "vitest";
import { circuitBreakerSettings, failureThreshold } from "../../sim/services/ecs/circuit-breaker";

describe("the circuit breaker's default threshold", () => {
  const defaults = circuitBreakerSettings({ deploymentCircuitBreaker: { enable: true, rollback: true } });

  it.each([
    [1, 3],
    [3, 3],
    [6, 3],
    [7, 4],
    [10, 5],
    [11, 6],
    [399, 200],
    [400, 200],
    [1000, 200],
  ])("is ceil(0.5 × %i desired tasks) clamped to [3, 200]: %i", (desired, threshold) => {
    expect(failureThreshold(defaults, desired)).toBe(threshold);
  });
});

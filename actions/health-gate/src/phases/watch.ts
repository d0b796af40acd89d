// Watches the fresh deployment with every configured check until the verdict is clear (core's gate);
// an unhealthy service is a verdict in the report, never an exception. Cancellation ends the wait.
import { runHealthGate } from "@shipline/core/health/gate";
import type { HttpClient } from "@shipline/core/health/http";
import type { HealthReport } from "@shipline/core/health/verdict";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";

export function watchDeployment(
  context: ActionContext,
  settings: Settings,
  http: HttpClient,
): Promise<HealthReport> {
  return context.logger.group("Watch the deployment", () =>
    runHealthGate(settings.gate, {
      http,
      clock: context.clock,
      logger: context.logger,
      signal: context.signal,
      ...(settings.readTargetHealth ? { readTargetHealth: settings.readTargetHealth } : {}),
    }),
  );
}

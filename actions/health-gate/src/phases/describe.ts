// Says what the gate will watch before it starts: the timing, each probe, the served version, the
// smoke tests, the target groups and every metric with its source.
import { formatDuration } from "@shipline/core/runtime/format";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";

export function checkLines(settings: Settings): string[] {
  const { gate } = settings;
  const s = gate.settings;
  const lines = [
    `Timing: ${s.warmUpMs > 0 ? `warm-up ${formatDuration(s.warmUpMs)}` : "no warm-up"}, a probe every ${formatDuration(s.probeIntervalMs)} (timeout ${formatDuration(s.probeTimeoutMs)}), ${s.successThreshold} successes in a row to pass, ${s.failureThreshold} failures in a row to fail, soak ${formatDuration(s.soakMs)}, timeout ${formatDuration(s.timeoutMs)}.`,
  ];
  for (const probe of gate.probes)
    lines.push(`Probe: GET ${probe.url}, expecting status ${probe.expectedStatus.text}.`);
  if (gate.expectedVersion !== undefined) lines.push(`Served version must be ${gate.expectedVersion}.`);
  for (const test of gate.smokeTests) lines.push(`Smoke test: ${test.name} (${test.method} ${test.url}).`);
  for (const arn of gate.targetGroupArns) lines.push(`Target health: ${arn}.`);
  for (const source of gate.metricSources) {
    for (const d of source.definitions) lines.push(`Metric: ${d.name}, from ${d.source}: ${d.description}.`);
  }
  return lines;
}

export async function describeChecks(context: ActionContext, settings: Settings): Promise<void> {
  await context.logger.group("Plan", async () => {
    for (const line of checkLines(settings)) context.logger.info(line);
  });
}

// The human side of a health report: a verdict line, one table row per check with its measured value
// against its threshold, and a chart per metric over the soak.
import { formatDuration } from "../runtime/format";
import { SummaryBuilder } from "../runtime/summary";
import { type CheckResult, formatValue, type HealthReport, type Measurement, type Verdict } from "./verdict";

const ICON: Record<Verdict, string> = { pass: "✅ pass", fail: "❌ fail", inconclusive: "⚠️ inconclusive" };
const MAX_CHART_POINTS = 30;
const MAX_FAILED_ROWS = 40;

function lastMeasured(check: CheckResult): Measurement | undefined {
  // The value that decided the check: the last one of its status, else simply the last one.
  return check.measurements.findLast((m) => m.status === check.status) ?? check.measurements.at(-1);
}

/** A measured value as a person reads it; a request that got no answer has no status to show. */
function shown(check: CheckResult, m: Measurement): string {
  if (m.value === null && (check.kind === "probe" || check.kind === "smoke")) return "no response";
  return formatValue(m.value, m.unit);
}

function chartScale(unit: Measurement["unit"]): { factor: number; label: string } {
  switch (unit) {
    case "ratio":
      return { factor: 100, label: "%" };
    case "seconds":
      return { factor: 1000, label: "ms" };
    default:
      return { factor: 1, label: "value" };
  }
}

/** Keeps at most `max` points, evenly spread, always keeping the last one. */
function spread<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const step = (items.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => items[Math.round(i * step)] as T);
}

/** Time since the soak began; tenths of a second on a chart that spans less than ten seconds. */
function elapsedLabel(ms: number, spanMs: number): string {
  if (spanMs < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  return formatDuration(ms);
}

export function writeHealthSummary(summary: SummaryBuilder, report: HealthReport): void {
  const s = report.settings;
  summary.heading(`health-gate: ${ICON[report.verdict]}`);
  summary.paragraph(report.reason);
  const facts = [
    `Watched for ${formatDuration(report.durationMs)}: ${s.warmUpMs > 0 ? `warm-up ${formatDuration(s.warmUpMs)}` : "no warm-up"}, soak ${formatDuration(s.soakMs)}, a probe every ${formatDuration(s.probeIntervalMs)}, ${s.successThreshold} successes in a row to pass, ${s.failureThreshold} failures in a row to fail.`,
  ];
  if (report.expectedVersion) facts.push(`Expected version: \`${report.expectedVersion}\`.`);
  summary.paragraph(facts.join(" "));
  summary.table(
    ["Check", "Result", "Measured", "Expected", "Evidence"],
    report.checks.map((check) => {
      const m = lastMeasured(check);
      return [check.name, ICON[check.status], m ? shown(check, m) : "", m?.expected ?? "", check.summary];
    }),
  );

  const soakStart = report.soakStartedAt === null ? undefined : Date.parse(report.soakStartedAt);
  for (const check of report.checks.filter((c) => c.kind === "metric")) {
    const points = check.measurements.filter(
      (m): m is Measurement & { value: number } => typeof m.value === "number",
    );
    if (points.length < 2) continue;
    const shown = spread(points, MAX_CHART_POINTS);
    const unit = shown[0]?.unit;
    const { factor, label } = chartScale(unit);
    const origin = soakStart ?? Date.parse(shown[0]?.at ?? report.startedAt);
    const limit = shown[0]?.threshold;
    const threshold = limit === undefined ? undefined : limit * factor;
    const values = shown.map((m) => m.value * factor);
    const elapsed = shown.map((m) => Math.max(0, Date.parse(m.at) - origin));
    const series: { kind: "line"; values: number[] }[] = [{ kind: "line", values }];
    if (threshold !== undefined) series.push({ kind: "line", values: shown.map(() => threshold) });
    const top = Math.max(...values, threshold ?? 0);
    summary.xyChart({
      title: `${check.name} over the soak${threshold !== undefined ? " (flat line: threshold)" : ""}`,
      xLabels: elapsed.map((ms) => elapsedLabel(ms, Math.max(...elapsed))),
      yLabel: label,
      series,
      yMin: 0,
      yMax: Number((top * 1.1 || 1).toPrecision(3)),
    });
  }

  const failures = report.checks.flatMap((check) =>
    check.measurements.filter((m) => m.status === "fail").map((m) => ({ check, m })),
  );
  if (failures.length > 0) {
    const rows = failures
      .slice(-MAX_FAILED_ROWS)
      .map(({ check, m }) => [m.at.slice(11, 23), check.name, shown(check, m), m.expected, m.detail ?? ""]);
    const more =
      failures.length > MAX_FAILED_ROWS ? ` (the last ${MAX_FAILED_ROWS} of ${failures.length})` : "";
    const table = new SummaryBuilder().table(["Time (UTC)", "Check", "Measured", "Expected", "Detail"], rows);
    summary.details(`Failed measurements${more}`, table);
  }
  summary.paragraph("Every measurement is in the `report` output (JSON).");
}

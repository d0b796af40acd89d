// The watch in the step summary: the verdict and its figures, the error rate, p95 and error lines over
// time against their thresholds as charts, one row per check, and every round in a folded table.
import { formatDuration } from "../runtime/format";
import { SummaryBuilder } from "../runtime/summary";
import { formatRate } from "./log-errors";
import { formatValue, type Verdict } from "./verdict";
import type { WatchPoint, WatchReport } from "./watch";

const ICON: Record<Verdict, string> = {
  pass: "✅ verified",
  fail: "❌ fail",
  inconclusive: "⚠️ inconclusive",
};
const MAX_POINTS = 40;

function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const step = (items.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => items[Math.round(i * step)] as T);
}

function minuteLabel(point: WatchPoint, spanMinutes: number): string {
  return spanMinutes < 3 ? `${Math.round(point.minute * 60)}s` : `${Number(point.minute.toFixed(1))}m`;
}

function chart(
  summary: SummaryBuilder,
  points: readonly WatchPoint[],
  title: string,
  unit: string,
  value: (p: WatchPoint) => number | null,
  threshold: number | null,
): void {
  const shown = spread(
    points.filter((p) => value(p) !== null),
    MAX_POINTS,
  );
  if (shown.length < 2) return;
  const values = shown.map((p) => value(p) as number);
  const series: { kind: "line"; values: number[] }[] = [{ kind: "line", values }];
  if (threshold !== null) series.push({ kind: "line", values: shown.map(() => threshold) });
  const top = Math.max(...values, threshold ?? 0);
  const span = shown.at(-1)?.minute ?? 0;
  summary.xyChart({
    title: `${title}${threshold !== null ? " (flat line: threshold)" : ""}`,
    xLabels: shown.map((p) => minuteLabel(p, span)),
    yLabel: unit,
    series,
    yMin: 0,
    yMax: Number((top * 1.15 || 1).toPrecision(3)),
  });
}

export function writeWatchSummary(summary: SummaryBuilder, watch: WatchReport): void {
  summary.heading(`watch: ${ICON[watch.verdict]}`, 3);
  summary.paragraph(
    `${watch.reason}. A round every ${formatDuration(watch.intervalMs)} over a window of ${formatDuration(watch.windowMs)}, each judging the interval just past.`,
  );
  const points = watch.timeline;
  const t = watch.thresholds;
  chart(
    summary,
    points,
    "Error rate during the watch",
    "%",
    (p) => (p.errorRate === null ? null : p.errorRate * 100),
    t.errorRate === null ? null : t.errorRate * 100,
  );
  chart(
    summary,
    points,
    "p95 latency during the watch",
    "ms",
    (p) => (p.p95Seconds === null ? null : p.p95Seconds * 1000),
    t.p95Seconds === null ? null : t.p95Seconds * 1000,
  );
  chart(
    summary,
    points,
    "Error lines in the logs",
    "lines/min",
    (p) => p.logErrorsPerMinute,
    t.logErrorsPerMinute,
  );
  summary.table(
    ["Check", "Result", "Evidence"],
    watch.checks.map((c) => [
      c.name.replace(/^watch: /, ""),
      c.status === "pass" ? "✅ pass" : c.status === "fail" ? "❌ fail" : "⚠️ inconclusive",
      c.summary,
    ]),
  );
  if (points.length > 0) {
    const rows = points.map((p) => [
      p.at.slice(11, 19),
      formatDuration(Math.round(p.minute * 60_000)),
      p.errorRate === null ? "no data" : formatValue(p.errorRate, "ratio"),
      p.p95Seconds === null ? "no data" : formatValue(p.p95Seconds, "seconds"),
      p.logErrorsPerMinute === null ? "" : formatRate(p.logErrorsPerMinute),
      p.alarmsInAlarm.join(", "),
      p.failing.join(", "),
    ]);
    const table = new SummaryBuilder().table(
      ["Time (UTC)", "Since start", "Error rate", "p95", "Error lines", "In ALARM", "Failing"],
      rows,
    );
    summary.details(`Every round of the watch (${points.length})`, table);
  }
}

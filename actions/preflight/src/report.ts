// preflight's answer in one place: the outputs, the runbook's checklist in the step summary (each box
// ticked or not, with its evidence), one log line per check, and the failure of a no-go.
import type { CheckStatus, PreflightReport } from "@shipline/core/preflight/report";
import { UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";
import { outputSpec } from "./outputs";

const BOX: Record<CheckStatus, string> = {
  pass: "- [x]",
  overridden: "- [x]",
  fail: "- [ ]",
  off: "- [ ] ~~",
};

function link(label: string, value: string, url: string | undefined): string {
  const safe = value.replace(/[|\n]/g, " ");
  return url ? `${label}: [${safe}](${url})` : `${label}: \`${safe}\``;
}

export function checklist(report: PreflightReport): string {
  const lines = report.checks.map((c) => {
    const head =
      c.status === "off"
        ? `${BOX.off}${c.title}~~ (turned off)`
        : `${BOX[c.status]} **${c.title}**${c.status === "overridden" ? " (overridden)" : ""}`;
    const body = [
      c.summary,
      ...c.evidence.map((e) => link(e.label, e.value, e.url)),
      ...(c.status === "fail" && c.fix ? [`Fix: ${c.fix}`] : []),
    ];
    return [head, ...body.map((b) => `    - ${b}`)].join("\n");
  });
  return lines.join("\n");
}

export function publish(context: ActionContext, report: PreflightReport, failOnNoGo: boolean): void {
  const { logger, summary } = context;
  context.outputs(outputSpec).setAll({
    verdict: report.verdict,
    "failed-checks": report.failedChecks,
    report,
    override: report.override ?? "",
  });
  summary.heading(`Preflight: ${report.verdict === "go" ? "GO" : "NO-GO"}`);
  summary.paragraph(`Judged at ${report.at}.`);
  summary.raw(checklist(report));
  if (report.override) {
    summary.paragraph(
      `**Override** of ${report.override.checks.join(", ")} by ${report.override.actor ?? "unknown"}: ${report.override.reason}`,
    );
  }
  for (const c of report.checks) logger.info(`${c.status.toUpperCase().padEnd(10)} ${c.title}: ${c.summary}`);
  logger.info(`Verdict: ${report.verdict}`);
  if (report.override) logger.warning(`Release window overridden: ${report.override.reason}`);
  if (report.verdict === "no-go" && failOnNoGo) {
    const failed = report.checks.filter((c) => c.status === "fail");
    throw new UserError(
      `Preflight says no-go: ${failed.map((c) => `${c.title.toLowerCase()}: ${c.summary}`).join(" ")}`,
      {
        fix: failed
          .map((c) => c.fix)
          .filter(Boolean)
          .join(" "),
      },
    );
  }
}

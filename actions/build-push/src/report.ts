// What a run did, as the `report` output (JSON), the other outputs, and the step summary.

import type { ScanResult, ScanVerdict } from "@shipline/core/ecr/scan";
import type { ApplyResult } from "@shipline/core/ecr/tagging";
import { shortDigest } from "@shipline/core/ecr/tagging";
import { formatDuration } from "@shipline/core/runtime/format";
import type { ActionContext } from "@shipline/core/runtime/run";
import { outputSpec } from "./outputs";

export interface ScanReport {
  status: string;
  description: string | undefined;
  threshold: string;
  passed: boolean;
  reasons: string[];
  counts: ScanResult["counts"];
  ignored: ScanResult["ignored"];
  ignoredIds: string[];
  waitedMs: number;
  rows: ScanVerdict["rows"];
}

export interface RunReport {
  mode: "build" | "promote";
  repository: string;
  repositoryUri: string;
  registry: string;
  image: string | undefined;
  digest: string | undefined;
  tags: string[];
  built: boolean;
  /** Why no build happened, in build mode. */
  skipped: string | undefined;
  builder: string | undefined;
  source: string | undefined;
  tagChanges: ApplyResult[];
  scan: ScanReport | undefined;
  createdRepository: boolean;
}

export function emptyReport(mode: RunReport["mode"], repository: string): RunReport {
  return {
    mode,
    repository,
    repositoryUri: "",
    registry: "",
    image: undefined,
    digest: undefined,
    tags: [],
    built: false,
    skipped: undefined,
    builder: undefined,
    source: undefined,
    tagChanges: [],
    scan: undefined,
    createdRepository: false,
  };
}

/** Sets every output that is known, and writes the summary. Called once, on success or failure. */
export function publish(context: ActionContext, report: RunReport, failed: boolean): void {
  const outputs = context.outputs(outputSpec);
  outputs.setAll({
    image: report.image,
    digest: report.digest,
    tags: report.digest ? report.tags : undefined,
    registry: report.registry || undefined,
    built: report.digest ? report.built : undefined,
    report,
  });

  const summary = context.summary;
  const verb = report.mode === "promote" ? "promoted" : report.built ? "built and pushed" : "already in ECR";
  summary.heading(`build-push: ${report.repository} ${failed ? "(failed)" : verb}`, 2);
  if (report.digest) {
    summary.table(
      ["", ""],
      [
        ["Image", `\`${report.image}\``],
        ["Digest", `\`${report.digest}\``],
        ["Tags", report.tags.map((t) => `\`${t}\``).join(" ")],
        ...(report.source ? [["Promoted from", `\`${report.source}\``]] : []),
        ...(report.builder ? [["Builder", report.builder]] : []),
        ...(report.skipped ? [["Build", report.skipped]] : []),
        ...(report.createdRepository ? [["Repository", "created by this run"]] : []),
      ],
    );
  }
  if (report.tagChanges.length > 0) {
    summary.table(
      ["Tag", "Change"],
      report.tagChanges.map((c) => [
        `\`${c.tag}\``,
        c.action === "moved" ? `moved from sha256:${shortDigest(c.from ?? "")}…` : c.action,
      ]),
    );
  }
  const scan = report.scan;
  if (scan) {
    summary.heading(
      `Scan: ${scan.passed ? "passed" : "failed"} (${scan.status}, threshold ${scan.threshold.toLowerCase()})`,
      3,
    );
    summary.table(
      ["Severity", "Findings", "Ignored", "Allowed", "Result"],
      scan.rows
        .filter((row) => row.count > 0 || row.ignored > 0 || row.allowed !== undefined)
        .map((row) => [
          row.severity,
          row.count,
          row.ignored,
          row.allowed ?? "not judged",
          row.allowed === undefined ? "" : row.exceeded ? "over" : "ok",
        ]),
    );
    if (scan.reasons.length > 0) summary.list(scan.reasons);
    if (scan.ignoredIds.length > 0)
      summary.paragraph(`Ignored: ${scan.ignoredIds.map((id) => `\`${id}\``).join(", ")}`);
    summary.paragraph(`Waited ${formatDuration(scan.waitedMs)} for the scan.`);
  }
}

// What a run did (its outcome, failure included) rendered once: the `report` output (JSON), the other
// outputs, and the step summary.
import { shortDigest } from "@shipline/core/ecr/images";
import type { ScanGateOutcome } from "@shipline/core/ecr/scan";
import type { ApplyResult } from "@shipline/core/ecr/tagging";
import { formatDuration } from "@shipline/core/runtime/format";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { SummaryBuilder } from "@shipline/core/runtime/summary";
import { outputSpec } from "./outputs";
import type { Settings } from "./settings";

/** The `report` output: what is known of the image and of each change, on success or failure. */
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
  scan: ScanGateOutcome | undefined;
  createdRepository: boolean;
}

export interface BuildPushOutcome extends RunReport {
  /** What ended the run early (a refusal, a failed gate, a cancellation), or undefined when it did all it was asked. */
  failure: { error: unknown } | undefined;
}

/** Where a run starts: nothing known yet but what it was asked for. */
export function startOutcome(settings: Pick<Settings, "mode" | "repository">): BuildPushOutcome {
  return {
    mode: settings.mode,
    repository: settings.repository.name,
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
    failure: undefined,
  };
}

/** The image's place in ECR, once known: the repository and the digest every output names. */
export function imageFacts(
  repository: { uri: string; registry: string },
  digest: string,
): Pick<RunReport, "repositoryUri" | "registry" | "digest" | "image"> {
  return {
    repositoryUri: repository.uri,
    registry: repository.registry,
    digest,
    image: `${repository.uri}@${digest}`,
  };
}

export function toReport(outcome: BuildPushOutcome): RunReport {
  const { failure: _failure, ...report } = outcome;
  return report;
}

function imageTable(summary: SummaryBuilder, report: RunReport): void {
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

function tagTable(summary: SummaryBuilder, changes: readonly ApplyResult[]): void {
  summary.table(
    ["Tag", "Change"],
    changes.map((c) => [
      `\`${c.tag}\``,
      c.action === "moved" ? `moved from sha256:${shortDigest(c.from ?? "")}…` : c.action,
    ]),
  );
}

function scanSection(summary: SummaryBuilder, scan: ScanGateOutcome): void {
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

/** Sets every output that is known, and writes the summary. Called once, on success or failure. */
export function publish(context: ActionContext, outcome: BuildPushOutcome): void {
  const report = toReport(outcome);
  context.outputs(outputSpec).setAll({
    image: report.image,
    digest: report.digest,
    tags: report.digest ? report.tags : undefined,
    registry: report.registry || undefined,
    built: report.digest ? report.built : undefined,
    report,
  });

  const { summary } = context;
  const verb = report.mode === "promote" ? "promoted" : report.built ? "built and pushed" : "already in ECR";
  summary.heading(`build-push: ${report.repository} ${outcome.failure ? "(failed)" : verb}`, 2);
  if (report.digest) imageTable(summary, report);
  if (report.tagChanges.length > 0) tagTable(summary, report.tagChanges);
  if (report.scan) scanSection(summary, report.scan);
}

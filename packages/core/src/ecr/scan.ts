// The scan gate: wait for ECR's scan of an image (basic scans settle at COMPLETE, enhanced at ACTIVE),
// count its findings by severity less the ignored ones, and judge them against allowed numbers.
import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandOutput,
  type ECRClient,
  StartImageScanCommand,
} from "@aws-sdk/client-ecr";
import type { Clock } from "../runtime/clock";
import { UserError } from "../runtime/errors";
import { formatDuration } from "../runtime/format";
import type { Logger } from "../runtime/logger";
import { done, PollTimeoutError, pending, poll } from "../runtime/poller";
import { type RepositoryId, shortDigest } from "./images";
import { isAwsError } from "./repository";

export const SEVERITIES = [
  "CRITICAL",
  "HIGH",
  "MEDIUM",
  "LOW",
  "INFORMATIONAL",
  "UNDEFINED",
  "UNTRIAGED",
] as const;
export type Severity = (typeof SEVERITIES)[number];
/** The severities a threshold can name, most severe first. */
export const THRESHOLD_SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"] as const;
export type ThresholdSeverity = (typeof THRESHOLD_SEVERITIES)[number];

export type SeverityCounts = Record<Severity, number>;

export function zeroCounts(): SeverityCounts {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0, UNTRIAGED: 0 };
}

function asSeverity(value: string | undefined): Severity {
  const upper = (value ?? "UNDEFINED").toUpperCase();
  return (SEVERITIES as readonly string[]).includes(upper) ? (upper as Severity) : "UNDEFINED";
}

export interface Finding {
  /** CVE id (basic: `name`; enhanced: the vulnerability id). */
  id: string;
  severity: Severity;
  /** The package, when the scan says. */
  package?: string;
}

export interface ScanResult {
  /** COMPLETE, ACTIVE, or a status that cannot be judged (FAILED, UNSUPPORTED_IMAGE, ...). */
  status: string;
  description: string | undefined;
  /** Counts of the findings that count (ignored ones removed). */
  counts: SeverityCounts;
  /** Findings removed by the ignore list, per severity. */
  ignored: SeverityCounts;
  /** Ignore-list ids that matched a finding. */
  ignoredIds: string[];
  findings: Finding[];
  waitedMs: number;
}

export const SETTLED_STATUSES = ["COMPLETE", "ACTIVE"];
const WAITING_STATUSES = ["IN_PROGRESS", "PENDING"];

export interface WaitForScanOptions {
  clock: Clock;
  signal?: AbortSignal;
  logger: Logger;
  timeoutMs: number;
  intervalMs: number;
  /** Start a basic scan when the image has none (the repository does not scan on push). */
  startIfMissing: boolean;
  /** Finding ids to leave out of the counts. */
  ignore: readonly string[];
}

function findingsOf(out: DescribeImageScanFindingsCommandOutput): Finding[] {
  const scan = out.imageScanFindings;
  const basic = (scan?.findings ?? []).map((f) => {
    const pkg = f.attributes?.find((a) => a.key === "package_name")?.value;
    return { id: f.name ?? "", severity: asSeverity(f.severity), ...(pkg ? { package: pkg } : {}) };
  });
  const enhanced = (scan?.enhancedFindings ?? []).map((f) => {
    const pkg = f.packageVulnerabilityDetails?.vulnerablePackages?.[0]?.name;
    return {
      id: f.packageVulnerabilityDetails?.vulnerabilityId ?? f.title ?? f.findingArn ?? "",
      severity: asSeverity(f.severity),
      ...(pkg ? { package: pkg } : {}),
    };
  });
  return [...basic, ...enhanced];
}

function countsOf(out: DescribeImageScanFindingsCommandOutput): SeverityCounts {
  const counts = zeroCounts();
  for (const [severity, n] of Object.entries(out.imageScanFindings?.findingSeverityCounts ?? {})) {
    counts[asSeverity(severity)] += n ?? 0;
  }
  return counts;
}

function describeCounts(counts: SeverityCounts): string {
  const parts = SEVERITIES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s.toLowerCase()}`);
  return parts.length > 0 ? parts.join(", ") : "no findings";
}

/** Waits for the image's scan with the poller, then reads every finding page. */
export async function waitForScan(
  client: ECRClient,
  repository: RepositoryId,
  digest: string,
  options: WaitForScanOptions,
): Promise<ScanResult> {
  const { logger } = options;
  const request = {
    repositoryName: repository.name,
    ...(repository.registryId ? { registryId: repository.registryId } : {}),
    imageId: { imageDigest: digest },
  };
  let lastStatus: string | undefined;
  let startRequested = false;
  const startedAt = options.clock.now();
  let first: DescribeImageScanFindingsCommandOutput;
  try {
    first = await poll(
      {
        intervalMs: options.intervalMs,
        timeoutMs: options.timeoutMs,
        clock: options.clock,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      async () => {
        let out: DescribeImageScanFindingsCommandOutput;
        try {
          out = await client.send(new DescribeImageScanFindingsCommand({ ...request, maxResults: 1000 }));
        } catch (error) {
          if (!isAwsError(error, "ScanNotFoundException")) throw error;
          if (options.startIfMissing && !startRequested) {
            startRequested = true;
            try {
              await client.send(new StartImageScanCommand(request));
              logger.progress("scan: none yet; started a basic scan");
              lastStatus = "STARTED";
              return pending;
            } catch (startError) {
              // ECR allows one manual scan per image a day, and caps scans per account.
              if (isAwsError(startError, "LimitExceededException")) {
                throw new UserError(
                  `ECR refused to start a scan of sha256:${digest.slice(7, 19)}…: ${(startError as Error).message}`,
                  {
                    fix: "Turn on scan on push for the repository (in ECR, or `scan-on-push` when build-push creates it) or enhanced scanning, so images are scanned without a manual scan; or re-run later.",
                    cause: startError,
                  },
                );
              }
              // Enhanced scanning refuses manual scans: its own scan comes without asking.
              if (!isAwsError(startError, "ValidationException")) throw startError;
              logger.debug(`StartImageScan: ${(startError as Error).message}`);
            }
          }
          if (lastStatus !== "NONE") logger.progress("scan: not started yet");
          lastStatus = "NONE";
          return pending;
        }
        const status = out.imageScanStatus?.status ?? "UNKNOWN";
        if (WAITING_STATUSES.includes(status)) {
          if (status !== lastStatus) logger.progress(`scan: ${status}`);
          lastStatus = status;
          return pending;
        }
        return done(out);
      },
    );
  } catch (error) {
    if (error instanceof PollTimeoutError) {
      throw new UserError(
        `The ECR scan of sha256:${digest.slice(7, 19)}… did not finish within ${formatDuration(options.timeoutMs)} (last status: ${lastStatus ?? "none"}).`,
        {
          input: "scan-timeout",
          fix: "Raise `scan-timeout`, or check that the repository scans on push (or that enhanced scanning covers it).",
        },
      );
    }
    throw error;
  }

  const status = first.imageScanStatus?.status ?? "UNKNOWN";
  const description = first.imageScanStatus?.description;
  const result: ScanResult = {
    status,
    description,
    counts: countsOf(first),
    ignored: zeroCounts(),
    ignoredIds: [],
    findings: findingsOf(first),
    waitedMs: options.clock.now() - startedAt,
  };
  if (!SETTLED_STATUSES.includes(status)) return result;

  let token = first.nextToken;
  while (token) {
    const page = await client.send(
      new DescribeImageScanFindingsCommand({ ...request, maxResults: 1000, nextToken: token }),
    );
    result.findings.push(...findingsOf(page));
    token = page.nextToken;
  }
  if (options.ignore.length > 0) {
    const ignore = new Set(options.ignore);
    const counts = zeroCounts();
    const matched = new Set<string>();
    for (const finding of result.findings) {
      if (ignore.has(finding.id)) {
        result.ignored[finding.severity]++;
        matched.add(finding.id);
      } else {
        counts[finding.severity]++;
      }
    }
    result.counts = counts;
    result.ignoredIds = [...matched].sort();
  }
  logger.progress(`scan: ${status}, ${describeCounts(result.counts)}`);
  return result;
}

export interface ScanPolicy {
  threshold: ThresholdSeverity;
  /** Findings allowed per severity at or above the threshold (default 0). */
  allowed: Partial<Record<ThresholdSeverity, number>>;
}

export interface ScanVerdictRow {
  severity: Severity;
  count: number;
  ignored: number;
  /** undefined below the threshold: not judged. */
  allowed: number | undefined;
  exceeded: boolean;
}

export interface ScanVerdict {
  passed: boolean;
  rows: ScanVerdictRow[];
  /** Why it failed, one sentence per reason. */
  reasons: string[];
}

/** Judges a scan: a status that is not settled fails; so does any severity over its allowed number. */
export function judgeScan(
  result: Pick<ScanResult, "status" | "description" | "counts" | "ignored">,
  policy: ScanPolicy,
): ScanVerdict {
  const gated = THRESHOLD_SEVERITIES.slice(
    0,
    THRESHOLD_SEVERITIES.indexOf(policy.threshold) + 1,
  ) as readonly Severity[];
  const reasons: string[] = [];
  if (!SETTLED_STATUSES.includes(result.status)) {
    reasons.push(
      `the scan ended ${result.status}${result.description ? ` (${result.description})` : ""}, so its findings cannot be judged`,
    );
  }
  const rows = SEVERITIES.map((severity) => {
    const judged = gated.includes(severity);
    const allowed = judged ? (policy.allowed[severity as ThresholdSeverity] ?? 0) : undefined;
    const count = result.counts[severity];
    const exceeded = allowed !== undefined && count > allowed;
    if (exceeded)
      reasons.push(
        `${count} ${severity.toLowerCase()} finding${count === 1 ? "" : "s"} (allowed ${allowed})`,
      );
    return { severity, count, ignored: result.ignored[severity], allowed, exceeded };
  });
  return { passed: reasons.length === 0, rows, reasons };
}

/** The gate on an image's scan: the policy it is judged by, and how to wait for the scan. */
export interface ScanGate {
  policy: ScanPolicy;
  /** Finding ids to leave out of the counts. */
  ignore: string[];
  timeoutMs: number;
  intervalMs: number;
}

/** What the gate found and decided: the scan's status and counts beside the verdict. */
export interface ScanGateOutcome {
  status: string;
  description: string | undefined;
  threshold: ThresholdSeverity;
  passed: boolean;
  reasons: string[];
  counts: SeverityCounts;
  ignored: SeverityCounts;
  ignoredIds: string[];
  waitedMs: number;
  rows: ScanVerdictRow[];
}

/** Judges a finished wait for the scan against the gate's policy. */
export function judgeScanGate(result: ScanResult, gate: Pick<ScanGate, "policy">): ScanGateOutcome {
  const verdict = judgeScan(result, gate.policy);
  return {
    status: result.status,
    description: result.description,
    threshold: gate.policy.threshold,
    passed: verdict.passed,
    reasons: verdict.reasons,
    counts: result.counts,
    ignored: result.ignored,
    ignoredIds: result.ignoredIds,
    waitedMs: result.waitedMs,
    rows: verdict.rows,
  };
}

/** Ids on the ignore list that matched no finding of a settled scan (worth telling: maybe stale). */
export function unmatchedIgnores(gate: Pick<ScanGate, "ignore">, outcome: ScanGateOutcome): string[] {
  if (!SETTLED_STATUSES.includes(outcome.status)) return [];
  return gate.ignore.filter((id) => !outcome.ignoredIds.includes(id));
}

/** The failure of a gate that did not pass, naming the threshold input and how to get through. */
export function scanGateError(digest: string, outcome: ScanGateOutcome): UserError {
  return new UserError(
    `The scan gate failed for sha256:${shortDigest(digest)}… (threshold ${outcome.threshold.toLowerCase()}): ${outcome.reasons.join("; ")}.`,
    {
      input: "scan-severity-threshold",
      fix: "Update the base image or the vulnerable packages; or, deliberately, raise `scan-allowed-findings` or list the finding ids in `scan-ignore`.",
    },
  );
}

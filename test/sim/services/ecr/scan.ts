// ECR image scans, per digest: when they start (on push under BASIC scanning with scanOnPush, always
// under ENHANCED, or by StartImageScan), how long they stay IN_PROGRESS, and the findings the
// scenario's rules give them; and the scan members of ECR's answers.
import { createHash } from "node:crypto";
import type { Shape } from "../../framework/types";

export type Severity = "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "INFORMATIONAL" | "UNDEFINED" | "UNTRIAGED";

export interface EcrScenarioFinding {
  /** The vulnerability id (CVE-...), the id an ignore list names. */
  id: string;
  severity: Severity;
  description?: string;
  package?: { name: string; version?: string };
}

/** How the scan of matching images goes. Matches by digest, or by tag, optionally in one repository. */
export interface EcrScenarioScan {
  repository?: string;
  digest?: string;
  tag?: string;
  /** Final status; default COMPLETE under basic scanning, ACTIVE under enhanced. */
  status?: "COMPLETE" | "ACTIVE" | "FAILED" | "UNSUPPORTED_IMAGE" | "FINDINGS_UNAVAILABLE";
  description?: string;
  /** Simulated ms spent IN_PROGRESS before the final status (default: the section's inProgressMs). */
  inProgressMs?: number;
  findings?: EcrScenarioFinding[];
}

export type ScanType = "BASIC" | "ENHANCED";

export interface ScanRecord {
  repository: string;
  digest: string;
  startedAt: number;
  inProgressMs: number;
  status: string;
  description: string | undefined;
  findings: EcrScenarioFinding[];
  manual: boolean;
}

/** A scan as the simulator's inspection surface shows it. */
export interface ScanState {
  readonly repository: string;
  readonly digest: string;
  readonly status: string;
  readonly findings: number;
}

const SEVERITY_ORDER: Severity[] = [
  "CRITICAL",
  "HIGH",
  "MEDIUM",
  "LOW",
  "INFORMATIONAL",
  "UNDEFINED",
  "UNTRIAGED",
];
export const DEFAULT_IN_PROGRESS_MS = 30_000;
/** StartImageScan works once per image per 24 hours. */
export const MANUAL_SCAN_QUOTA_MS = 24 * 3_600_000;

const STATUS_DESCRIPTIONS: Record<string, string> = {
  IN_PROGRESS: "The scan is in progress.",
  COMPLETE: "The scan was completed successfully.",
  ACTIVE: "Continuous scan is selected for image.",
  FAILED: "The scan failed.",
  UNSUPPORTED_IMAGE: "The operating system and/or package manager are not supported.",
  FINDINGS_UNAVAILABLE: "Findings are unavailable for this image.",
};

const key = (repository: string, digest: string): string => `${repository}@${digest}`;

export class Scans {
  #rules: EcrScenarioScan[] = [];
  readonly #scans = new Map<string, ScanRecord>();
  /** When the simulator first saw each image (its push time, as far as ECR can tell). */
  readonly #firstSeen = new Map<string, number>();
  type: ScanType = "BASIC";
  inProgressMs = DEFAULT_IN_PROGRESS_MS;

  constructor(private readonly now: () => number) {}

  reset(): void {
    this.#rules = [];
    this.#scans.clear();
    this.#firstSeen.clear();
    this.type = "BASIC";
    this.inProgressMs = DEFAULT_IN_PROGRESS_MS;
  }

  configure(
    scanning: { type?: ScanType; inProgressMs?: number } | undefined,
    rules: EcrScenarioScan[],
  ): void {
    this.type = scanning?.type ?? "BASIC";
    this.inProgressMs = scanning?.inProgressMs ?? DEFAULT_IN_PROGRESS_MS;
    this.#rules = [...rules];
  }

  /** Adds a rule ahead of the others; it also rewrites the scans of images it matches by digest. */
  addRule(rule: EcrScenarioScan): void {
    this.#rules.unshift(rule);
    for (const scan of this.#scans.values()) {
      if (rule.digest === scan.digest && (!rule.repository || rule.repository === scan.repository)) {
        this.#apply(scan, rule);
      }
    }
  }

  get(repository: string, digest: string): ScanRecord | undefined {
    return this.#scans.get(key(repository, digest));
  }

  /**
   * Records the first time the simulator saw a digest (its push time) and starts its automatic scan
   * (every image under ENHANCED scanning; under BASIC, images of scan-on-push repositories).
   */
  observe(repository: string, digest: string, scanOnPush: boolean): number {
    const id = key(repository, digest);
    let seen = this.#firstSeen.get(id);
    if (seen === undefined) {
      seen = this.now();
      this.#firstSeen.set(id, seen);
      if (this.type === "ENHANCED" || scanOnPush) this.start(repository, digest, false);
    }
    return seen;
  }

  start(repository: string, digest: string, manual: boolean, tags?: readonly string[]): ScanRecord {
    const scan: ScanRecord = {
      repository,
      digest,
      startedAt: this.now(),
      inProgressMs: 0,
      status: "COMPLETE",
      description: undefined,
      findings: [],
      manual,
    };
    this.#apply(scan, this.#ruleFor(repository, digest, tags ?? []));
    this.#scans.set(key(repository, digest), scan);
    return scan;
  }

  /** Whether StartImageScan is refused for this image (a manual scan less than 24 h ago). */
  quotaExceeded(repository: string, digest: string): boolean {
    const previous = this.get(repository, digest);
    return previous?.manual === true && this.now() < previous.startedAt + MANUAL_SCAN_QUOTA_MS;
  }

  /** Tag rules need the tags, which are only known when the image is looked up: apply them then. */
  refresh(scan: ScanRecord, tags: readonly string[]): void {
    const rule = this.#ruleFor(scan.repository, scan.digest, tags);
    if (rule) this.#apply(scan, rule);
  }

  status(scan: ScanRecord): string {
    return this.now() < scan.startedAt + scan.inProgressMs ? "IN_PROGRESS" : scan.status;
  }

  completed(scan: ScanRecord): boolean {
    const status = this.status(scan);
    return status === "COMPLETE" || status === "ACTIVE";
  }

  /** `imageScanStatus` as ECR answers it. */
  statusShape(scan: ScanRecord): Shape {
    const status = this.status(scan);
    return {
      status,
      description:
        (status === scan.status ? scan.description : undefined) ?? STATUS_DESCRIPTIONS[status] ?? status,
    };
  }

  severityCounts(findings: readonly EcrScenarioFinding[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const severity of SEVERITY_ORDER) {
      const n = findings.filter((f) => f.severity === severity).length;
      if (n > 0) counts[severity] = n;
    }
    return counts;
  }

  /** `imageScanFindingsSummary` of DescribeImages, once the scan completed. */
  summaryShape(scan: ScanRecord): Shape | undefined {
    if (!this.completed(scan)) return undefined;
    return {
      imageScanCompletedAt: new Date(scan.startedAt + scan.inProgressMs),
      vulnerabilitySourceUpdatedAt: new Date(scan.startedAt),
      findingSeverityCounts: this.severityCounts(scan.findings),
    };
  }

  /** `imageScanFindings` of DescribeImageScanFindings: one page of findings, basic or enhanced. */
  findingsShape(
    scan: ScanRecord,
    page: { offset: number; limit: number },
    account: { accountId: string; region: string },
  ): { findings: Shape; nextToken?: string } {
    const findings = scan.findings.slice(page.offset, page.offset + page.limit);
    const completedAt = new Date(scan.startedAt + scan.inProgressMs);
    const base = {
      imageScanCompletedAt: completedAt,
      vulnerabilitySourceUpdatedAt: new Date(scan.startedAt),
      findingSeverityCounts: this.severityCounts(scan.findings),
    };
    const shaped =
      this.type === "ENHANCED"
        ? {
            ...base,
            enhancedFindings: findings.map((f, i) => ({
              awsAccountId: account.accountId,
              description: f.description ?? `${f.id} in ${f.package?.name ?? "a package"}`,
              findingArn: `arn:aws:inspector2:${account.region}:${account.accountId}:finding/${createHash(
                "md5",
              )
                .update(`${scan.digest}/${page.offset + i}`)
                .digest("hex")}`,
              firstObservedAt: completedAt,
              lastObservedAt: completedAt,
              packageVulnerabilityDetails: {
                vulnerabilityId: f.id,
                source: "NVD",
                vulnerablePackages: f.package ? [{ name: f.package.name, version: f.package.version }] : [],
              },
              severity: f.severity,
              status: "ACTIVE",
              title: f.package ? `${f.id} - ${f.package.name}` : f.id,
              type: "PACKAGE_VULNERABILITY",
              updatedAt: completedAt,
            })),
          }
        : {
            ...base,
            findings: findings.map((f) => ({
              name: f.id,
              description: f.description,
              uri: `https://nvd.nist.gov/vuln/detail/${f.id}`,
              severity: f.severity,
              attributes: f.package
                ? [
                    { key: "package_name", value: f.package.name },
                    ...(f.package.version ? [{ key: "package_version", value: f.package.version }] : []),
                  ]
                : [],
            })),
          };
    const end = page.offset + page.limit;
    return { findings: shaped, ...(end < scan.findings.length ? { nextToken: String(end) } : {}) };
  }

  states(): ScanState[] {
    return [...this.#scans.values()].map((s) => ({
      repository: s.repository,
      digest: s.digest,
      status: this.status(s),
      findings: s.findings.length,
    }));
  }

  #ruleFor(repository: string, digest: string, tags: readonly string[]): EcrScenarioScan | undefined {
    return this.#rules.find(
      (rule) =>
        (!rule.repository || rule.repository === repository) &&
        ((rule.digest !== undefined && rule.digest === digest) ||
          (rule.tag !== undefined && tags.includes(rule.tag))),
    );
  }

  #apply(scan: ScanRecord, rule: EcrScenarioScan | undefined): void {
    scan.inProgressMs = rule?.inProgressMs ?? this.inProgressMs;
    scan.status = rule?.status ?? (this.type === "ENHANCED" ? "ACTIVE" : "COMPLETE");
    scan.description = rule?.description;
    scan.findings = rule?.findings ?? [];
  }
}

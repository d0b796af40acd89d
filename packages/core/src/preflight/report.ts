// The shapes of preflight's answer: one result per check of the production runbook, each with its
// evidence, and the go / no-go they add up to.

export const CHECK_IDS = ["staging", "rollback-target", "migrations", "window", "release-notes"] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/** The runbook's line for each check, as the step summary's checklist shows it. */
export const CHECK_TITLES: Record<CheckId, string> = {
  staging: "Staging verified this image",
  "rollback-target": "A rollback target exists",
  migrations: "Migrations are safe to run now",
  window: "It is a time to release",
  "release-notes": "The release is documented",
};

export interface Evidence {
  label: string;
  value: string;
  url?: string;
}

/** pass and fail are judged; off was turned off by input; overridden failed and a person overrode it. */
export type CheckStatus = "pass" | "fail" | "off" | "overridden";

export interface PreflightCheck {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** One sentence: what was found. */
  summary: string;
  evidence: Evidence[];
  /** What to do about a failure. */
  fix?: string;
}

export type PreflightVerdict = "go" | "no-go";

export interface PreflightReport {
  verdict: PreflightVerdict;
  /** GitHub's time (epoch ms as ISO) the checks were judged at. */
  at: string;
  checks: PreflightCheck[];
  /** The checks that fail the release (not the overridden ones). */
  failedChecks: CheckId[];
  override: { checks: CheckId[]; reason: string; actor: string | null; runUrl: string | null } | null;
}

export function check(
  id: CheckId,
  status: CheckStatus,
  summary: string,
  evidence: Evidence[] = [],
  fix?: string,
): PreflightCheck {
  return { id, title: CHECK_TITLES[id], status, summary, evidence, ...(fix ? { fix } : {}) };
}

export function turnedOff(id: CheckId, input: string): PreflightCheck {
  return check(id, "off", `Not checked: \`${input}\` is false.`);
}

/**
 * The verdict: go when every check passed, was turned off, or failed with an override that names it.
 * An override can only name checks that allow one (the release window).
 */
export function concludePreflight(
  checks: readonly PreflightCheck[],
  at: number,
  override:
    | { checks: readonly CheckId[]; reason: string; actor: string | null; runUrl: string | null }
    | undefined,
): PreflightReport {
  const judged = checks.map((c) =>
    c.status === "fail" && override?.checks.includes(c.id)
      ? { ...c, status: "overridden" as const, summary: `${c.summary} Overridden: ${override.reason}` }
      : c,
  );
  const failedChecks = judged.filter((c) => c.status === "fail").map((c) => c.id);
  const used = override && judged.some((c) => c.status === "overridden");
  return {
    verdict: failedChecks.length === 0 ? "go" : "no-go",
    at: new Date(at).toISOString(),
    checks: judged,
    failedChecks,
    override: used && override ? { ...override, checks: [...override.checks] } : null,
  };
}

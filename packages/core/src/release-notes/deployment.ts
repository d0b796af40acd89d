// What was deployed with a release, from the other actions' outputs (image, digest, task
// definitions, migrations, health-gate verdict and report), and how to roll it back.
import { TASK_DEFINITION_ARN } from "../ecs/arns";

export { TASK_DEFINITION_ARN };

export type Verdict = "pass" | "fail" | "inconclusive";

export interface MigrationRecord {
  file: string;
  destructive: boolean;
}

/** The deployment facts a release records, in a hidden block, so the next release can roll back to them. */
export interface RecordedDeployment {
  image?: string;
  digest?: string;
  taskDefinitionArn?: string;
}

export interface DeploymentFacts {
  image: string | undefined;
  digest: string | undefined;
  taskDefinitionArn: string | undefined;
  previousTaskDefinitionArn: string | undefined;
  migrations: MigrationRecord[] | undefined;
  verdict: Verdict | undefined;
  healthReport: unknown;
  /** What the previous release recorded (its digest), when it was written by shipline. */
  previous: (RecordedDeployment & { tag: string }) | undefined;
  /** `owner/shipline/actions/auto-rollback@ref` for the rollback snippet. */
  rollbackAction: string;
  /** Extra `with:` lines for the rollback snippet (cluster, service...). */
  rollbackWith: Record<string, string>;
}

export const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The digest of an image reference `repo@sha256:...`, if it has one. */
export function digestOfImage(image: string): string | undefined {
  const at = image.lastIndexOf("@");
  if (at < 0) return undefined;
  const digest = image.slice(at + 1);
  return DIGEST.test(digest) ? digest : undefined;
}

/** `web:42` from a task definition ARN. */
export function taskDefinitionRevision(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

/** Checks the `migrations` output of migrate: a JSON list of objects with `file` and `destructive`. */
export function parseMigrations(value: unknown): MigrationRecord[] {
  if (!Array.isArray(value)) throw new Error("expected a JSON list of migrations");
  return value.map((item: unknown, index) => {
    if (typeof item !== "object" || item === null) throw new Error(`item ${index} is not an object`);
    const record = item as Record<string, unknown>;
    if (typeof record.file !== "string" || record.file === "") throw new Error(`item ${index} has no "file"`);
    if (record.destructive !== undefined && typeof record.destructive !== "boolean") {
      throw new Error(`item ${index} has a "destructive" that is not true or false`);
    }
    return { file: record.file, destructive: record.destructive === true };
  });
}

export function hasDeploymentFacts(facts: DeploymentFacts): boolean {
  return (
    facts.image !== undefined ||
    facts.digest !== undefined ||
    facts.taskDefinitionArn !== undefined ||
    facts.previousTaskDefinitionArn !== undefined ||
    facts.migrations !== undefined ||
    facts.verdict !== undefined ||
    facts.healthReport !== undefined
  );
}

const RECORD_KEY = "shipline:release-notes:deployment";

/** The hidden block holding the deployment facts; `>` is escaped so the JSON cannot close the comment. */
export function deploymentRecord(facts: DeploymentFacts): string | undefined {
  const record: RecordedDeployment = {};
  const digest = facts.digest ?? (facts.image ? digestOfImage(facts.image) : undefined);
  if (facts.image) record.image = facts.image;
  if (digest) record.digest = digest;
  if (facts.taskDefinitionArn) record.taskDefinitionArn = facts.taskDefinitionArn;
  if (Object.keys(record).length === 0) return undefined;
  return `<!-- ${RECORD_KEY} ${JSON.stringify(record).replace(/>/g, "\\u003e")} -->`;
}

/** Reads the deployment a release body recorded, or undefined when it has none. */
export function readDeploymentRecord(body: string | null | undefined): RecordedDeployment | undefined {
  if (!body) return undefined;
  const start = body.indexOf(`<!-- ${RECORD_KEY} `);
  if (start < 0) return undefined;
  const end = body.indexOf(" -->", start);
  if (end < 0) return undefined;
  try {
    const value = JSON.parse(body.slice(start + RECORD_KEY.length + 6, end)) as unknown;
    if (typeof value !== "object" || value === null) return undefined;
    const record = value as Record<string, unknown>;
    const out: RecordedDeployment = {};
    if (typeof record.image === "string") out.image = record.image;
    if (typeof record.digest === "string" && DIGEST.test(record.digest)) out.digest = record.digest;
    if (typeof record.taskDefinitionArn === "string" && TASK_DEFINITION_ARN.test(record.taskDefinitionArn)) {
      out.taskDefinitionArn = record.taskDefinitionArn;
    }
    return out;
  } catch {
    return undefined;
  }
}

/** The ready-to-paste workflow step that puts the previous task definition back. */
export function rollbackStep(facts: DeploymentFacts, previousTaskDefinitionArn: string): string {
  const lines = [
    "- name: Roll back",
    `  uses: ${facts.rollbackAction}`,
    "  with:",
    // The revision to go back to is this release's, whatever rollback-with says: a key twice is
    // YAML GitHub refuses.
    ...Object.entries(facts.rollbackWith)
      .filter(([key]) => key !== "previous-task-definition-arn")
      .map(([key, value]) => `    ${key}: ${yamlScalar(value)}`),
    `    previous-task-definition-arn: ${previousTaskDefinitionArn}`,
  ];
  return lines.join("\n");
}

function yamlScalar(value: string): string {
  return /^[\w./:@-]+$/.test(value) &&
    !/^(true|false|null|yes|no|on|off|~)$/i.test(value) &&
    !/^\d/.test(value)
    ? value
    : JSON.stringify(value);
}

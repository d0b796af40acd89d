// The record shipline keeps in a GitHub deployment: what was deployed (the image digest of every
// container, the task-definition revision, the migrations applied, a preflight override) in the
// deployment's payload, and what was decided about it later (rolled out, the health gate's verdict, a
// rollback, verified after the watch) in its statuses. Every action that writes or reads the record
// goes through this module.
//
// Why statuses carry the later decisions: GitHub stores a deployment's payload once, at creation, and
// has no API to edit it. A deployment status is the one thing that can be added afterwards; GitHub
// timestamps it itself, keeps all of them newest first, and shows them on the environment's page. So
// the verdicts are statuses whose description starts with a mark (`[shipline gate:pass] ...`), which
// a reader parses back, and the status's own `created_at` is the time of the verdict.

import type { DeploymentState, GitHubClient, RepoRef } from "./client";
import { runUrl } from "./run-url";

/** Bumped when a field changes meaning, so a reader refuses a record it does not understand. */
export const DEPLOYMENT_RECORD_VERSION = 1;

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TASK_DEFINITION_ARN = /^arn:aws[\w-]*:ecs:[\w-]+:\d{12}:task-definition\/[\w-]{1,255}:\d+$/;

export interface RecordedContainer {
  name: string;
  image: string;
  /** The digest the image reference names; null when it was given by tag only. */
  digest: string | null;
}

export interface RecordedMigration {
  file: string;
  destructive: boolean;
}

/** A preflight decision that a person overrode, with their reason. */
export interface RecordedOverride {
  checks: string[];
  reason: string;
  actor: string | null;
  runUrl: string | null;
}

/** What ecs-deploy stores in the payload of the deployment it creates. */
export interface DeployPayload {
  shipline: "ecs-deploy";
  version: typeof DEPLOYMENT_RECORD_VERSION;
  cluster: string;
  services: string[];
  taskDefinitionArn: string;
  /** `family:revision`, for a person reading the payload. */
  revision: string;
  /** service -> its rollback target captured before the deploy. */
  previousTaskDefinitionArn: Record<string, string>;
  /** container -> image reference (kept for readers of the first payloads). */
  images: Record<string, string>;
  containers: RecordedContainer[];
  /** Migrations applied before the deploy; null when the deploy was not told. */
  migrations: RecordedMigration[] | null;
  /** Set when a preflight check was overridden for this deploy. */
  override: RecordedOverride | null;
}

/** What auto-rollback stores in the deployment it creates for the restored revision. */
export interface RollbackPayload {
  shipline: "auto-rollback";
  version: typeof DEPLOYMENT_RECORD_VERSION;
  taskDefinitionArn: string;
  /** The task definitions that were rolled back from. */
  rolledBackFrom: string[];
}

export type DeploymentPayload = DeployPayload | RollbackPayload;

/** The digest an image reference carries (`repo@sha256:...`), or null. */
export function digestOfReference(image: string): string | null {
  const at = image.lastIndexOf("@");
  if (at < 0) return null;
  const digest = image.slice(at + 1);
  return DIGEST.test(digest) ? digest : null;
}

function revisionOf(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

export function deployPayload(facts: {
  cluster: string;
  services: string[];
  taskDefinitionArn: string;
  previousTaskDefinitionArn: Record<string, string>;
  images: Record<string, string>;
  migrations?: RecordedMigration[] | undefined;
  override?: RecordedOverride | undefined;
}): DeployPayload {
  return {
    shipline: "ecs-deploy",
    version: DEPLOYMENT_RECORD_VERSION,
    cluster: facts.cluster,
    services: [...facts.services],
    taskDefinitionArn: facts.taskDefinitionArn,
    revision: revisionOf(facts.taskDefinitionArn),
    previousTaskDefinitionArn: { ...facts.previousTaskDefinitionArn },
    images: { ...facts.images },
    containers: Object.entries(facts.images)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, image]) => ({ name, image, digest: digestOfReference(image) })),
    migrations: facts.migrations ? facts.migrations.map((m) => ({ ...m })) : null,
    override: facts.override ?? null,
  };
}

export function rollbackPayload(
  taskDefinitionArn: string,
  rolledBackFrom: readonly string[],
): RollbackPayload {
  return {
    shipline: "auto-rollback",
    version: DEPLOYMENT_RECORD_VERSION,
    taskDefinitionArn,
    rolledBackFrom: [...rolledBackFrom],
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** GitHub returns the payload as given (an object), or as a string when it was sent as one. */
function payloadObject(raw: unknown): Record<string, unknown> | undefined {
  if (typeof raw === "string") {
    try {
      const parsed = JSON.parse(raw) as unknown;
      return isObject(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return isObject(raw) ? raw : undefined;
}

function stringRecord(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

function containersOf(value: unknown, images: Record<string, string>): RecordedContainer[] {
  if (Array.isArray(value)) {
    return value.flatMap((c) => {
      if (!isObject(c) || typeof c.name !== "string" || typeof c.image !== "string") return [];
      const digest = typeof c.digest === "string" && DIGEST.test(c.digest) ? c.digest : null;
      // The digest is the reference's own; a record whose two disagree is not believed.
      const named = digestOfReference(c.image);
      return [{ name: c.name, image: c.image, digest: named !== null && named !== digest ? null : digest }];
    });
  }
  return Object.entries(images).map(([name, image]) => ({ name, image, digest: digestOfReference(image) }));
}

function migrationsOf(value: unknown): RecordedMigration[] | null {
  if (!Array.isArray(value)) return null;
  return value.flatMap((m) =>
    isObject(m) && typeof m.file === "string" ? [{ file: m.file, destructive: m.destructive === true }] : [],
  );
}

/**
 * Reads an override as preflight's `override` output gives it; throws an Error naming the field.
 * Stricter than reading a stored payload: this is an input the deploy records.
 */
export function parseOverride(value: unknown): RecordedOverride {
  if (!isObject(value)) throw new Error("it is not a JSON object");
  if (typeof value.reason !== "string" || value.reason.trim() === "") throw new Error("reason is empty");
  if (!Array.isArray(value.checks) || value.checks.some((c) => typeof c !== "string"))
    throw new Error("checks is not a list of check names");
  return overrideOf(value) as RecordedOverride;
}

function overrideOf(value: unknown): RecordedOverride | null {
  if (!isObject(value) || typeof value.reason !== "string") return null;
  return {
    checks: Array.isArray(value.checks) ? value.checks.filter((c): c is string => typeof c === "string") : [],
    reason: value.reason,
    actor: typeof value.actor === "string" ? value.actor : null,
    runUrl: typeof value.runUrl === "string" ? value.runUrl : null,
  };
}

/**
 * Reads the payload of a deployment shipline created; undefined for another tool's deployment, or one
 * from a newer record version (its fields may mean something else). Payloads written before the
 * version field (version 0: cluster, services, task definition, images) are read as version 1.
 */
export function parseDeploymentPayload(raw: unknown): DeploymentPayload | undefined {
  const value = payloadObject(raw);
  if (!value) return undefined;
  const version = value.version ?? 0;
  if (version !== 0 && version !== DEPLOYMENT_RECORD_VERSION) return undefined;
  if (typeof value.taskDefinitionArn !== "string" || !TASK_DEFINITION_ARN.test(value.taskDefinitionArn))
    return undefined;
  if (value.shipline === "auto-rollback") {
    return rollbackPayload(
      value.taskDefinitionArn,
      Array.isArray(value.rolledBackFrom)
        ? value.rolledBackFrom.filter((a): a is string => typeof a === "string")
        : [],
    );
  }
  if (value.shipline !== "ecs-deploy") return undefined;
  const images = stringRecord(value.images);
  return {
    shipline: "ecs-deploy",
    version: DEPLOYMENT_RECORD_VERSION,
    cluster: typeof value.cluster === "string" ? value.cluster : "",
    services: Array.isArray(value.services)
      ? value.services.filter((s): s is string => typeof s === "string")
      : [],
    taskDefinitionArn: value.taskDefinitionArn,
    revision: revisionOf(value.taskDefinitionArn),
    previousTaskDefinitionArn: stringRecord(value.previousTaskDefinitionArn),
    images,
    containers: containersOf(value.containers, images),
    migrations: migrationsOf(value.migrations),
    override: overrideOf(value.override),
  };
}

// ---- statuses: the decisions taken after the deployment was created --------------------------------

export type GateVerdict = "pass" | "fail" | "inconclusive";

/** A decision about a deployment, as one of its statuses records it. */
export type RecordMark =
  | { kind: "rolled-out" }
  | { kind: "gate"; verdict: GateVerdict }
  | { kind: "rolled-back" }
  | { kind: "verified" };

function markToken(mark: RecordMark): string {
  return mark.kind === "gate" ? `gate:${mark.verdict}` : mark.kind;
}

const MARK = /^\[shipline (rolled-out|gate:pass|gate:fail|gate:inconclusive|rolled-back|verified)\] ?/;

/** The state a status of each decision has: a failed gate or a rollback fails the deployment. */
export function stateOfMark(mark: RecordMark): DeploymentState {
  if (mark.kind === "rolled-back") return "failure";
  if (mark.kind === "gate")
    return mark.verdict === "pass" ? "success" : mark.verdict === "fail" ? "failure" : "error";
  return "success";
}

/** A status description that carries the mark; GitHub keeps 140 characters, the mark comes first. */
export function markedDescription(mark: RecordMark, text: string): string {
  return `[shipline ${markToken(mark)}] ${text}`.slice(0, 140);
}

/** The mark a status description starts with, if shipline wrote one. */
export function parseMark(description: string | null | undefined): RecordMark | undefined {
  const match = MARK.exec(description ?? "");
  const token = match?.[1];
  if (!token) return undefined;
  if (token.startsWith("gate:")) return { kind: "gate", verdict: token.slice(5) as GateVerdict };
  return { kind: token as "rolled-out" | "rolled-back" | "verified" };
}

/** Adds the status that records a decision (the gate's verdict, a rollback) to a deployment. */
export async function recordDecision(
  github: GitHubClient,
  target: RepoRef & {
    deploymentId: number;
    mark: RecordMark;
    text: string;
    env?: NodeJS.ProcessEnv;
    environmentUrl?: string | undefined;
  },
): Promise<void> {
  const state = stateOfMark(target.mark);
  const logUrl = runUrl(target.env ?? process.env);
  await github.rest.repos.createDeploymentStatus({
    owner: target.owner,
    repo: target.repo,
    deployment_id: target.deploymentId,
    state,
    description: markedDescription(target.mark, target.text),
    // A later success must not make the environment's other deployments inactive twice over: GitHub
    // does that for the first success already, and a gate's success is the same deployment's.
    auto_inactive: false,
    ...(logUrl ? { log_url: logUrl } : {}),
    ...(state === "success" && target.environmentUrl ? { environment_url: target.environmentUrl } : {}),
  });
}

// ---- reading an environment's history ---------------------------------------------------------------

export interface RecordedStatus {
  state: string;
  description: string;
  mark: RecordMark | undefined;
  /** Epoch milliseconds, GitHub's time. */
  at: number;
  logUrl: string | undefined;
}

/**
 * The status that says how a deployment ended, from its statuses newest first: GitHub's own
 * `inactive` (added to earlier deployments of a non-production environment when a newer one
 * succeeds, `auto_inactive`) says only that another deployment replaced it, so it is passed over.
 * An inactive that shipline wrote itself carries a mark, and counts.
 */
export function outcomeStatus(statuses: readonly RecordedStatus[]): RecordedStatus | undefined {
  return statuses.find((s) => s.state !== "inactive" || s.mark !== undefined);
}

export interface RecordedDeployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  /** Epoch milliseconds, GitHub's time. */
  createdAt: number;
  /** Link to the environment's deployments page on GitHub. */
  url: string;
  payload: DeploymentPayload;
  /** Newest first, as GitHub lists them; empty until read with statusesOf. */
  statuses: RecordedStatus[];
}

interface ListedDeployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  created_at: string;
  payload: unknown;
}

/** GitHub's time of the newest answer read, so ages compare GitHub's clock with GitHub's own. */
export interface GitHubTime {
  /** Epoch milliseconds from the Date header of the newest answer, if any had one. */
  latest: number | undefined;
}

function noteDate(time: GitHubTime | undefined, headers: Record<string, unknown>): void {
  if (!time) return;
  const date = typeof headers.date === "string" ? Date.parse(headers.date) : Number.NaN;
  if (Number.isFinite(date) && (time.latest === undefined || date > time.latest)) time.latest = date;
}

function environmentPage(repo: RepoRef, environment: string, env: NodeJS.ProcessEnv): string {
  const server = env.GITHUB_SERVER_URL ?? "https://github.com";
  return `${server}/${repo.owner}/${repo.repo}/deployments/${encodeURIComponent(environment)}`;
}

/**
 * The environment's deployments that shipline recorded, newest first (GitHub's order), the newest
 * `limit` of them. Statuses are not read here: statusesOf reads them for the ones that matter.
 */
export async function recordedDeployments(
  github: GitHubClient,
  repo: RepoRef,
  query: { environment: string; sha?: string; limit?: number; env?: NodeJS.ProcessEnv; time?: GitHubTime },
): Promise<RecordedDeployment[]> {
  const limit = query.limit ?? 100;
  const out: RecordedDeployment[] = [];
  const env = query.env ?? process.env;
  for (let page = 1; out.length < limit; page++) {
    const response = await github.rest.repos.listDeployments({
      ...repo,
      environment: query.environment,
      task: "deploy",
      ...(query.sha ? { sha: query.sha } : {}),
      per_page: 100,
      page,
    });
    noteDate(query.time, response.headers as Record<string, unknown>);
    const listed = response.data as unknown as ListedDeployment[];
    for (const d of listed) {
      // GitHub filters by environment; an answer that does not is not believed.
      if (d.environment !== query.environment) continue;
      const payload = parseDeploymentPayload(d.payload);
      if (!payload) continue;
      out.push({
        id: d.id,
        sha: d.sha,
        ref: d.ref,
        environment: d.environment,
        createdAt: Date.parse(d.created_at),
        url: environmentPage(repo, d.environment, env),
        payload,
        statuses: [],
      });
      if (out.length >= limit) break;
    }
    if (listed.length < 100) break;
  }
  return out;
}

/** The deployment's statuses, newest first (the newest 100: far more than shipline writes per deploy). */
export async function statusesOf(
  github: GitHubClient,
  repo: RepoRef,
  deploymentId: number,
  time?: GitHubTime,
): Promise<RecordedStatus[]> {
  const response = await github.rest.repos.listDeploymentStatuses({
    ...repo,
    deployment_id: deploymentId,
    per_page: 100,
  });
  noteDate(time, response.headers as Record<string, unknown>);
  return response.data
    .map((s) => ({
      state: s.state,
      description: s.description ?? "",
      mark: parseMark(s.description),
      at: Date.parse(s.created_at),
      logUrl: s.log_url ?? s.target_url ?? undefined,
    }))
    .sort((a, b) => b.at - a.at);
}

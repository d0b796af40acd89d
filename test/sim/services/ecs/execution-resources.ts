// What ECS fetches with the task's execution role before its containers start: container secrets from
// Secrets Manager (whole secret, or a JSON key of a version stage or id) and SSM Parameter Store, and
// environment files from S3. The role must be allowed to read each one (secretsmanager:GetSecretValue,
// ssm:GetParameters, s3:GetObject and s3:GetBucketLocation, kms:Decrypt for a customer managed key).
// A failure stops the task before it runs, with stopCode TaskFailedToStart and a stoppedReason worded
// as Fargate words it (the agent's messages; the request ids are made up).
import type { IamService } from "../iam/service";
import type { S3Service } from "../s3/service";
import type { SecretsManagerService } from "../secretsmanager/service";
import type { SsmService } from "../ssm/service";
import type { EcsCore } from "./core";
import type { Shape, TaskRecord } from "./model";
import { containerDefinitions } from "./task-definitions";

/** What each container gets: environment-file variables and secret values, by variable name. */
export interface ExecutionResources {
  environmentFiles: Map<string, Record<string, string>>;
  secrets: Map<string, Record<string, string>>;
}

export type Resolution = { ok: true; resources: ExecutionResources } | { ok: false; stoppedReason: string };

const SECRETS_PREFIX =
  "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed:";

class Refusal extends Error {}

function requestId(core: EcsCore): string {
  return core.uuid();
}

function denied(core: EcsCore, role: string, task: TaskRecord, action: string, resource: string): string {
  const roleName = role.split("/").pop() ?? role;
  return `AccessDeniedException: User: arn:aws:sts::${core.runtime.accountId}:assumed-role/${roleName}/${task.id} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
}

/** Parses env-file text as the agent does: NAME=value lines, blank lines and # comments skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const at = line.indexOf("=");
    if (at <= 0) continue;
    out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

export class ExecutionResourceResolver {
  constructor(private readonly core: EcsCore) {}

  #iam = () => this.core.optional<IamService>("iam");
  #allowed(role: string, action: string, resource: string): boolean {
    return this.#iam()?.isAllowed(role, action, resource) ?? false;
  }

  /** Resolves every container's secrets and environment files, or says why the task cannot start. */
  resolve(task: TaskRecord): Resolution {
    const role = String(task.taskDefinition.body.executionRoleArn ?? "");
    const resources: ExecutionResources = { environmentFiles: new Map(), secrets: new Map() };
    try {
      for (const definition of containerDefinitions(task.taskDefinition)) {
        const name = String(definition.name);
        const files = (definition.environmentFiles as Shape[] | undefined) ?? [];
        if (files.length > 0) resources.environmentFiles.set(name, this.#environmentFiles(role, files));
        const secrets = (definition.secrets as Shape[] | undefined) ?? [];
        if (secrets.length > 0) resources.secrets.set(name, this.#secrets(task, role, secrets));
      }
    } catch (error) {
      if (error instanceof Refusal) return { ok: false, stoppedReason: error.message };
      throw error;
    }
    return { ok: true, resources };
  }

  #environmentFiles(role: string, files: Shape[]): Record<string, string> {
    const s3 = this.core.optional<S3Service>("s3");
    const out: Record<string, string> = {};
    for (const file of files) {
      const arn = String(file.value ?? "");
      const bucket = arn.replace(/^arn:aws[a-z-]*:s3:::/, "").split("/")[0] ?? "";
      const fail = (problem: string) =>
        new Refusal(
          `ResourceInitializationError: failed to download env files: file download command: non empty error stream: service call has been retried 5 time(s): ${problem} status code: ${problem.startsWith("NoSuchKey") ? 404 : 403}, request id: ${requestId(this.core)}`,
        );
      if (
        !this.#allowed(role, "s3:GetObject", arn) ||
        !this.#allowed(role, "s3:GetBucketLocation", `arn:aws:s3:::${bucket}`)
      )
        throw fail("AccessDenied: Access Denied");
      const body = s3?.getObject(arn);
      if (body === undefined) throw fail("NoSuchKey: The specified key does not exist.");
      Object.assign(out, parseEnvFile(body));
    }
    return out;
  }

  #secrets(task: TaskRecord, role: string, secrets: Shape[]): Record<string, string> {
    const out: Record<string, string> = {};
    const fromSsm: { name: string; valueFrom: string }[] = [];
    for (const secret of secrets) {
      const name = String(secret.name ?? "");
      const valueFrom = String(secret.valueFrom ?? "");
      if (valueFrom.startsWith("arn:") && valueFrom.split(":")[2] === "secretsmanager")
        out[name] = this.#secretsManager(task, role, valueFrom);
      else fromSsm.push({ name, valueFrom });
    }
    if (fromSsm.length > 0) Object.assign(out, this.#parameters(task, role, fromSsm));
    return out;
  }

  #secretsManager(task: TaskRecord, role: string, valueFrom: string): string {
    const manager = this.core.optional<SecretsManagerService>("secretsmanager");
    const parts = valueFrom.split(":");
    const secretId = parts.slice(0, 7).join(":");
    const [jsonKey = "", versionStage = "", versionId = ""] = parts.slice(7);
    const fail = (problem: string) =>
      new Refusal(
        `${SECRETS_PREFIX} unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${secretId} from secrets manager: ${problem} status code: 400, request id: ${requestId(this.core)}`,
      );
    const secret = manager?.find(secretId);
    // IAM decides on the ARN asked for before Secrets Manager looks the secret up.
    const resource = secret?.arn ?? secretId;
    if (!this.#allowed(role, "secretsmanager:GetSecretValue", resource))
      throw fail(denied(this.core, role, task, "secretsmanager:GetSecretValue", resource));
    if (!secret || !manager)
      throw fail("ResourceNotFoundException: Secrets Manager can't find the specified secret.");
    if (secret.kmsKeyId && !this.#allowed(role, "kms:Decrypt", secret.kmsKeyId))
      throw fail("AccessDeniedException: Access to KMS is not allowed");
    const version = manager.version(secret, versionId || undefined, versionStage || undefined);
    if (!version) {
      throw fail(
        `ResourceNotFoundException: Secrets Manager can't find the specified secret value for ${versionId ? `VersionId: ${versionId}` : `staging label: ${versionStage}`}`,
      );
    }
    if (!jsonKey) return version.value;
    let document: unknown;
    try {
      document = JSON.parse(version.value);
    } catch {
      document = undefined;
    }
    const value =
      typeof document === "object" && document !== null
        ? (document as Record<string, unknown>)[jsonKey]
        : undefined;
    if (value === undefined) {
      throw new Refusal(
        `${SECRETS_PREFIX} unable to retrieve secret from asm: service call has been retried 1 time(s): retrieved secret from Secrets Manager did not contain json key ${jsonKey}`,
      );
    }
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  /** One GetParameters call for a container's SSM secrets, as the agent makes it. */
  #parameters(
    task: TaskRecord,
    role: string,
    wanted: { name: string; valueFrom: string }[],
  ): Record<string, string> {
    const ssm = this.core.optional<SsmService>("ssm");
    const fail = (problem: string) =>
      new Refusal(
        `${SECRETS_PREFIX} unable to retrieve secrets from ssm: service call has been retried 1 time(s): ${problem}`,
      );
    const arnOf = (ref: string) =>
      ref.startsWith("arn:")
        ? ref
        : `arn:aws:ssm:${this.core.runtime.region}:${this.core.runtime.accountId}:parameter/${ref.replace(/^\//, "")}`;
    for (const { valueFrom } of wanted) {
      const arn = arnOf(valueFrom);
      if (!this.#allowed(role, "ssm:GetParameters", arn))
        throw fail(
          `${denied(this.core, role, task, "ssm:GetParameters", arn)} status code: 400, request id: ${requestId(this.core)}`,
        );
    }
    const found = wanted.map((w) => ({ ...w, parameter: ssm?.find(w.valueFrom) }));
    const missing = found.filter((f) => !f.parameter).map((f) => f.valueFrom);
    if (missing.length > 0) throw fail(`invalid parameters: ${missing.join(", ")}`);
    const out: Record<string, string> = {};
    for (const { name, parameter } of found) {
      if (!parameter) continue;
      if (parameter.keyId && !this.#allowed(role, "kms:Decrypt", parameter.keyId))
        throw fail(
          `AccessDeniedException: The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access. status code: 400, request id: ${requestId(this.core)}`,
        );
      out[name] = parameter.value;
    }
    return out;
  }
}

// Secrets Manager: secrets with versions and staging labels, created and read through the API
// (CreateSecret, PutSecretValue, GetSecretValue, DescribeSecret) as tests seed them, and read by ECS's
// task start for container secrets (`resolve`, with the JSON key and version ECS's valueFrom allows).
import { optionalString, requireString, SimError, stringList } from "../../framework/errors";
import type { Shape, SimRuntime, SimService } from "../../framework/types";

interface SecretVersion {
  id: string;
  value: string;
  stages: string[];
  createdAt: number;
}

export interface SecretRecord {
  arn: string;
  name: string;
  /** A customer managed key (reading then needs kms:Decrypt on it); undefined: aws/secretsmanager. */
  kmsKeyId?: string;
  createdAt: number;
  versions: SecretVersion[];
}

export interface SecretsManagerScenario {
  /** `arnSuffix`: the six characters AWS appends to the name in the ARN (random when not given). */
  secrets?: { name: string; value: string; kmsKeyId?: string; arnSuffix?: string }[];
}

/** What tests see of the simulated Secrets Manager (`sim.secretsmanager`). */
export interface SecretsManagerSurface {
  /** Creates a secret (or a new AWSCURRENT version of it) and returns its ARN. */
  put(name: string, value: string, options?: { kmsKeyId?: string; arnSuffix?: string }): string;
  /** Secret names and ARNs (never values). */
  secrets(): { name: string; arn: string; kmsKeyId?: string }[];
}

const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const notFound = () =>
  new SimError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");

export class SecretsManagerService implements SimService {
  readonly definition = {
    name: "secretsmanager",
    signingName: "secretsmanager",
    iamPrefix: "secretsmanager",
    protocol: "json1.1",
    targetPrefix: "secretsmanager",
    serverErrorCode: "InternalServiceError",
  } as const;
  #secrets = new Map<string, SecretRecord>();

  readonly surface: SecretsManagerSurface = {
    put: (name, value, options = {}) => this.put(name, value, options.kmsKeyId, options.arnSuffix),
    secrets: () =>
      [...this.#secrets.values()].map((s) => ({
        name: s.name,
        arn: s.arn,
        ...(s.kmsKeyId ? { kmsKeyId: s.kmsKeyId } : {}),
      })),
  };

  readonly controlRoutes = {
    put: (body: Shape) => ({
      arn: this.put(
        String(body.name ?? ""),
        String(body.value ?? ""),
        typeof body.kmsKeyId === "string" ? body.kmsKeyId : undefined,
        typeof body.arnSuffix === "string" ? body.arnSuffix : undefined,
      ),
    }),
  };

  constructor(private readonly runtime: SimRuntime) {}

  reset(): void {
    this.#secrets.clear();
  }

  load(section: unknown): void {
    for (const s of (section as SecretsManagerScenario | undefined)?.secrets ?? [])
      this.put(s.name, s.value, s.kmsKeyId, s.arnSuffix);
  }

  #versionId(): string {
    const hex = this.runtime.hexId(32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }

  #suffix(): string {
    const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let out = "";
    for (let i = 0; i < 6; i++) out += letters[Math.floor(this.runtime.random() * letters.length)];
    return out;
  }

  #addVersion(secret: SecretRecord, value: string, stages = ["AWSCURRENT"]): SecretVersion {
    // A label is on one version at a time; moving AWSCURRENT moves AWSPREVIOUS to the one it left.
    const movesCurrent = stages.includes("AWSCURRENT");
    for (const version of secret.versions) {
      const wasCurrent = version.stages.includes("AWSCURRENT");
      version.stages = version.stages.filter(
        (s) => !stages.includes(s) && !(movesCurrent && s === "AWSPREVIOUS"),
      );
      if (movesCurrent && wasCurrent) version.stages.push("AWSPREVIOUS");
    }
    const version: SecretVersion = { id: this.#versionId(), value, stages, createdAt: this.runtime.now() };
    secret.versions.push(version);
    return version;
  }

  put(name: string, value: string, kmsKeyId?: string, arnSuffix?: string): string {
    const existing = this.#secrets.get(name);
    if (existing) {
      this.#addVersion(existing, value);
      return existing.arn;
    }
    if (arnSuffix !== undefined && !/^[A-Za-z0-9]{6}$/.test(arnSuffix))
      throw new SimError("InvalidParameterException", "An ARN suffix is six letters and digits.");
    if (!NAME.test(name))
      throw new SimError(
        "InvalidParameterException",
        "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
      );
    const secret: SecretRecord = {
      arn: `arn:aws:secretsmanager:${this.runtime.region}:${this.runtime.accountId}:secret:${name}-${arnSuffix ?? this.#suffix()}`,
      name,
      ...(kmsKeyId ? { kmsKeyId } : {}),
      createdAt: this.runtime.now(),
      versions: [],
    };
    this.#addVersion(secret, value);
    this.#secrets.set(name, secret);
    return secret.arn;
  }

  /** A secret by name, full ARN or partial ARN (the ARN without its six-character suffix). */
  find(id: string): SecretRecord | undefined {
    if (!id.startsWith("arn:")) return this.#secrets.get(id);
    for (const secret of this.#secrets.values()) {
      if (secret.arn === id || `${secret.arn.slice(0, -7)}` === id) return secret;
    }
    return undefined;
  }

  /** The version asked for: by id, by stage, else AWSCURRENT. */
  version(secret: SecretRecord, versionId?: string, versionStage?: string): SecretVersion | undefined {
    if (versionId) return secret.versions.find((v) => v.id === versionId);
    return secret.versions.find((v) => v.stages.includes(versionStage ?? "AWSCURRENT"));
  }

  readonly operations = {
    CreateSecret: (input: Shape) => {
      const name = requireString(input, "Name", "InvalidParameterException");
      if (this.#secrets.has(name))
        throw new SimError(
          "ResourceExistsException",
          `The operation failed because the secret ${name} already exists.`,
        );
      const arn = this.put(
        name,
        requireString(input, "SecretString", "InvalidParameterException"),
        optionalString(input, "KmsKeyId"),
      );
      const secret = this.#secrets.get(name) as SecretRecord;
      return { ARN: arn, Name: name, VersionId: secret.versions.at(-1)?.id };
    },
    PutSecretValue: (input: Shape) => {
      const secret = this.find(requireString(input, "SecretId", "InvalidParameterException"));
      if (!secret) throw notFound();
      const stages = stringList(input, "VersionStages");
      const version = this.#addVersion(
        secret,
        requireString(input, "SecretString", "InvalidParameterException"),
        stages.length > 0 ? stages : ["AWSCURRENT"],
      );
      return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: version.stages };
    },
    GetSecretValue: (input: Shape) => {
      const secret = this.find(requireString(input, "SecretId", "InvalidParameterException"));
      if (!secret) throw notFound();
      const version = this.version(
        secret,
        optionalString(input, "VersionId"),
        optionalString(input, "VersionStage"),
      );
      if (!version)
        throw new SimError(
          "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret value for the version asked.",
        );
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.id,
        SecretString: version.value,
        VersionStages: version.stages,
        CreatedDate: new Date(version.createdAt),
      };
    },
    DescribeSecret: (input: Shape) => {
      const secret = this.find(requireString(input, "SecretId", "InvalidParameterException"));
      if (!secret) throw notFound();
      return {
        ARN: secret.arn,
        Name: secret.name,
        ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
        CreatedDate: new Date(secret.createdAt),
        LastChangedDate: new Date(secret.versions.at(-1)?.createdAt ?? secret.createdAt),
        VersionIdsToStages: Object.fromEntries(
          secret.versions.filter((v) => v.stages.length > 0).map((v) => [v.id, v.stages]),
        ),
      };
    },
  };

  snapshot(): unknown {
    return { secrets: this.surface.secrets() };
  }
}

export const secretsManagerService = (runtime: SimRuntime): SecretsManagerService =>
  new SecretsManagerService(runtime);

// Where a container secret comes from (a task definition's `valueFrom`): a Secrets Manager secret,
// optionally narrowed to a JSON key and a version stage or id, or an SSM parameter by ARN or name.
// The shape is checked before anything is registered, since ECS accepts any string and the task then
// fails to start minutes later.

export type SecretReference =
  | {
      kind: "secretsmanager";
      /** The secret's ARN without the JSON key and version fields. */
      secretArn: string;
      region: string;
      jsonKey?: string;
      versionStage?: string;
      versionId?: string;
    }
  | { kind: "ssm"; parameterName: string; region?: string; arn?: string };

const PARTITION = "aws[a-z-]*";
const REGION = "[a-z]{2}(?:-[a-z]+)+-\\d";
const SECRETS_MANAGER = new RegExp(
  `^arn:(${PARTITION}):secretsmanager:(${REGION}):(\\d{12}):secret:([A-Za-z0-9/_+=.@-]{1,512})(?::(.*))?$`,
);
const SSM_ARN = new RegExp(
  `^arn:(${PARTITION}):ssm:(${REGION}):(\\d{12}):parameter(/[A-Za-z0-9_./-]{1,2048})$`,
);
/** A parameter name (same region as the task): letters, digits and `_.-/`, not starting with aws or ssm. */
const SSM_NAME = /^(?!\/?(aws|ssm))\/?[A-Za-z0-9_.-][A-Za-z0-9_./-]{0,2046}$/i;
const VERSION_STAGE = /^[A-Za-z0-9_.-]{1,256}$/;
const VERSION_ID = /^[A-Za-z0-9-]{32,64}$/;

/** Why a valueFrom is refused, and what to write instead. */
export class SecretReferenceError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

const FORMS =
  "Give a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>, optionally followed by :<json-key>:<version-stage>:<version-id>), an SSM parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>) or an SSM parameter name in the cluster's region.";

/** Parses a valueFrom; throws SecretReferenceError saying what is wrong with it. */
export function parseSecretReference(valueFrom: string): SecretReference {
  if (valueFrom.startsWith("arn:")) {
    const service = valueFrom.split(":")[2] ?? "";
    if (service === "secretsmanager") return secretsManagerReference(valueFrom);
    if (service === "ssm") {
      const match = SSM_ARN.exec(valueFrom);
      if (!match) {
        throw new SecretReferenceError(
          `"${valueFrom}" is not an SSM parameter ARN.`,
          "Write arn:aws:ssm:<region>:<account>:parameter/<name> (the name without its leading slash after parameter/), or the parameter's name alone.",
        );
      }
      // parameter/a/b is the ARN of both "a/b" and "/a/b": SSM drops the name's leading slash.
      const name = (match[4] ?? "").slice(1);
      return { kind: "ssm", parameterName: name, region: match[2] ?? "", arn: valueFrom };
    }
    throw new SecretReferenceError(
      `"${valueFrom}" is an ARN of ${service || "an unknown service"}, which ECS cannot read secrets from.`,
      FORMS,
    );
  }
  if (!SSM_NAME.test(valueFrom) || valueFrom.includes("//")) {
    throw new SecretReferenceError(`"${valueFrom}" is neither an ARN nor an SSM parameter name.`, FORMS);
  }
  return { kind: "ssm", parameterName: valueFrom };
}

function secretsManagerReference(valueFrom: string): SecretReference {
  const match = SECRETS_MANAGER.exec(valueFrom);
  if (!match) {
    throw new SecretReferenceError(
      `"${valueFrom}" is not a Secrets Manager secret ARN.`,
      "Write arn:aws:secretsmanager:<region>:<account>:secret:<name> (the name as Secrets Manager shows it, letters, digits and /_+=.@-), optionally followed by :<json-key>:<version-stage>:<version-id>.",
    );
  }
  const [, partition, region = "", account, name] = match;
  const secretArn = `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}`;
  const rest = match[5];
  if (rest === undefined) return { kind: "secretsmanager", secretArn, region };
  const fields = rest.split(":");
  if (fields.length > 3) {
    throw new SecretReferenceError(
      `"${valueFrom}" has ${fields.length} fields after the secret's name; ECS takes at most three (json-key, version-stage, version-id).`,
      "Write <secret-arn>:<json-key>:<version-stage>:<version-id>, leaving a field empty to skip it (e.g. <secret-arn>:password::).",
    );
  }
  const [jsonKey = "", versionStage = "", versionId = ""] = fields;
  if (versionStage && !VERSION_STAGE.test(versionStage)) {
    throw new SecretReferenceError(
      `"${valueFrom}" has an invalid version stage "${versionStage}".`,
      "A version stage is a label such as AWSCURRENT or AWSPREVIOUS.",
    );
  }
  if (versionId && !VERSION_ID.test(versionId)) {
    throw new SecretReferenceError(
      `"${valueFrom}" has an invalid version id "${versionId}".`,
      "A version id is the 32 to 64 character id Secrets Manager gives each version of a secret.",
    );
  }
  if (versionStage && versionId) {
    throw new SecretReferenceError(
      `"${valueFrom}" names both a version stage and a version id.`,
      "Name the version by its stage or by its id, not both.",
    );
  }
  return {
    kind: "secretsmanager",
    secretArn,
    region,
    ...(jsonKey ? { jsonKey } : {}),
    ...(versionStage ? { versionStage } : {}),
    ...(versionId ? { versionId } : {}),
  };
}

const S3_OBJECT_ARN = new RegExp(`^arn:(${PARTITION}):s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+)$`);

/** Checks an environment file's location: an S3 object ARN of a `.env` file. */
export function parseEnvironmentFileArn(value: string): { bucket: string; key: string } {
  const match = S3_OBJECT_ARN.exec(value);
  if (!match) {
    throw new SecretReferenceError(
      `"${value}" is not an S3 object ARN.`,
      "Give the file as arn:aws:s3:::<bucket>/<key>.env.",
    );
  }
  const key = match[3] ?? "";
  if (!key.endsWith(".env")) {
    throw new SecretReferenceError(
      `"${value}" does not name a .env file; ECS only reads environment files whose name ends in .env.`,
      "Rename the object to end in .env.",
    );
  }
  return { bucket: match[2] ?? "", key };
}

// SSM Parameter Store: String, StringList and SecureString parameters, written and read through the
// API (PutParameter, GetParameter, GetParameters) and read by ECS's task start for container secrets.
import { optionalBoolean, optionalString, requireString, SimError, stringList } from "../../framework/errors";
import type { Shape, SimRuntime, SimService } from "../../framework/types";

export interface ParameterRecord {
  name: string;
  type: "String" | "StringList" | "SecureString";
  value: string;
  /** SecureString: the KMS key; undefined is alias/aws/ssm (no kms:Decrypt grant needed in a policy). */
  keyId?: string;
  version: number;
  modifiedAt: number;
}

export interface SsmScenario {
  parameters?: { name: string; value: string; type?: ParameterRecord["type"]; keyId?: string }[];
}

/** What tests see of the simulated Parameter Store (`sim.ssm`). */
export interface SsmSurface {
  /** Creates or overwrites a parameter; returns its ARN. */
  put(name: string, value: string, options?: { type?: ParameterRecord["type"]; keyId?: string }): string;
  /** Parameter names, types and ARNs (never values). */
  parameters(): { name: string; type: string; arn: string }[];
}

const NAME = /^(?!\/?(aws|ssm))[A-Za-z0-9_./-]{1,2048}$/i;
const TYPES = ["String", "StringList", "SecureString"];

export class SsmService implements SimService {
  readonly definition = {
    name: "ssm",
    signingName: "ssm",
    iamPrefix: "ssm",
    protocol: "json1.1",
    targetPrefix: "AmazonSSM",
    serverErrorCode: "InternalServerError",
  } as const;
  #parameters = new Map<string, ParameterRecord>();

  readonly surface: SsmSurface = {
    put: (name, value, options = {}) => this.put(name, value, options.type ?? "String", options.keyId, true),
    parameters: () =>
      [...this.#parameters.values()].map((p) => ({ name: p.name, type: p.type, arn: this.arnOf(p.name) })),
  };

  readonly controlRoutes = {
    put: (body: Shape) => ({
      arn: this.put(
        String(body.name ?? ""),
        String(body.value ?? ""),
        (body.type as ParameterRecord["type"] | undefined) ?? "String",
        typeof body.keyId === "string" ? body.keyId : undefined,
        true,
      ),
    }),
  };

  constructor(private readonly runtime: SimRuntime) {}

  reset(): void {
    this.#parameters.clear();
  }

  load(section: unknown): void {
    for (const p of (section as SsmScenario | undefined)?.parameters ?? [])
      this.put(p.name, p.value, p.type ?? "String", p.keyId, true);
  }

  /** parameter/<name>, the name's leading slash dropped. */
  arnOf(name: string): string {
    return `arn:aws:ssm:${this.runtime.region}:${this.runtime.accountId}:parameter/${name.replace(/^\//, "")}`;
  }

  put(name: string, value: string, type: string, keyId: string | undefined, overwrite: boolean): string {
    if (!NAME.test(name) || name.includes("//"))
      throw new SimError(
        "ValidationException",
        `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive), and may only contain letters, digits and _.-/.`,
      );
    if (!TYPES.includes(type))
      throw new SimError("ValidationException", `Type must be one of ${TYPES.join(", ")}.`);
    const existing = this.#parameters.get(name);
    if (existing && !overwrite)
      throw new SimError(
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
      );
    const record: ParameterRecord = {
      name,
      type: type as ParameterRecord["type"],
      value,
      ...(type === "SecureString" && keyId ? { keyId } : {}),
      version: (existing?.version ?? 0) + 1,
      modifiedAt: this.runtime.now(),
    };
    this.#parameters.set(name, record);
    return this.arnOf(name);
  }

  /** A parameter by name or ARN; an ARN's parameter/a/b finds "a/b" or "/a/b". */
  find(ref: string): ParameterRecord | undefined {
    if (!ref.startsWith("arn:")) return this.#parameters.get(ref);
    const name = ref.split(":parameter/")[1];
    if (name === undefined) return undefined;
    return this.#parameters.get(name) ?? this.#parameters.get(`/${name}`);
  }

  #shape(p: ParameterRecord, decrypt: boolean): Shape {
    return {
      Name: p.name,
      Type: p.type,
      // Without decryption a SecureString reads as its ciphertext, never the value.
      Value:
        p.type === "SecureString" && !decrypt
          ? Buffer.from(`kms-ciphertext:${p.name}:${p.version}`).toString("base64")
          : p.value,
      Version: p.version,
      LastModifiedDate: new Date(p.modifiedAt),
      ARN: this.arnOf(p.name),
      DataType: "text",
    };
  }

  readonly operations = {
    PutParameter: (input: Shape) => {
      const name = requireString(input, "Name", "ValidationException");
      this.put(
        name,
        requireString(input, "Value", "ValidationException"),
        optionalString(input, "Type") ?? this.#parameters.get(name)?.type ?? "String",
        optionalString(input, "KeyId"),
        optionalBoolean(input, "Overwrite") ?? false,
      );
      return { Version: this.#parameters.get(name)?.version, Tier: "Standard" };
    },
    GetParameter: (input: Shape) => {
      const parameter = this.find(requireString(input, "Name", "ValidationException"));
      if (!parameter) throw new SimError("ParameterNotFound", "");
      return { Parameter: this.#shape(parameter, optionalBoolean(input, "WithDecryption") ?? false) };
    },
    GetParameters: (input: Shape) => {
      const names = stringList(input, "Names");
      if (names.length === 0 || names.length > 10)
        throw new SimError("ValidationException", "Names must hold 1 to 10 parameter names.");
      const decrypt = optionalBoolean(input, "WithDecryption") ?? false;
      const found = names.map((n) => this.find(n));
      return {
        Parameters: found
          .filter((p): p is ParameterRecord => p !== undefined)
          .map((p) => this.#shape(p, decrypt)),
        InvalidParameters: names.filter((_, i) => found[i] === undefined),
      };
    },
  };

  snapshot(): unknown {
    return { parameters: this.surface.parameters() };
  }
}

export const ssmService = (runtime: SimRuntime): SsmService => new SsmService(runtime);

// The ECS services an action works on, and values that differ per service. ecs-deploy writes its
// per-service outputs (rollback targets, service deployments) in the form auto-rollback reads them:
// the value itself for one service, a JSON object keyed by service name for several.
import { input, inputError } from "../runtime/inputs";

/** A cluster's name or ARN. */
export const CLUSTER = /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/)?[a-zA-Z0-9_-]{1,255}$/;
/** A service's name or ARN. */
export const SERVICE =
  /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service\/[a-zA-Z0-9_-]+\/)?[a-zA-Z0-9_-]{1,255}$/;
const CLUSTER_HINT = "Give the cluster's name (letters, digits, - and _) or its ARN.";
const SERVICES_HINT = "Give service names (or ARNs), comma or newline separated.";

/** `cluster` and `services`, spread into the input spec of an action that deploys to services. */
export const servicesInputSpec = {
  cluster: input.string({ required: true, pattern: CLUSTER, hint: CLUSTER_HINT }),
  services: input.list({ required: true, itemPattern: SERVICE, itemHint: SERVICES_HINT }),
};

/** The same two, optional: for an action that can take them from ecs-deploy's deploy record instead. */
export const optionalServicesInputSpec = {
  cluster: input.string({ pattern: CLUSTER, hint: CLUSTER_HINT }),
  services: input.list({ itemPattern: SERVICE, itemHint: SERVICES_HINT }),
};

/** The last part of a cluster or service ARN, or the name itself: `.../prod/web` -> `web`. */
export function shortName(nameOrArn: string): string {
  return nameOrArn.split("/").pop() ?? nameOrArn;
}

/** The output value: the one service's value, or a JSON object keyed by service ("" for none). */
export function perServiceOutput(
  names: readonly string[],
  values: Record<string, string | undefined>,
): string {
  const [only] = names;
  if (names.length === 1 && only !== undefined) return values[only] ?? "";
  return JSON.stringify(Object.fromEntries(names.map((name) => [name, values[name] ?? ""])));
}

/**
 * Reads a value written by perServiceOutput (or one value for every service) into a value per
 * service; services without one are left out. `check` validates each value.
 */
export function perServiceInput(
  name: string,
  value: string | undefined,
  services: readonly string[],
  check: (v: string) => boolean,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (!value) return out;
  if (!value.trim().startsWith("{")) {
    for (const service of services) out[service] = value;
    return out;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw inputError(
      name,
      `it is not valid JSON (${(error as Error).message}).`,
      "Pass the output of ecs-deploy unchanged.",
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw inputError(
      name,
      "it is not a JSON object keyed by service.",
      "Pass the output of ecs-deploy unchanged.",
    );
  }
  for (const service of services) {
    const short = shortName(service);
    const entry = (parsed as Record<string, unknown>)[service] ?? (parsed as Record<string, unknown>)[short];
    if (entry === undefined || entry === "") continue;
    if (typeof entry !== "string" || !check(entry)) {
      throw inputError(
        name,
        `the entry for ${service} is not valid.`,
        "Pass the output of ecs-deploy unchanged.",
      );
    }
    out[service] = entry;
  }
  return out;
}

// ECR repositories: the `repository` input (a name or a full URI), looking one up, creating it when
// asked, and which of its tags may move.
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  type ImageTagMutability,
  type Repository,
} from "@aws-sdk/client-ecr";
import { UserError } from "../runtime/errors";
import type { Logger } from "../runtime/logger";

/** True when the SDK error is the named AWS exception. */
export function isAwsError(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

export const REPOSITORY_NAME_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ECR_URI = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(.+)$/;

export interface RepositoryRef {
  name: string;
  /** The account that owns the registry, when the input says (URI or `registry-id`). */
  registryId?: string | undefined;
  /** The region of the registry, when the input is a URI. */
  region?: string | undefined;
}

/**
 * Reads the `repository` input: "shop/web", or "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web"
 * (account and region then come from the URI). Throws an Error saying what is wrong.
 */
export function parseRepositoryRef(value: string): RepositoryRef {
  const uri = ECR_URI.exec(value);
  const name = uri ? (uri[3] as string) : value;
  if (!uri && /^[^/]*[.:][^/]*\//.test(value)) {
    throw new Error(
      `"${value}" names a registry that is not ECR; give the repository name, or an ECR URI such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com/${value.slice(value.indexOf("/") + 1)}`,
    );
  }
  if (name.length < 2 || name.length > 256 || !REPOSITORY_NAME_PATTERN.test(name)) {
    throw new Error(
      `"${name}" is not a valid ECR repository name (lower-case letters, digits, and "._-/" between them, such as "shop/web")`,
    );
  }
  if (name.includes(":") || name.includes("@"))
    throw new Error("give the repository without a tag or digest");
  return uri ? { name, registryId: uri[1], region: uri[2] } : { name };
}

export interface RepositoryInfo {
  name: string;
  registryId: string;
  /** registry-host/name, the prefix of every image reference. */
  uri: string;
  /** The registry host (and port), for `docker login`. */
  registry: string;
  mutability: ImageTagMutability;
  exclusionFilters: string[];
  scanOnPush: boolean;
}

function toInfo(repository: Repository): RepositoryInfo {
  const uri = repository.repositoryUri ?? "";
  return {
    name: repository.repositoryName ?? "",
    registryId: repository.registryId ?? "",
    uri,
    registry: uri.slice(0, uri.indexOf("/")),
    mutability: repository.imageTagMutability ?? "MUTABLE",
    exclusionFilters: (repository.imageTagMutabilityExclusionFilters ?? []).map((f) => f.filter ?? ""),
    scanOnPush: repository.imageScanningConfiguration?.scanOnPush ?? false,
  };
}

/** The repository, or undefined when it does not exist. */
export async function findRepository(
  client: ECRClient,
  ref: RepositoryRef,
): Promise<RepositoryInfo | undefined> {
  try {
    const out = await client.send(
      new DescribeRepositoriesCommand({
        repositoryNames: [ref.name],
        ...(ref.registryId ? { registryId: ref.registryId } : {}),
      }),
    );
    const repository = out.repositories?.[0];
    return repository ? toInfo(repository) : undefined;
  } catch (error) {
    if (isAwsError(error, "RepositoryNotFoundException")) return undefined;
    throw error;
  }
}

export interface RepositorySettings {
  mutability: "MUTABLE" | "IMMUTABLE";
  scanOnPush: boolean;
}

/** Creates the repository; one created meanwhile by a parallel job is taken as it is. */
export async function createRepository(
  client: ECRClient,
  ref: RepositoryRef,
  settings: RepositorySettings,
  logger: Logger,
): Promise<RepositoryInfo> {
  try {
    const out = await client.send(
      new CreateRepositoryCommand({
        repositoryName: ref.name,
        ...(ref.registryId ? { registryId: ref.registryId } : {}),
        imageTagMutability: settings.mutability,
        imageScanningConfiguration: { scanOnPush: settings.scanOnPush },
      }),
    );
    if (!out.repository) throw new Error("CreateRepository returned no repository");
    logger.info(
      `Created ECR repository ${ref.name} (tags ${settings.mutability}, scan on push ${settings.scanOnPush ? "on" : "off"}).`,
    );
    return toInfo(out.repository);
  } catch (error) {
    if (!isAwsError(error, "RepositoryAlreadyExistsException")) throw error;
    const existing = await findRepository(client, ref);
    if (!existing) throw error;
    logger.info(`ECR repository ${ref.name} was created by another run meanwhile; using it.`);
    return existing;
  }
}

function wildcard(filter: string): RegExp {
  const pattern = filter
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${pattern}$`);
}

/** Whether ECR lets the tag move to another image in this repository. */
export function isTagMutable(
  repository: Pick<RepositoryInfo, "mutability" | "exclusionFilters">,
  tag: string,
): boolean {
  const excluded = repository.exclusionFilters.some((filter) => wildcard(filter).test(tag));
  switch (repository.mutability) {
    case "IMMUTABLE":
      return false;
    case "IMMUTABLE_WITH_EXCLUSION":
      return excluded;
    case "MUTABLE_WITH_EXCLUSION":
      return !excluded;
    default:
      return true;
  }
}

/**
 * The registry host of an account on AWS itself, as ECR documents it: <account>.dkr.ecr.<region>.<the
 * partition's domain>, the domain taken from the client's own endpoint rules. Undefined when the client
 * talks to a configured endpoint (an input, AWS_ENDPOINT_URL: LocalStack, a simulator), whose registry
 * only DescribeRepositories can name, or when the rules give an unexpected API host (FIPS, dual-stack).
 * Read after a first call: the SDK marks an endpoint from the environment as custom when it resolves it.
 */
export async function awsRegistryHost(client: ECRClient, registryId: string): Promise<string | undefined> {
  const env = process.env;
  if (client.config.isCustomEndpoint || env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_ECR) return undefined;
  if (!/^\d{12}$/.test(registryId)) return undefined;
  const region = await client.config.region();
  const api = client.config.endpointProvider({ Region: region, UseFIPS: false, UseDualStack: false }).url;
  const prefix = `api.ecr.${region}.`;
  if (!api.hostname.startsWith(prefix)) return undefined;
  return `${registryId}.dkr.ecr.${region}.${api.hostname.slice(prefix.length)}`;
}

/** The error for a repository that does not exist and may not be created. */
export function repositoryNotFound(ref: RepositoryRef): UserError {
  return new UserError(
    `The ECR repository "${ref.name}" given in \`repository\` does not exist${ref.registryId ? ` in registry ${ref.registryId}` : ""}.`,
    {
      input: "repository",
      fix: "Check the name (and region), create the repository (Terraform, CloudFormation), or set `create-repository: true`.",
    },
  );
}

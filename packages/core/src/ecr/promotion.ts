// Promotion: putting more tags on an image ECR already holds, by the image's own manifest bytes. One
// BatchGetImage reads the image and what every tag names now; the repository is described only when a
// decision depends on its settings (a tag that would move, a refusal to explain) or its address is not
// known otherwise. The plan says, tag by tag, whether each is added, moved (from which image) or
// already there, and which tags may not be given to the image and why; executing it writes the tags.
import type { ECRClient } from "@aws-sdk/client-ecr";
import type { ImageTag } from "../docker/tags";
import { UserError } from "../runtime/errors";
import type { Logger } from "../runtime/logger";
import { digestsOf, ImageIdRejected, lookUpImages, type StoredImage } from "./image-lookup";
import { describeImageId, type ImageId, type RepositoryId } from "./images";
import {
  awsRegistryHost,
  findRepository,
  isAwsError,
  isTagMutable,
  type RepositoryInfo,
  type RepositoryRef,
  repositoryNotFound,
} from "./repository";
import {
  type ApplyResult,
  applyTagChanges,
  conflictError,
  planTagChanges,
  type TagPlan,
  tagRulesNeeded,
} from "./tagging";

type TagsToPlan = readonly Pick<ImageTag, "name" | "pinned" | "moving">[];

/** The repository of a promote as far as the caller knows it without asking ECR. */
export interface PromotionTarget {
  ref: RepositoryRef;
  /** registry-host/name, when the caller's inputs say (a source image reference, a repository URI). */
  uri?: string | undefined;
  /** The repository as DescribeRepositories gave it, when the caller read it already. */
  described?: RepositoryInfo | undefined;
  /** Describe the repository whatever the tags need (the scan gate needs to know about scan on push). */
  describe?: boolean | undefined;
}

export interface PromotionRepository {
  name: string;
  registryId: string | undefined;
  /** registry-host/name, the prefix of every image reference. */
  uri: string;
  /** The registry host (and port). */
  registry: string;
  /** The repository's settings, when a decision depended on them (or the caller had them). */
  described: RepositoryInfo | undefined;
}

export interface PromotionPlan extends TagPlan {
  repository: PromotionRepository;
  /** The image as the caller named it (a tag or a digest). */
  source: ImageId;
  /** The image as ECR stores it: its digest is what every tag will name. */
  image: StoredImage;
  /** The tags the plan is for, kept to plan them again against a later reading. */
  tags: TagsToPlan;
}

export interface PromotionOutcome {
  digest: string;
  /** One result per tag of the plan, in its order. */
  results: ApplyResult[];
}

function repositoryId(target: PromotionTarget): RepositoryId {
  return { name: target.ref.name, registryId: target.described?.registryId ?? target.ref.registryId };
}

/** An image id ECR refuses, or a missing repository, is the user's to fix: named by the input it came from. */
function readError(error: unknown, target: PromotionTarget, source: ImageId): unknown {
  if (isAwsError(error, "RepositoryNotFoundException")) return repositoryNotFound(target.ref);
  if (error instanceof ImageIdRejected) {
    const isSource = describeImageId(error.id) === describeImageId(source);
    return new UserError(
      `ECR refused ${describeImageId(error.id)} as an image id (${error.code}${error.reason ? `: ${error.reason}` : ""}).`,
      {
        input: isSource ? "source" : "tags",
        fix: isSource
          ? "Give a tag, a digest (sha256: and 64 hex digits), or build-push's `image` output."
          : "Tags are 1 to 128 letters, digits, '_', '.' and '-', and do not start with '.' or '-'.",
        cause: error,
      },
    );
  }
  return error;
}

async function describeRepository(client: ECRClient, target: PromotionTarget): Promise<RepositoryInfo> {
  const found = await findRepository(client, target.ref);
  if (!found) throw repositoryNotFound(target.ref);
  return found;
}

/** Where the repository is, with the fewest calls: what the caller knows, AWS's documented address, else DescribeRepositories. */
async function locateRepository(
  client: ECRClient,
  target: PromotionTarget,
  image: StoredImage,
  described: RepositoryInfo | undefined,
): Promise<PromotionRepository> {
  const registryId = described?.registryId ?? target.ref.registryId ?? image.registryId;
  let uri = described?.uri ?? target.uri;
  if (!uri && registryId) {
    const host = await awsRegistryHost(client, registryId);
    if (host) uri = `${host}/${target.ref.name}`;
  }
  if (!uri) {
    described = await describeRepository(client, target);
    uri = described.uri;
  }
  const slash = uri.indexOf("/");
  return {
    name: target.ref.name,
    registryId: described?.registryId ?? registryId,
    uri,
    registry: slash > 0 ? uri.slice(0, slash) : uri,
    described,
  };
}

/** Plans the tags against what they name now, describing the repository when the plan depends on its rules. */
async function planAgainst(
  client: ECRClient,
  target: PromotionTarget,
  tags: TagsToPlan,
  current: ReadonlyMap<string, string | undefined>,
  digest: string,
): Promise<{ described: RepositoryInfo | undefined; plan: TagPlan }> {
  let described = target.described;
  if (!described && (target.describe || tagRulesNeeded(tags, current, digest))) {
    described = await describeRepository(client, target);
  }
  return { described, plan: planTagChanges(tags, current, digest, described) };
}

/**
 * Reads the image and what each tag names now in one BatchGetImage (answers matched to the ids asked),
 * and plans the tags; undefined when ECR does not hold the image. Nothing is written.
 */
export async function readPromotion(
  client: ECRClient,
  target: PromotionTarget,
  source: ImageId,
  tags: TagsToPlan,
): Promise<PromotionPlan | undefined> {
  const names = tags.map((t) => t.name);
  let lookup: Awaited<ReturnType<typeof lookUpImages>>;
  try {
    lookup = await lookUpImages(client, repositoryId(target), [source, ...names.map((tag) => ({ tag }))]);
  } catch (error) {
    throw readError(error, target, source);
  }
  const answer = lookup.get(source);
  if (!answer.found) return undefined;
  const { described, plan } = await planAgainst(
    client,
    target,
    tags,
    digestsOf(lookup, names),
    answer.image.digest,
  );
  const repository = await locateRepository(client, target, answer.image, described);
  return { repository, source, image: answer.image, tags, ...plan };
}

/**
 * The plan of a promote: refused when the image to promote is missing. The caller refuses the plan's
 * `conflicts` (conflictError) before a single write: a refused promote changes nothing.
 */
export async function planPromotion(
  client: ECRClient,
  target: PromotionTarget,
  source: ImageId,
  tags: TagsToPlan,
): Promise<PromotionPlan> {
  const plan = await readPromotion(client, target, source, tags);
  if (!plan) {
    throw new UserError(`The image to promote (${describeImageId(source)}) is not in ${target.ref.name}.`, {
      input: "source",
      fix: "Promote an image that was built and pushed (build-push's `image` output of the staging run).",
    });
  }
  return plan;
}

/** Whether ECR itself refuses a PutImage of every tag to write that another image took meanwhile. */
function immutabilityGuards(plan: PromotionPlan): boolean {
  const described = plan.repository.described;
  if (!described) return false;
  return plan.changes.every(
    (change) => change.action === "unchanged" || !isTagMutable(described, change.tag),
  );
}

/**
 * The plan again against what the tags name now, for a write that comes long after the reading (a scan
 * gate waited in between). An IMMUTABLE repository needs no second look: ECR refuses a PutImage of a
 * tag another image took meanwhile (ImageTagAlreadyExistsException). A MUTABLE one would silently move
 * it, so its tags are read again, and a tag that now names another image is refused before any write.
 */
async function replan(client: ECRClient, plan: PromotionPlan, logger: Logger): Promise<PromotionPlan> {
  if (immutabilityGuards(plan)) return plan;
  const target: PromotionTarget = {
    ref: { name: plan.repository.name, registryId: plan.repository.registryId },
    described: plan.repository.described,
  };
  const names = plan.tags.map((t) => t.name);
  const lookup = await lookUpImages(
    client,
    repositoryId(target),
    names.map((tag) => ({ tag })),
  );
  const { described, plan: fresh } = await planAgainst(
    client,
    target,
    plan.tags,
    digestsOf(lookup, names),
    plan.image.digest,
  );
  logger.info(
    `Read the ${names.length} tags again before writing: what they name may have changed meanwhile.`,
  );
  return { ...plan, ...fresh, repository: { ...plan.repository, described } };
}

/**
 * Writes the plan's tags; a plan with conflicts is refused whole, before any write. With `stale`, the
 * plan was read long before (see replan) and is checked again first.
 */
export async function executePromotion(
  client: ECRClient,
  plan: PromotionPlan,
  logger: Logger,
  options: { stale?: boolean } = {},
): Promise<PromotionOutcome> {
  if (plan.conflicts.length > 0) throw conflictError(plan.repository.name, plan.conflicts);
  const current = options.stale ? await replan(client, plan, logger) : plan;
  if (current.conflicts.length > 0) throw conflictError(current.repository.name, current.conflicts);
  const results = await applyTagChanges(
    client,
    { name: current.repository.name, registryId: current.repository.registryId },
    current.image,
    current.changes,
    logger,
  );
  return { digest: current.image.digest, results };
}

/** Promotes an image in one call, for callers without a gate between the plan and the writes. */
export async function promoteImage(
  client: ECRClient,
  target: PromotionTarget,
  source: ImageId,
  tags: TagsToPlan,
  logger: Logger,
): Promise<PromotionOutcome> {
  return executePromotion(client, await planPromotion(client, target, source, tags), logger);
}

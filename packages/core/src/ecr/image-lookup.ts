// Reading several images of a repository with one BatchGetImage, each answer matched to what was
// asked. ECR answers per image id, but AWS-compatible servers differ in what they echo: one answers a
// tag with the image's most recent tag instead. So an answer counts for a tag only when it names that
// very tag, for a digest only when its manifest hashes to that digest, and a failure only when its
// image id is the one asked; never by position, never by a tag the answer happens to carry. What the
// batch left unanswered is asked again alone, where an answer can only be for that one id.
import { createHash } from "node:crypto";
import { BatchGetImageCommand, type ECRClient, type Image, type ImageFailure } from "@aws-sdk/client-ecr";
import { UserError } from "../runtime/errors";
import {
  describeImageId,
  type ImageId,
  type ImageManifest,
  MANIFEST_MEDIA_TYPES,
  type RepositoryId,
  repositoryParams,
  toImageIdentifier,
} from "./images";

export interface StoredImage extends ImageManifest {
  /** The account the answer says the image is in, when it says. */
  registryId: string | undefined;
}

/** What ECR holds under one image id: the image, or nothing (`ImageNotFound`). */
export type ImageAnswer = { found: true; image: StoredImage } | { found: false };

/** ECR refused an image id itself (a malformed tag or digest, a tag that does not match the digest). */
export class ImageIdRejected extends Error {
  constructor(
    readonly id: ImageId,
    readonly code: string,
    readonly reason: string,
  ) {
    super(`ECR refused ${describeImageId(id)}: ${code}${reason ? ` (${reason})` : ""}`);
    this.name = "ImageIdRejected";
  }
}

/** ECR's limit of image ids in one BatchGetImage. */
export const BATCH_GET_IMAGE_LIMIT = 100;

export function imageIdKey(id: ImageId): string {
  return "tag" in id ? `tag:${id.tag}` : `digest:${id.digest}`;
}

export function manifestDigest(manifest: string): string {
  return `sha256:${createHash("sha256").update(manifest, "utf8").digest("hex")}`;
}

/** An answer's image, checked on its own terms: its manifest must hash to the digest it names. */
function storedImage(image: Image): StoredImage | undefined {
  const digest = image.imageId?.imageDigest;
  const manifest = image.imageManifest;
  const mediaType = image.imageManifestMediaType;
  if (!digest || manifest === undefined || !mediaType) return undefined;
  if (manifestDigest(manifest) !== digest) {
    throw new UserError(
      `ECR answered BatchGetImage with a manifest whose sha256 is not the digest it names (${digest}).`,
      {
        input: "aws-endpoint-url",
        fix: "The endpoint does not return manifests as ECR stores them; use ECR itself, or an endpoint that does.",
      },
    );
  }
  return { digest, mediaType, manifest, registryId: image.registryId };
}

function failureAnswer(id: ImageId, failure: ImageFailure): ImageAnswer {
  const code = failure.failureCode ?? "UnknownFailure";
  if (code === "ImageNotFound") return { found: false };
  if (
    code === "InvalidImageTag" ||
    code === "InvalidImageDigest" ||
    code === "ImageTagDoesNotMatchDigest" ||
    code === "MissingDigestAndTag"
  ) {
    throw new ImageIdRejected(id, code, failure.failureReason ?? "");
  }
  throw new UserError(
    `ECR could not read ${describeImageId(id)}: ${code}${failure.failureReason ? ` (${failure.failureReason})` : ""}.`,
    {
      fix: "Check the image in the ECR console (its KMS key, its upstream for a pull-through cache); re-run once it can be read.",
    },
  );
}

/** Answers of one batch matched to the ids asked; an id with no answer of its own, or two that disagree, is left out. */
function matchBatch(
  asked: readonly ImageId[],
  images: readonly Image[],
  failures: readonly ImageFailure[],
): Map<string, ImageAnswer> {
  const wanted = new Map(asked.map((id) => [imageIdKey(id), id]));
  const answers = new Map<string, ImageAnswer[]>();
  const add = (key: string, answer: ImageAnswer): void => {
    if (wanted.has(key)) answers.set(key, [...(answers.get(key) ?? []), answer]);
  };
  for (const image of images) {
    const stored = storedImage(image);
    if (!stored) continue;
    // A digest is a content address: whatever the answer's tag, these bytes are that digest's image.
    add(`digest:${stored.digest}`, { found: true, image: stored });
    const tag = image.imageId?.imageTag;
    if (tag !== undefined) add(`tag:${tag}`, { found: true, image: stored });
  }
  for (const failure of failures) {
    const { imageTag, imageDigest } = failure.imageId ?? {};
    // A failure counts only for the id it names exactly as it was asked.
    const key =
      imageTag !== undefined && imageDigest === undefined
        ? `tag:${imageTag}`
        : imageDigest !== undefined && imageTag === undefined
          ? `digest:${imageDigest}`
          : undefined;
    const id = key ? wanted.get(key) : undefined;
    if (key && id) add(key, failureAnswer(id, failure));
  }
  const matched = new Map<string, ImageAnswer>();
  for (const [key, list] of answers) {
    const digests = new Set(list.map((a) => (a.found ? a.image.digest : "none")));
    const [first] = list;
    if (first && digests.size === 1) matched.set(key, first);
  }
  return matched;
}

/** One id asked alone: whatever comes back can only be about it, so a single image or failure is its answer. */
async function askAlone(client: ECRClient, repository: RepositoryId, id: ImageId): Promise<ImageAnswer> {
  const out = await client.send(
    new BatchGetImageCommand({
      ...repositoryParams(repository),
      imageIds: [toImageIdentifier(id)],
      acceptedMediaTypes: MANIFEST_MEDIA_TYPES,
    }),
  );
  const images = (out.images ?? []).map(storedImage).filter((i): i is StoredImage => i !== undefined);
  const failures = out.failures ?? [];
  const [image] = images;
  const [failure] = failures;
  if (image && images.length === 1 && failures.length === 0) {
    if ("digest" in id && image.digest !== id.digest) {
      throw new UserError(`ECR answered a request for ${id.digest} with another image (${image.digest}).`, {
        input: "aws-endpoint-url",
        fix: "The endpoint does not answer BatchGetImage as ECR does; use ECR itself, or an endpoint that does.",
      });
    }
    return { found: true, image };
  }
  if (failure && failures.length === 1 && images.length === 0) return failureAnswer(id, failure);
  throw new UserError(
    `ECR answered BatchGetImage for ${describeImageId(id)} with ${images.length} images and ${failures.length} failures.`,
    {
      input: "aws-endpoint-url",
      fix: "The endpoint does not answer BatchGetImage as ECR does; use ECR itself, or an endpoint that does.",
    },
  );
}

export interface ImageLookup {
  /** The answer for an id that was asked. */
  get(id: ImageId): ImageAnswer;
  /** BatchGetImage calls it took (one per 100 ids where answers match what was asked). */
  calls: number;
}

/**
 * What the repository holds under each id, in one BatchGetImage per 100 ids; an id the batch did not
 * answer unambiguously costs one more call, asked alone. Throws ImageIdRejected for an id ECR refuses.
 */
export async function lookUpImages(
  client: ECRClient,
  repository: RepositoryId,
  ids: readonly ImageId[],
): Promise<ImageLookup> {
  const unique = [...new Map(ids.map((id) => [imageIdKey(id), id])).values()];
  const answers = new Map<string, ImageAnswer>();
  let calls = 0;
  for (let i = 0; i < unique.length; i += BATCH_GET_IMAGE_LIMIT) {
    const chunk = unique.slice(i, i + BATCH_GET_IMAGE_LIMIT);
    calls++;
    const out = await client.send(
      new BatchGetImageCommand({
        ...repositoryParams(repository),
        imageIds: chunk.map(toImageIdentifier),
        acceptedMediaTypes: MANIFEST_MEDIA_TYPES,
      }),
    );
    for (const [key, answer] of matchBatch(chunk, out.images ?? [], out.failures ?? []))
      answers.set(key, answer);
  }
  for (const id of unique) {
    if (answers.has(imageIdKey(id))) continue;
    calls++;
    answers.set(imageIdKey(id), await askAlone(client, repository, id));
  }
  return {
    calls,
    get(id) {
      const answer = answers.get(imageIdKey(id));
      if (!answer) throw new Error(`${describeImageId(id)} was not looked up`);
      return answer;
    },
  };
}

/** The digest each tag names now (undefined for a tag that does not exist). */
export function digestsOf(lookup: ImageLookup, tags: readonly string[]): Map<string, string | undefined> {
  return new Map(
    tags.map((tag) => {
      const answer = lookup.get({ tag });
      return [tag, answer.found ? answer.image.digest : undefined];
    }),
  );
}

/** The digest each tag names now, matched tag by tag (see lookUpImages). */
export async function digestsOfTags(
  client: ECRClient,
  repository: RepositoryId,
  tags: readonly string[],
): Promise<Map<string, string | undefined>> {
  if (tags.length === 0) return new Map();
  return digestsOf(
    await lookUpImages(
      client,
      repository,
      tags.map((tag) => ({ tag })),
    ),
    tags,
  );
}

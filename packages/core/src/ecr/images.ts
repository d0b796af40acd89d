// Images in ECR: finding one by tag or digest (the "already built?" check), reading manifests, and
// which image each tag names now.
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  type ECRClient,
  type ImageIdentifier,
} from "@aws-sdk/client-ecr";
import { isAwsError } from "./repository";

export interface RepositoryId {
  name: string;
  registryId?: string | undefined;
}

/** A tag, or a digest (sha256:...). */
export type ImageId = { tag: string } | { digest: string };

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** Every manifest type an image or multi-platform index can have; the manifest comes back as stored. */
export const MANIFEST_MEDIA_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
];

export function toImageIdentifier(id: ImageId): ImageIdentifier {
  return "tag" in id ? { imageTag: id.tag } : { imageDigest: id.digest };
}

export function describeImageId(id: ImageId): string {
  return "tag" in id ? `tag ${id.tag}` : id.digest;
}

/** The first 12 hex digits of a digest, as docker shows an image id. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}

/** Reads "sha256:...", or else a tag. */
export function imageIdFromReference(reference: string): ImageId {
  return DIGEST_PATTERN.test(reference) ? { digest: reference } : { tag: reference };
}

export interface ImageInfo {
  digest: string;
  tags: string[];
  pushedAt: Date | undefined;
  mediaType: string | undefined;
  sizeBytes: number | undefined;
}

function repositoryParams(repository: RepositoryId) {
  return {
    repositoryName: repository.name,
    ...(repository.registryId ? { registryId: repository.registryId } : {}),
  };
}

/** The image, or undefined when ECR has none under that tag or digest. */
export async function findImage(
  client: ECRClient,
  repository: RepositoryId,
  id: ImageId,
): Promise<ImageInfo | undefined> {
  try {
    const out = await client.send(
      new DescribeImagesCommand({ ...repositoryParams(repository), imageIds: [toImageIdentifier(id)] }),
    );
    const detail = out.imageDetails?.[0];
    if (!detail?.imageDigest) return undefined;
    return {
      digest: detail.imageDigest,
      tags: detail.imageTags ?? [],
      pushedAt: detail.imagePushedAt,
      mediaType: detail.imageManifestMediaType,
      sizeBytes: detail.imageSizeInBytes,
    };
  } catch (error) {
    if (isAwsError(error, "ImageNotFoundException")) return undefined;
    throw error;
  }
}

export interface ImageManifest {
  digest: string;
  mediaType: string;
  /** The manifest exactly as stored: PutImage must get these bytes untouched to keep the digest. */
  manifest: string;
}

/** The manifest of an image, or undefined when it does not exist. */
export async function getManifest(
  client: ECRClient,
  repository: RepositoryId,
  id: ImageId,
): Promise<ImageManifest | undefined> {
  const out = await client.send(
    new BatchGetImageCommand({
      ...repositoryParams(repository),
      imageIds: [toImageIdentifier(id)],
      acceptedMediaTypes: MANIFEST_MEDIA_TYPES,
    }),
  );
  const image = out.images?.[0];
  if (image?.imageManifest && image.imageId?.imageDigest && image.imageManifestMediaType) {
    return {
      digest: image.imageId.imageDigest,
      mediaType: image.imageManifestMediaType,
      manifest: image.imageManifest,
    };
  }
  const failure = out.failures?.[0];
  if (!failure || failure.failureCode === "ImageNotFound") return undefined;
  throw new Error(
    `BatchGetImage failed for ${describeImageId(id)}: ${failure.failureCode} ${failure.failureReason ?? ""}`,
  );
}

const BATCH_LIMIT = 100;

/** The digest each tag names now (undefined for a tag that does not exist), in one call per 100 tags. */
export async function digestsOfTags(
  client: ECRClient,
  repository: RepositoryId,
  tags: readonly string[],
): Promise<Map<string, string | undefined>> {
  const result = new Map<string, string | undefined>(tags.map((tag) => [tag, undefined]));
  for (let i = 0; i < tags.length; i += BATCH_LIMIT) {
    const chunk = tags.slice(i, i + BATCH_LIMIT);
    const out = await client.send(
      new BatchGetImageCommand({
        ...repositoryParams(repository),
        imageIds: chunk.map((imageTag) => ({ imageTag })),
        acceptedMediaTypes: MANIFEST_MEDIA_TYPES,
      }),
    );
    for (const image of out.images ?? []) {
      const tag = image.imageId?.imageTag;
      if (tag !== undefined) result.set(tag, image.imageId?.imageDigest);
    }
    for (const failure of out.failures ?? []) {
      if (failure.failureCode !== "ImageNotFound") {
        throw new Error(
          `BatchGetImage failed for tag ${failure.imageId?.imageTag}: ${failure.failureCode} ${failure.failureReason ?? ""}`,
        );
      }
    }
  }
  return result;
}

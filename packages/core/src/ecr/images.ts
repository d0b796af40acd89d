// Images in ECR: how an image is named (a tag or a digest) and finding one (the "already built?"
// check). Reading manifests and what tags name now, answer by answer: image-lookup.ts.
import { DescribeImagesCommand, type ECRClient, type ImageIdentifier } from "@aws-sdk/client-ecr";
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

export function repositoryParams(repository: RepositoryId) {
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

// Whether a commit's image must be built: the image ECR already holds under the commit tag is reused,
// so a re-run builds and pushes nothing, unless the caller asks for a rebuild, which moves the tag.
import { UserError } from "../runtime/errors";
import { type ImageInfo, shortDigest } from "./images";
import { isTagMutable, type RepositoryInfo } from "./repository";
import type { ApplyResult } from "./tagging";

/** Reuse the image the commit tag names, or build one; `replaces` is the image a rebuild moves the tag off. */
export type CommitImagePlan =
  | { action: "reuse"; commitTag: string; digest: string }
  | { action: "build"; commitTag: string; replaces: string | undefined };

/** Stands for the digest of an image not built yet: no tag names it, so every tag on another image conflicts. */
export const NEW_IMAGE_DIGEST = "sha256:(the new image)";

/**
 * Decides from what ECR holds under the commit tag (nothing when the repository does not exist yet).
 * A rebuild of a commit whose tag may not move is refused before anything is built.
 */
export function planCommitImage(
  commitTag: string,
  existing: Pick<ImageInfo, "digest"> | undefined,
  options: {
    skipExisting: boolean;
    repository: Pick<RepositoryInfo, "name" | "mutability" | "exclusionFilters"> | undefined;
  },
): CommitImagePlan {
  if (!existing) return { action: "build", commitTag, replaces: undefined };
  if (options.skipExisting) return { action: "reuse", commitTag, digest: existing.digest };
  const repository = options.repository;
  if (repository && !isTagMutable(repository, commitTag)) {
    throw new UserError(
      `\`skip-existing\` is false, but ${commitTag} already names sha256:${shortDigest(existing.digest)}… and ${repository.name} does not let tags move.`,
      {
        input: "skip-existing",
        fix: "Set `skip-existing: true` to reuse the image, or rebuild from a new commit.",
      },
    );
  }
  return { action: "build", commitTag, replaces: existing.digest };
}

/** The digest the other tags will name: the reused image's, or the placeholder of the one to build. */
export function plannedDigest(plan: CommitImagePlan): string {
  return plan.action === "reuse" ? plan.digest : NEW_IMAGE_DIGEST;
}

/** What the run did to the commit tag, once the image is in ECR. */
export function commitTagChange(plan: CommitImagePlan): ApplyResult {
  if (plan.action === "reuse") return { tag: plan.commitTag, action: "unchanged" };
  return plan.replaces
    ? { tag: plan.commitTag, action: "moved", from: plan.replaces }
    : { tag: plan.commitTag, action: "added" };
}

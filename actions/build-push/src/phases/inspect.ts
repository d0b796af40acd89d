// Phases "Repository" and "Existing image" of a build: what ECR holds for this commit, and what the
// build will do about it. Every refusal comes here, before anything is built, pushed or created.
import type { ECRClient } from "@aws-sdk/client-ecr";
import type { ImageTag } from "@shipline/core/docker/tags";
import { type CommitImagePlan, planCommitImage, plannedDigest } from "@shipline/core/ecr/commit-image";
import { digestsOfTags } from "@shipline/core/ecr/image-lookup";
import { findImage, type ImageInfo } from "@shipline/core/ecr/images";
import type { RepositoryInfo } from "@shipline/core/ecr/repository";
import { conflictError, movingTagsRefusal, planTagChanges } from "@shipline/core/ecr/tagging";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";
import { locate } from "./locate";

/** The tag rules the image will live under: the repository's, or those it will be created with. */
export type TagRules = Pick<RepositoryInfo, "name" | "mutability" | "exclusionFilters">;

export interface BuildTarget {
  /** undefined: the repository does not exist yet and will be created. */
  repository: RepositoryInfo | undefined;
  rules: TagRules;
  plan: CommitImagePlan;
}

function existingImage(
  context: ActionContext,
  ecr: ECRClient,
  repository: RepositoryInfo,
  commitTag: string,
) {
  const { logger } = context;
  return logger.group("Existing image", async (): Promise<ImageInfo | undefined> => {
    const found = await findImage(
      ecr,
      { name: repository.name, registryId: repository.registryId },
      { tag: commitTag },
    );
    if (found) {
      logger.info(
        `${commitTag} is already in ECR: ${found.digest}${found.pushedAt ? `, pushed ${found.pushedAt.toISOString()}` : ""}.`,
      );
    } else {
      logger.info(`No image is tagged ${commitTag} yet.`);
    }
    return found;
  });
}

/** A new build gets a new digest: any other tag that may not move to it is refused now, not after the push. */
async function refuseTagConflicts(
  ecr: ECRClient,
  repository: RepositoryInfo,
  otherTags: readonly ImageTag[],
  plan: CommitImagePlan,
): Promise<void> {
  const current = await digestsOfTags(
    ecr,
    { name: repository.name, registryId: repository.registryId },
    otherTags.map((t) => t.name),
  );
  const conflicts = planTagChanges(otherTags, current, plannedDigest(plan), repository).conflicts;
  if (conflicts.length > 0) throw conflictError(repository.name, conflicts);
}

export async function inspect(
  context: ActionContext,
  settings: Settings,
  ecr: ECRClient,
  commitTag: ImageTag,
  skipExisting: boolean,
): Promise<BuildTarget> {
  const repository = await locate(context, ecr, settings.repository, settings.create);
  const rules: TagRules = repository ?? {
    name: settings.repository.name,
    mutability: settings.create?.mutability ?? "MUTABLE",
    exclusionFilters: [],
  };
  const refusal = movingTagsRefusal(settings.tags, rules);
  if (refusal) throw refusal;
  const existing = repository ? await existingImage(context, ecr, repository, commitTag.name) : undefined;
  const plan = planCommitImage(commitTag.name, existing, { skipExisting, repository });
  if (repository) {
    await refuseTagConflicts(
      ecr,
      repository,
      settings.tags.filter((t) => t !== commitTag),
      plan,
    );
  }
  return { repository, rules, plan };
}

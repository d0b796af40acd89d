// Phase "Repository": the ECR repository the image goes to, or undefined when it is missing and this
// run may create it; a missing one that may not be created is refused.
import type { ECRClient } from "@aws-sdk/client-ecr";
import {
  findRepository,
  type RepositoryInfo,
  type RepositoryRef,
  type RepositorySettings,
  repositoryNotFound,
} from "@shipline/core/ecr/repository";
import type { ActionContext } from "@shipline/core/runtime/run";

export function locate(
  context: ActionContext,
  ecr: ECRClient,
  ref: RepositoryRef,
  create: RepositorySettings | undefined,
): Promise<RepositoryInfo | undefined> {
  const { logger } = context;
  return logger.group("Repository", async () => {
    const found = await findRepository(ecr, ref);
    if (found) {
      logger.info(`${found.uri}: tags ${found.mutability}, scan on push ${found.scanOnPush ? "on" : "off"}.`);
    } else if (create) {
      logger.info(`${ref.name} does not exist yet; it will be created.`);
    } else {
      throw repositoryNotFound(ref);
    }
    return found;
  });
}

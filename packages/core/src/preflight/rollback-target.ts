// Is there something to roll back to? For each production service, the revision it runs now (the
// rollback target once the new version goes out), deployable (ACTIVE), and every image of it still in
// ECR, looked up by digest: lifecycle policies expire old images, and a rollback to a revision whose
// image is gone fails at the worst time. Reads only.

import { DescribeImagesCommand, type ECRClient } from "@aws-sdk/client-ecr";
import { DescribeTaskDefinitionCommand, type ECSClient, type Service } from "@aws-sdk/client-ecs";
import { parseImageReference } from "../docker/reference";
import type { ServiceDeploymentsApi } from "../ecs/service-deployments";
import { captureRollbackTarget, describeServices } from "../ecs/service-snapshot";
import { revisionLabel } from "../ecs/task-definition";
import { errorMessage, isUserError } from "../runtime/errors";
import { check, type Evidence, type PreflightCheck } from "./report";

export interface RollbackTargetDeps {
  ecs: ECSClient;
  ecr: ECRClient;
  api: ServiceDeploymentsApi;
}

/** What was found for one image of a rollback target. */
export interface TargetImage {
  service: string;
  container: string;
  image: string;
  repository: string | undefined;
  registryId: string | undefined;
  /** The tag the task definition names, when it names one (a rollback pulls the tag). */
  tag: string | undefined;
  /** The digest the definition names, or else the one that ran (the service revision's). */
  digest: string | undefined;
  /** found: ECR holds the digest; missing: it does not (deleted); unchecked: not an ECR image, or no digest known. */
  state: "found" | "missing" | "unchecked";
  note?: string;
}

export interface ServiceTarget {
  service: string;
  taskDefinitionArn: string | undefined;
  status: string | undefined;
  images: TargetImage[];
  problem?: string;
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

function isNotFound(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

/**
 * One DescribeImages per image, by the reference a rollback would pull: the digest when the definition
 * names one, else the tag. The answer must name what was asked (never trusted as an echo); a tag that
 * now names another image than the one that ran is a rollback that would not restore what ran.
 */
async function lookUp(ecr: ECRClient, image: TargetImage): Promise<TargetImage> {
  if (!image.repository) return { ...image, state: "unchecked", note: "not an image reference" };
  const byTag = image.tag !== undefined && !imageParts(image.image).digest;
  const id = byTag ? { imageTag: image.tag } : image.digest ? { imageDigest: image.digest } : undefined;
  if (!id) return { ...image, state: "unchecked", note: "no digest or tag known" };
  try {
    const out = await ecr.send(
      new DescribeImagesCommand({
        repositoryName: image.repository,
        ...(image.registryId ? { registryId: image.registryId } : {}),
        imageIds: [id],
      }),
    );
    const detail = (out.imageDetails ?? []).find((d) =>
      byTag ? (d.imageTags ?? []).includes(image.tag as string) : d.imageDigest === image.digest,
    );
    if (!detail) return { ...image, state: "missing", note: "ECR answered without it" };
    if (byTag && image.digest && detail.imageDigest !== image.digest) {
      return {
        ...image,
        state: "missing",
        note: `tag ${image.tag} now names ${detail.imageDigest}, not the ${image.digest} that ran`,
      };
    }
    return { ...image, digest: image.digest ?? detail.imageDigest, state: "found" };
  } catch (error) {
    if (isNotFound(error, "ImageNotFoundException"))
      return { ...image, state: "missing", ...(byTag ? { note: `tag ${image.tag} is gone` } : {}) };
    // An image from another registry (Docker Hub, GHCR) has no ECR repository to look in.
    if (isNotFound(error, "RepositoryNotFoundException") && !image.registryId)
      return { ...image, state: "unchecked", note: "not an ECR repository of this account" };
    if (isNotFound(error, "RepositoryNotFoundException"))
      return { ...image, state: "missing", note: `repository ${image.repository} does not exist` };
    throw error;
  }
}

function imageParts(image: string): Pick<TargetImage, "repository" | "registryId" | "digest" | "tag"> {
  try {
    const ref = parseImageReference(image);
    const registryId = ref.domain ? ECR_HOST.exec(ref.domain)?.[1] : undefined;
    // A reference without tag or digest pulls `latest`.
    const tag = ref.tag ?? (ref.digest ? undefined : "latest");
    return { repository: ref.path, registryId, digest: ref.digest, tag };
  } catch {
    return { repository: undefined, registryId: undefined, digest: undefined, tag: undefined };
  }
}

async function targetOf(deps: RollbackTargetDeps, cluster: string, service: Service): Promise<ServiceTarget> {
  const name = service.serviceName ?? "";
  const target = await captureRollbackTarget(service, cluster, deps.api);
  if (!target) {
    return {
      service: name,
      taskDefinitionArn: undefined,
      status: undefined,
      images: [],
      problem: `${name} has no revision that finished rolling out, so there is nothing to roll back to`,
    };
  }
  const described = await deps.ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: target.taskDefinitionArn }),
  );
  const definition = described.taskDefinition;
  if (definition?.taskDefinitionArn !== target.taskDefinitionArn) {
    return {
      service: name,
      taskDefinitionArn: target.taskDefinitionArn,
      status: undefined,
      images: [],
      problem: `ECS answered DescribeTaskDefinition for ${revisionLabel(target.taskDefinitionArn)} with ${definition?.taskDefinitionArn ?? "nothing"}`,
    };
  }
  const ran = new Map(target.images.map((i) => [i.container, i]));
  const images = (definition.containerDefinitions ?? []).map((c): TargetImage => {
    const image = c.image ?? "";
    const parts = imageParts(image);
    // The digest that ran (the service revision's) is the one a rollback pulls again when the
    // definition names a tag; a digest in the definition itself is exact.
    const digest = parts.digest ?? ran.get(c.name ?? "")?.digest;
    return { service: name, container: c.name ?? "", image, ...parts, digest, state: "unchecked" };
  });
  const checked: TargetImage[] = [];
  for (const image of images) checked.push(await lookUp(deps.ecr, image));
  const problem =
    definition.status !== "ACTIVE"
      ? `${revisionLabel(target.taskDefinitionArn)} is ${definition.status ?? "not ACTIVE"} and cannot be deployed again`
      : undefined;
  return {
    service: name,
    taskDefinitionArn: target.taskDefinitionArn,
    status: definition.status,
    images: checked,
    ...(problem ? { problem } : {}),
  };
}

export async function readRollbackTargets(
  deps: RollbackTargetDeps,
  cluster: string,
  services: readonly string[],
): Promise<ServiceTarget[] | { problem: string }> {
  let described: Service[];
  try {
    described = await describeServices(deps.ecs, cluster, services);
  } catch (error) {
    if (isUserError(error)) return { problem: errorMessage(error) };
    throw error;
  }
  const out: ServiceTarget[] = [];
  for (const service of described) out.push(await targetOf(deps, cluster, service));
  return out;
}

/** Pure: the check from what was read. */
export function judgeRollbackTargets(read: ServiceTarget[] | { problem: string }): PreflightCheck {
  if (!Array.isArray(read)) {
    return check("rollback-target", "fail", read.problem, [], "Check `cluster` and `services`.");
  }
  const evidence: Evidence[] = [];
  const problems: string[] = [];
  for (const target of read) {
    if (target.taskDefinitionArn)
      evidence.push({
        label: `${target.service} rollback target`,
        value: revisionLabel(target.taskDefinitionArn),
      });
    if (target.problem) problems.push(target.problem);
    for (const image of target.images) {
      evidence.push({
        label: `${target.service}/${image.container} image`,
        value: `${image.digest ?? image.image} ${image.state === "found" ? "in ECR" : image.state === "missing" ? "MISSING from ECR" : `not checked (${image.note ?? ""})`}${image.state === "found" && image.tag && !imageParts(image.image).digest ? ` (tag ${image.tag})` : ""}`,
      });
      if (image.state === "missing") {
        problems.push(
          `${target.service}'s rollback target ${target.taskDefinitionArn ? revisionLabel(target.taskDefinitionArn) : ""} runs ${image.digest ? `${image.repository}@${image.digest}` : `${image.repository}:${image.tag}`}, which ECR no longer holds${image.note ? ` (${image.note})` : ""}`,
        );
      }
    }
  }
  if (problems.length > 0) {
    return check(
      "rollback-target",
      "fail",
      `${problems.join("; ")}.`,
      evidence,
      "Restore the image (push it again by digest, or from a backup registry) or deploy a revision whose images exist, and exclude release images from the ECR lifecycle policy (for example keep tags matching v*).",
    );
  }
  const unchecked = read.flatMap((t) => t.images).filter((i) => i.state === "unchecked").length;
  return check(
    "rollback-target",
    "pass",
    `${read.map((t) => `${t.service} can return to ${revisionLabel(t.taskDefinitionArn ?? "")}`).join("; ")}, and its images are in ECR${unchecked ? ` (${unchecked} not from this account's ECR, not checked)` : ""}.`,
    evidence,
  );
}

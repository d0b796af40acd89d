// Profiles: which AWS the simulator plays. "aws" is AWS as its API reference describes it. "compat"
// plays the AWS-compatible endpoints teams point tools at in development (LocalStack, moto), which
// implement the older surface and answer some calls their own way:
// - no ECS service deployments API: ListServiceDeployments, DescribeServiceDeployments,
//   DescribeServiceRevisions and StopServiceDeployment answer HTTP 500 with an HTML page;
// - services carry no `currentServiceDeployment` (nor `currentServiceRevisions`);
// - BatchGetImage answers an image with the image's most recently written tag, not the tag asked;
// - RunTask ignores `clientToken`: every call starts new tasks (moto's run_task takes no token);
// - UpdateService with `forceNewDeployment` records the task definition sent (DescribeServices then
//   names it) but starts no deployment: the deployments keep running what they ran;
// - no CodeDeploy (LocalStack has it only in its paid edition): every CodeDeploy operation answers
//   HTTP 500 with an HTML page. Listener rules (DescribeRules, ModifyRule, DescribeTags) answer as
//   AWS's do: the endpoints implement weighted forward actions.
// Each quirk is an override installed before any test's own, so a test's overrides wrap the profile.
import type { Override } from "./dispatch";
import { RawReply } from "./protocol";
import type { Shape } from "./types";

export type SimProfile = "aws" | "compat";

export const SIM_PROFILES: readonly SimProfile[] = ["aws", "compat"];

export function isSimProfile(value: unknown): value is SimProfile {
  return typeof value === "string" && (SIM_PROFILES as readonly string[]).includes(value);
}

const NOT_IMPLEMENTED_PAGE =
  "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>" +
  "<body><h1>Internal Server Error</h1><p>The API action is not implemented.</p></body></html>";

const MISSING_ECS_OPERATIONS = [
  "ListServiceDeployments",
  "DescribeServiceDeployments",
  "DescribeServiceRevisions",
  "StopServiceDeployment",
];

const MISSING_CODEDEPLOY_OPERATIONS = [
  "GetApplication",
  "GetDeploymentGroup",
  "CreateDeployment",
  "GetDeployment",
  "ListDeployments",
  "ListDeploymentTargets",
  "BatchGetDeploymentTargets",
  "GetDeploymentTarget",
  "StopDeployment",
];

const SERVICE_ANSWERS = ["CreateService", "UpdateService", "DescribeServices", "DeleteService"];

function asShape(value: unknown): Shape | undefined {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Shape) : undefined;
}

/** The overrides that make the simulator answer as the profile's endpoints do (none for "aws"). */
export function profileOverrides(profile: SimProfile): Override[] {
  if (profile === "aws") return [];
  // What a forced UpdateService recorded per service ARN: the task definition the service now names.
  const claimed = new Map<string, string>();
  // Per repository, the order in which tags were last written (later writes higher).
  const tagWrites = new Map<string, Map<string, number>>();
  let writes = 0;

  const rewriteService = (service: Shape): Shape => {
    const { currentServiceDeployment: _deployment, currentServiceRevisions: _revisions, ...rest } = service;
    const arn = typeof rest.serviceArn === "string" ? rest.serviceArn : undefined;
    const claim = arn ? claimed.get(arn) : undefined;
    return claim ? { ...rest, taskDefinition: claim } : rest;
  };
  const rewriteAnswer = (answer: unknown): unknown => {
    const shape = asShape(answer);
    if (!shape) return answer;
    const out: Shape = { ...shape };
    const single = asShape(shape.service);
    if (single) out.service = rewriteService(single);
    if (Array.isArray(shape.services)) {
      out.services = shape.services.map((s) => {
        const service = asShape(s);
        return service ? rewriteService(service) : s;
      });
    }
    return out;
  };

  const overrides: Override[] = [
    ...MISSING_ECS_OPERATIONS.map((operation) => ({ service: "ecs", operation })),
    ...MISSING_CODEDEPLOY_OPERATIONS.map((operation) => ({ service: "codedeploy", operation })),
  ].map(({ service, operation }) => ({
    service,
    operation,
    handle: () => new RawReply(500, NOT_IMPLEMENTED_PAGE, "text/html"),
  }));

  for (const operation of SERVICE_ANSWERS) {
    if (operation === "UpdateService") continue;
    overrides.push({
      service: "ecs",
      operation,
      handle: async ({ next }) => rewriteAnswer(await next()),
    });
  }

  overrides.push({
    service: "ecs",
    operation: "UpdateService",
    handle: async ({ input, next }) => {
      const asked = typeof input.taskDefinition === "string" ? input.taskDefinition : undefined;
      if (input.forceNewDeployment !== true) {
        const answer = asShape(await next());
        const arn = asShape(answer?.service)?.serviceArn;
        // A plain update with a task definition starts a real deployment: the claim is over.
        if (asked && typeof arn === "string") claimed.delete(arn);
        return rewriteAnswer(answer);
      }
      const { taskDefinition: _td, forceNewDeployment: _force, ...rest } = input;
      const answer = asShape(await next(rest));
      const service = asShape(answer?.service);
      if (service && typeof service.serviceArn === "string" && asked) {
        // Recorded as sent, resolved to an ARN when the family's revision is the one running.
        claimed.set(service.serviceArn, resolveArn(asked, service));
      }
      return rewriteAnswer(answer);
    },
  });

  overrides.push({
    service: "ecs",
    operation: "RunTask",
    handle: ({ input, next }) => {
      const { clientToken: _ignored, ...rest } = input;
      return next(rest);
    },
  });

  overrides.push({
    service: "ecr",
    operation: "PutImage",
    handle: async ({ input, next }) => {
      const answer = await next();
      const repository = String(input.repositoryName ?? "");
      const tag = input.imageTag;
      if (typeof tag === "string") {
        const order = tagWrites.get(repository) ?? new Map<string, number>();
        order.set(tag, ++writes);
        tagWrites.set(repository, order);
      }
      return answer;
    },
  });

  overrides.push({
    service: "ecr",
    operation: "BatchGetImage",
    handle: async ({ input, next, sim }) => {
      const answer = asShape(await next());
      if (!answer || !Array.isArray(answer.images)) return answer;
      const repository = String(input.repositoryName ?? "");
      const stored = await sim.ecr.images(repository);
      const order = tagWrites.get(repository);
      const newest = (digest: string): string | undefined => {
        const tags = stored.find((image) => image.imageDigest === digest)?.imageTags ?? [];
        if (tags.length === 0) return undefined;
        return [...tags].sort((a, b) => (order?.get(a) ?? 0) - (order?.get(b) ?? 0)).at(-1);
      };
      return {
        ...answer,
        images: answer.images.map((entry) => {
          const image = asShape(entry);
          const id = asShape(image?.imageId);
          const digest = typeof id?.imageDigest === "string" ? id.imageDigest : undefined;
          const tag = digest ? newest(digest) : undefined;
          if (!image || !id || !tag) return entry;
          return { ...image, imageId: { ...id, imageTag: tag } };
        }),
      };
    },
  });

  return overrides;
}

/** family:revision as an ARN in the service's account and region; an ARN stays as it is. */
function resolveArn(taskDefinition: string, service: Shape): string {
  if (taskDefinition.startsWith("arn:")) return taskDefinition;
  const serviceArn = String(service.serviceArn ?? "");
  const prefix = serviceArn.split(":service/")[0];
  return prefix && taskDefinition.includes(":")
    ? `${prefix}:task-definition/${taskDefinition}`
    : taskDefinition;
}

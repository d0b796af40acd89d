// The ECS service deployments API (ListServiceDeployments, DescribeServiceDeployments,
// DescribeServiceRevisions), read through one object that notices when the API cannot be used (an
// older or AWS-compatible endpoint, a role without the permission, any failed call) and then answers
// "unavailable" so callers fall back to DescribeServices' deployments[] instead of failing.
import {
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  type Service,
  type ServiceDeployment,
  type ServiceDeploymentBrief,
  type ServiceDeploymentStatus,
  type ServiceRevision,
} from "@aws-sdk/client-ecs";
import { BatchedReader } from "../aws/batched-reader";
import { notAnAwsAnswer } from "../aws/errors";
import { errorMessage, isAbortError } from "../runtime/errors";
import type { Logger } from "../runtime/logger";

/** Errors that mean "this API is not there for you": the warning then names the permissions to allow. */
const UNAVAILABLE = new Set([
  "AccessDeniedException",
  "AccessDenied",
  "UnauthorizedOperation",
  "UnknownOperationException",
  "UnsupportedOperationException",
  "InvalidAction",
]);

export function isUnavailable(error: unknown): boolean {
  return error instanceof Error && UNAVAILABLE.has(error.name);
}

/** Statuses of a deployment ECS is still rolling forward. */
export const ROLLING_FORWARD: readonly ServiceDeploymentStatus[] = ["PENDING", "IN_PROGRESS"];

export class ServiceDeploymentsApi {
  readonly #ecs: ECSClient;
  readonly #logger: Logger;
  #unavailable: string | undefined;
  #noCurrentNoted = false;
  /** Service revisions never change once created: each is read once. */
  readonly #revisions = new Map<string, ServiceRevision>();

  constructor(ecs: ECSClient, logger: Logger) {
    this.#ecs = ecs;
    this.#logger = logger;
  }

  /** Why the API is not used, once a call found it unavailable. */
  get unavailableReason(): string | undefined {
    return this.#unavailable;
  }

  get available(): boolean {
    return this.#unavailable === undefined;
  }

  async #call<T>(operation: string, send: () => Promise<T>): Promise<T | undefined> {
    if (this.#unavailable !== undefined) return undefined;
    try {
      return await send();
    } catch (error) {
      // The API is optional: any failure (a denial, an endpoint without it answering 500 with an HTML
      // page, an unknown operation) costs one warning and the DescribeServices path, never the step.
      // Only a cancellation goes on up.
      if (isAbortError(error)) throw error;
      const name = error instanceof Error ? error.name : "Error";
      const page = notAnAwsAnswer(error);
      this.#unavailable = page
        ? `${page} on ${operation}`
        : `${name} on ${operation}: ${errorMessage(error).slice(0, 300)}`;
      const fix = isUnavailable(error)
        ? "allow ecs:ListServiceDeployments, ecs:DescribeServiceDeployments and ecs:DescribeServiceRevisions to get lifecycle stages, circuit-breaker counts and image digests."
        : "an endpoint without this API (an AWS-compatible one) gives no lifecycle stages, circuit-breaker counts or image digests.";
      this.#logger.warning(
        `The ECS service deployments API cannot be used (${this.#unavailable}). Following the rollout through DescribeServices (deployments[] and rolloutState) instead; ${fix}`,
      );
      return undefined;
    }
  }

  /**
   * The service deployment DescribeServices names as the service's current one. An endpoint that
   * leaves `currentServiceDeployment` out (an AWS-compatible one, an older API) is said once per run:
   * the rollout is then followed through deployments[], and service-deployment-arn outputs stay empty.
   */
  currentOf(service: Service): string | undefined {
    const arn = service.currentServiceDeployment;
    if (!arn && !this.#noCurrentNoted && (service.deployments?.length ?? 0) > 0) {
      this.#noCurrentNoted = true;
      this.#logger.warning(
        `DescribeServices gives no currentServiceDeployment for ${service.serviceName ?? "the service"} (an AWS-compatible endpoint, or one without the service deployments API): rollouts are followed through deployments[] and rolloutState, and the service-deployment-arn outputs stay empty; the other outputs are filled as usual.`,
      );
    }
    return arn;
  }

  /**
   * The service deployment asked for; an answer about another one is not taken for it. Followers
   * that ask in the same turn share one DescribeServiceDeployments (up to 20 ARNs).
   */
  describe(arn: string): Promise<ServiceDeployment | undefined> {
    if (this.#unavailable !== undefined) return Promise.resolve(undefined);
    return this.#deployments.get(arn);
  }

  readonly #deployments = new BatchedReader<ServiceDeployment>({
    maxBatch: 20,
    windowMs: 0,
    fetch: async (arns) => {
      const out = await this.#call("DescribeServiceDeployments", () =>
        this.#ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [...arns] })),
      );
      const found = new Map<string, ServiceDeployment>();
      for (const deployment of out?.serviceDeployments ?? []) {
        const arn = deployment.serviceDeploymentArn;
        if (arn && arns.includes(arn)) found.set(arn, deployment);
      }
      return found;
    },
  });

  /** Newest first. */
  async list(
    cluster: string,
    service: string,
    filter: { statuses?: ServiceDeploymentStatus[]; createdAfter?: Date; maxResults?: number } = {},
  ): Promise<ServiceDeploymentBrief[] | undefined> {
    const out = await this.#call("ListServiceDeployments", () =>
      this.#ecs.send(
        new ListServiceDeploymentsCommand({
          cluster,
          service,
          ...(filter.statuses ? { status: filter.statuses } : {}),
          ...(filter.createdAfter ? { createdAt: { after: filter.createdAfter } } : {}),
          maxResults: filter.maxResults ?? 20,
        }),
      ),
    );
    if (!out) return undefined;
    return [...(out.serviceDeployments ?? [])].sort(
      (a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0),
    );
  }

  /**
   * The revisions of the ARNs that exist; undefined when the API is unavailable. Each is read once,
   * and callers that ask in the same turn share one DescribeServiceRevisions (up to 20 ARNs).
   */
  async revisions(arns: readonly string[]): Promise<ServiceRevision[] | undefined> {
    const wanted = [...new Set(arns)];
    await Promise.all(
      wanted.filter((arn) => !this.#revisions.has(arn)).map((arn) => this.#revisionReader.get(arn)),
    );
    if (this.#unavailable !== undefined) return undefined;
    return wanted.flatMap((arn) => {
      const revision = this.#revisions.get(arn);
      return revision ? [revision] : [];
    });
  }

  readonly #revisionReader = new BatchedReader<ServiceRevision>({
    maxBatch: 20,
    windowMs: 0,
    fetch: async (arns) => {
      const out = await this.#call("DescribeServiceRevisions", () =>
        this.#ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [...arns] })),
      );
      const found = new Map<string, ServiceRevision>();
      for (const revision of out?.serviceRevisions ?? []) {
        const arn = revision.serviceRevisionArn;
        if (arn && arns.includes(arn)) {
          this.#revisions.set(arn, revision);
          found.set(arn, revision);
        }
      }
      return found;
    },
  });

  async revision(arn: string): Promise<ServiceRevision | undefined> {
    return (await this.revisions([arn]))?.find((r) => r.serviceRevisionArn === arn);
  }
}

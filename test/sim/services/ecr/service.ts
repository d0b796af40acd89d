// Amazon ECR: repositories, images, promotion by BatchGetImage + PutImage, login tokens and scan
// findings. Images have one truth (image-store.ts): a real registry's manifests and tags when one is
// configured, memory otherwise. Scans are in scan.ts.

import type { Repository as RepositoryShape } from "@aws-sdk/client-ecr";
import {
  invalidParameter,
  objectList,
  optionalBoolean,
  optionalNumber,
  optionalObject,
  optionalString,
  requireString,
  SimError,
} from "../../framework/errors";
import { type Snapshot, snapshotOf } from "../../framework/snapshot";
import type { Shape, SimRuntime, SimService } from "../../framework/types";
import {
  ALL_MANIFEST_TYPES,
  DIGEST,
  type EcrRegistryConfig,
  HttpImageStore,
  type ImageStore,
  MEDIA_TYPES,
  MemoryImageStore,
  sha256Digest,
  syntheticManifest,
} from "./image-store";
import { expiredBy, type LifecycleRule, parseLifecyclePolicy } from "./lifecycle";
import { type EcrScenarioScan, type ScanState, Scans, type ScanType } from "./scan";

export type { EcrRegistryConfig } from "./image-store";
export { MEDIA_TYPES, sha256Digest } from "./image-store";
export type { EcrScenarioFinding, EcrScenarioScan, ScanState, Severity } from "./scan";

// ---- scenario ------------------------------------------------------------------------------------

export interface EcrScenarioImage {
  tags?: string[];
  /** Taken as given in memory mode; computed from the manifest otherwise. */
  digest?: string;
  manifest?: string;
  mediaType?: string;
}

export interface EcrScenarioRepository {
  name: string;
  imageTagMutability?: "MUTABLE" | "IMMUTABLE" | "IMMUTABLE_WITH_EXCLUSION" | "MUTABLE_WITH_EXCLUSION";
  /** WILDCARD filters (`*` matches any run of characters) for the *_WITH_EXCLUSION modes. */
  exclusionFilters?: string[];
  scanOnPush?: boolean;
  /** Memory mode only: images that exist from the start. */
  images?: EcrScenarioImage[];
}

export interface EcrScenario {
  registry?: EcrRegistryConfig;
  /** Registry-level scanning: BASIC (scan on push per repository) or ENHANCED (every image, continuously). */
  scanning?: { type?: "BASIC" | "ENHANCED"; inProgressMs?: number };
  repositories?: EcrScenarioRepository[];
  scans?: EcrScenarioScan[];
}

const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}$/;

/** An image of a repository as the inspection surface shows it. */
export interface ImageState {
  readonly imageDigest: string;
  readonly imageTags: readonly string[];
  readonly imageManifestMediaType?: string;
}

/** What tests and the demo see of the simulated ECR (`sim.ecr`). */
export interface EcrSurface {
  /** "registry" when a real registry holds the images, "memory" otherwise. */
  readonly mode: "registry" | "memory";
  /** The host image references use (127.0.0.1:<port>, or the ECR host in memory mode). */
  readonly registryHost: string;
  readonly scanType: ScanType;
  /** Every repository as DescribeRepositories describes it, by name. */
  repositories(): Snapshot<RepositoryShape>[];
  /** The tagged images of a repository, by digest (reads the registry in registry mode). */
  images(repository: string): Promise<ImageState[]>;
  scans(): ScanState[];
  /** Memory mode: an image that exists, as if CI had pushed it. Returns its digest. */
  seedImage(repository: string, image: EcrScenarioImage): string;
  /** A scan rule from now on, ahead of the scenario's (it also rewrites scans of digests it names). */
  addScanRule(rule: EcrScenarioScan): void;
  /** How long scans stay IN_PROGRESS when their rule does not say (simulated ms). */
  setScanTiming(timing: { inProgressMs: number }): void;
  /** Points image operations at a real registry (kept across scenario loads until replaced). */
  useRegistry(config: EcrRegistryConfig | undefined): void;
  /** The digest an image reference resolves to, if the repository holds it. */
  resolveImage(image: string): Promise<{ repository: string; digest: string } | undefined>;
  /**
   * Deletes an image by digest, as a lifecycle rule or a person in the console would (another actor's
   * doing, not in the call log): every ECR call answers as for a digest that is not there.
   */
  expireImage(repository: string, digest: string): void;
  /** The digests deleted so far (by expireImage or a lifecycle policy), per repository. */
  expired(repository: string): string[];
}

// ---- repositories --------------------------------------------------------------------------------

interface Repository {
  name: string;
  arn: string;
  createdAt: number;
  mutability: NonNullable<EcrScenarioRepository["imageTagMutability"]>;
  exclusionFilters: string[];
  scanOnPush: boolean;
}

function wildcard(filter: string): RegExp {
  return new RegExp(
    `^${filter
      .split("*")
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
}

/** Whether an existing tag may be moved to another image in this repository. */
export function tagIsMutable(
  repository: Pick<Repository, "mutability" | "exclusionFilters">,
  tag: string,
): boolean {
  const excluded = repository.exclusionFilters.some((filter) => wildcard(filter).test(tag));
  switch (repository.mutability) {
    case "MUTABLE":
      return true;
    case "IMMUTABLE":
      return false;
    case "IMMUTABLE_WITH_EXCLUSION":
      return excluded;
    case "MUTABLE_WITH_EXCLUSION":
      return !excluded;
  }
}

function toImageId(input: Shape): { imageTag?: string; imageDigest?: string } {
  const id: { imageTag?: string; imageDigest?: string } = {};
  if (typeof input.imageTag === "string") id.imageTag = input.imageTag;
  if (typeof input.imageDigest === "string") id.imageDigest = input.imageDigest;
  return id;
}

function describeId(id: { imageTag?: string; imageDigest?: string }): string {
  return `{imageDigest:'${id.imageDigest ?? "null"}', imageTag:'${id.imageTag ?? "null"}'}`;
}

export class EcrService implements SimService {
  readonly definition = {
    name: "ecr",
    signingName: "ecr",
    iamPrefix: "ecr",
    protocol: "json1.1",
    targetPrefix: "AmazonEC2ContainerRegistry_V20150921",
  } as const;

  readonly #repositories = new Map<string, Repository>();
  readonly #scans: Scans;
  readonly #memory: MemoryImageStore;
  #store: ImageStore;
  /** Digests deleted from a repository; the image store may still hold them, ECR answers without. */
  readonly #expired = new Map<string, Set<string>>();
  readonly #policies = new Map<string, { text: string; rules: LifecycleRule[]; evaluatedAt?: number }>();

  /** The state and controls tests and the demo use (`sim.ecr`). */
  readonly surface: EcrSurface;

  constructor(private readonly runtime: SimRuntime) {
    this.surface = this.#makeSurface();
    this.#memory = new MemoryImageStore(
      `${runtime.accountId}.dkr.ecr.${runtime.region}.amazonaws.com`,
      `simulated-ecr-password-${runtime.accountId}`,
    );
    this.#store = this.#memory;
    this.#scans = new Scans(() => runtime.now());
  }

  /** "registry" when a real registry holds the images, "memory" otherwise. */
  get mode(): "registry" | "memory" {
    return this.#store.kind;
  }

  /** The registry host image references use (127.0.0.1:<port>, or the ECR host in memory mode). */
  get registryHost(): string {
    return this.#store.host;
  }

  /** Points image operations at a real registry (kept across scenario loads until replaced). */
  useRegistry(config: EcrRegistryConfig | undefined): void {
    this.#store = config ? new HttpImageStore(config) : this.#memory;
  }

  reset(): void {
    this.#expired.clear();
    this.#policies.clear();
    this.#repositories.clear();
    this.#scans.reset();
    this.#memory.clear();
  }

  load(section: unknown): void {
    const scenario = section as EcrScenario;
    if (scenario.registry) this.useRegistry(scenario.registry);
    this.#scans.configure(scenario.scanning, scenario.scans ?? []);
    for (const repo of scenario.repositories ?? []) {
      this.createRepository(repo.name, {
        mutability: repo.imageTagMutability ?? "MUTABLE",
        exclusionFilters: repo.exclusionFilters ?? [],
        scanOnPush: repo.scanOnPush ?? false,
      });
      for (const image of repo.images ?? []) {
        if (this.#store.kind === "registry") {
          throw new SimError(
            "InvalidScenario",
            `ecr.repositories[${repo.name}].images: with a registry, push images to it instead`,
          );
        }
        this.seedImage(repo.name, image);
      }
    }
  }

  /** Creates a repository directly (tests, scenarios). */
  createRepository(
    name: string,
    settings: {
      mutability?: Repository["mutability"];
      exclusionFilters?: string[];
      scanOnPush?: boolean;
    } = {},
  ): Repository {
    const repository: Repository = {
      name,
      arn: `arn:aws:ecr:${this.runtime.region}:${this.runtime.accountId}:repository/${name}`,
      createdAt: this.runtime.now(),
      mutability: settings.mutability ?? "MUTABLE",
      exclusionFilters: settings.exclusionFilters ?? [],
      scanOnPush: settings.scanOnPush ?? false,
    };
    this.#repositories.set(name, repository);
    return repository;
  }

  /** Memory mode: an image that exists, for other services' tests. Returns its digest. */
  seedImage(repository: string, image: EcrScenarioImage): string {
    if (this.#store.kind !== "memory")
      throw new Error("seedImage works in memory mode only; push to the registry instead");
    const bytes = image.manifest
      ? Buffer.from(image.manifest)
      : syntheticManifest(
          `${repository}:${(image.tags ?? []).join(",")}:${image.digest ?? this.runtime.hexId(16)}`,
        );
    const digest = image.digest ?? sha256Digest(bytes);
    this.#memory.seed(
      repository,
      { digest, mediaType: image.mediaType ?? MEDIA_TYPES.ociManifest, bytes },
      image.tags ?? [],
    );
    this.#observe(repository, digest);
    return digest;
  }

  /**
   * The digest an image reference (`host/repo:tag`, `host/repo@sha256:...`, or `repo:tag`) resolves to,
   * for other simulated services (ECS service revisions record the digests that ran).
   */
  async resolveImage(image: string): Promise<{ repository: string; digest: string } | undefined> {
    const at = image.indexOf("@");
    let name = at >= 0 ? image.slice(0, at) : image;
    let reference = at >= 0 ? image.slice(at + 1) : "latest";
    if (at < 0) {
      const colon = name.lastIndexOf(":");
      if (colon > name.lastIndexOf("/")) {
        reference = name.slice(colon + 1);
        name = name.slice(0, colon);
      }
    }
    const prefix = `${this.#store.host}/`;
    const repository = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    if (!this.#repositories.has(repository)) return undefined;
    const digest = await this.#resolve(repository, reference);
    return digest ? { repository, digest } : undefined;
  }

  #makeSurface(): EcrSurface {
    const ecr = this;
    return {
      get mode() {
        return ecr.mode;
      },
      get registryHost() {
        return ecr.registryHost;
      },
      get scanType() {
        return ecr.#scans.type;
      },
      repositories: () =>
        [...ecr.#repositories.values()]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((r) => snapshotOf<RepositoryShape>(ecr.#describeRepository(r))),
      images: (repository) => ecr.#imageStates(repository),
      scans: () => ecr.#scans.states(),
      seedImage: (repository, image) => ecr.seedImage(repository, image),
      addScanRule: (rule) => ecr.#scans.addRule(rule),
      setScanTiming: (timing) => {
        if (!(timing.inProgressMs >= 0)) throw new Error("a scan's inProgressMs must be >= 0");
        ecr.#scans.inProgressMs = timing.inProgressMs;
      },
      useRegistry: (config) => ecr.useRegistry(config),
      resolveImage: (image) => ecr.resolveImage(image),
      expireImage: (repository, digest) => {
        if (!ecr.#repositories.has(repository)) throw new Error(`no ECR repository ${repository}`);
        if (!DIGEST.test(digest)) throw new Error(`${digest} is not a sha256 digest`);
        ecr.#expire(repository, digest);
      },
      expired: (repository) => [...(ecr.#expired.get(repository) ?? [])].sort(),
    };
  }

  /** The tagged images of a repository, without the side effects of DescribeImages (scans, push time). */
  async #imageStates(repository: string): Promise<ImageState[]> {
    if (!this.#repositories.has(repository)) return [];
    const tags = await this.#tags(repository);
    const out: ImageState[] = [];
    for (const digest of [...new Set(tags.values())].sort()) {
      const manifest = await this.#manifest(repository, digest, ALL_MANIFEST_TYPES);
      out.push(
        snapshotOf<ImageState>({
          imageDigest: digest,
          imageTags: [...tags]
            .filter(([, d]) => d === digest)
            .map(([t]) => t)
            .sort(),
          imageManifestMediaType: manifest?.mediaType,
        }),
      );
    }
    return out;
  }

  snapshot(): unknown {
    return {
      mode: this.#store.kind,
      registry: this.#store.proxyEndpoint,
      scanning: this.#scans.type,
      repositories: [...this.#repositories.values()].map((r) => ({
        name: r.name,
        imageTagMutability: r.mutability,
        scanOnPush: r.scanOnPush,
      })),
      scans: this.#scans.states(),
    };
  }

  readonly controlRoutes = {
    /** Adds a scan rule; it also rewrites the scans of images it matches that were already seen. */
    scan: (body: Shape) => {
      this.#scans.addRule(body as EcrScenarioScan);
      return { ok: true };
    },
    registry: (body: Shape) => {
      this.useRegistry(typeof body.url === "string" ? (body as unknown as EcrRegistryConfig) : undefined);
      return { mode: this.mode };
    },
  };

  // ---- helpers -----------------------------------------------------------------------------------

  #isExpired(repository: string, digest: string | undefined): boolean {
    return digest !== undefined && (this.#expired.get(repository)?.has(digest) ?? false);
  }

  /** Applies the lifecycle policies that are due (at simulated now), before any answer. */
  async #applyPolicies(): Promise<void> {
    for (const [repository, policy] of this.#policies) {
      const tags = await this.#tags(repository);
      const digests = [...new Set(tags.values())];
      const images = digests.map((digest) => ({
        digest,
        tags: [...tags].filter(([, d]) => d === digest).map(([t]) => t),
        pushedAt: this.#observe(repository, digest),
      }));
      for (const digest of expiredBy(policy.rules, images, this.runtime.now()))
        this.#expire(repository, digest);
      policy.evaluatedAt = this.runtime.now();
    }
  }

  #expire(repository: string, digest: string): void {
    const set = this.#expired.get(repository) ?? new Set<string>();
    set.add(digest);
    this.#expired.set(repository, set);
  }

  async #resolve(repository: string, reference: string): Promise<string | undefined> {
    const digest = await this.#store.resolve(repository, reference);
    return this.#isExpired(repository, digest) ? undefined : digest;
  }

  async #tags(repository: string): Promise<Map<string, string>> {
    const tags = await this.#store.tags(repository);
    return new Map([...tags].filter(([, digest]) => !this.#isExpired(repository, digest)));
  }

  #manifest(...args: Parameters<ImageStore["manifest"]>): ReturnType<ImageStore["manifest"]> {
    if (this.#isExpired(args[0], args[1])) return Promise.resolve(undefined);
    return this.#store.manifest(...args);
  }

  #registryId(input: Shape): string {
    const registryId = optionalString(input, "registryId");
    if (registryId !== undefined && !/^\d{12}$/.test(registryId)) {
      throw invalidParameter(
        "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''",
      );
    }
    return registryId ?? this.runtime.accountId;
  }

  #repository(input: Shape): Repository {
    const registryId = this.#registryId(input);
    const name = requireString(input, "repositoryName");
    const repository = registryId === this.runtime.accountId ? this.#repositories.get(name) : undefined;
    if (!repository) {
      throw new SimError(
        "RepositoryNotFoundException",
        `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
      );
    }
    return repository;
  }

  #uri(repository: Repository): string {
    return `${this.#store.host}/${repository.name}`;
  }

  #describeRepository(repository: Repository): Shape {
    return {
      repositoryArn: repository.arn,
      registryId: this.runtime.accountId,
      repositoryName: repository.name,
      repositoryUri: this.#uri(repository),
      createdAt: new Date(repository.createdAt),
      imageTagMutability: repository.mutability,
      ...(repository.exclusionFilters.length > 0
        ? {
            imageTagMutabilityExclusionFilters: repository.exclusionFilters.map((filter) => ({
              filterType: "WILDCARD",
              filter,
            })),
          }
        : {}),
      imageScanningConfiguration: { scanOnPush: repository.scanOnPush },
      encryptionConfiguration: { encryptionType: "AES256" },
    };
  }

  /** Records the first time the simulator saw a digest (its push time) and starts its automatic scan. */
  #observe(repository: string, digest: string): number {
    return this.#scans.observe(repository, digest, this.#repositories.get(repository)?.scanOnPush ?? false);
  }
  async #imageDetail(repository: Repository, digest: string, tags: string[]): Promise<Shape> {
    const manifest = await this.#manifest(repository.name, digest, ALL_MANIFEST_TYPES);
    let size: number | undefined;
    let artifactMediaType: string | undefined;
    if (manifest) {
      try {
        const parsed = JSON.parse(manifest.bytes.toString("utf8")) as {
          config?: { size?: number; mediaType?: string };
          layers?: { size?: number }[];
          manifests?: { size?: number }[];
        };
        const parts = [parsed.config, ...(parsed.layers ?? []), ...(parsed.manifests ?? [])];
        size = parts.reduce((sum, part) => sum + (part?.size ?? 0), 0);
        artifactMediaType = parsed.config?.mediaType;
      } catch {
        // not JSON: leave the size out
      }
    }
    const pushedAt = this.#observe(repository.name, digest);
    const scan = this.#scans.get(repository.name, digest);
    if (scan) this.#scans.refresh(scan, tags);
    return {
      registryId: this.runtime.accountId,
      repositoryName: repository.name,
      imageDigest: digest,
      ...(tags.length > 0 ? { imageTags: [...tags].sort() } : {}),
      imageSizeInBytes: size,
      imagePushedAt: new Date(pushedAt),
      imageManifestMediaType: manifest?.mediaType,
      artifactMediaType,
      ...(scan
        ? {
            imageScanStatus: this.#scans.statusShape(scan),
            imageScanFindingsSummary: this.#scans.summaryShape(scan),
          }
        : {}),
    };
  }

  /** Resolves an imageId to a digest, or a failure code and reason as BatchGetImage reports them. */
  async #resolveId(
    repository: Repository,
    id: { imageTag?: string; imageDigest?: string },
  ): Promise<{ digest: string } | { failureCode: string; failureReason: string }> {
    if (id.imageDigest === undefined && id.imageTag === undefined) {
      return { failureCode: "MissingDigestAndTag", failureReason: "Missing image digest and image tag" };
    }
    if (id.imageDigest !== undefined && !DIGEST.test(id.imageDigest)) {
      return {
        failureCode: "InvalidImageDigest",
        failureReason:
          "Invalid request parameters: image digest should satisfy the regex 'sha256:[a-f0-9]{64}'",
      };
    }
    if (id.imageTag !== undefined && !TAG.test(id.imageTag)) {
      return {
        failureCode: "InvalidImageTag",
        failureReason: "Invalid request parameters: image tag should satisfy the regex '[a-zA-Z0-9-_.]+'",
      };
    }
    const byTag = id.imageTag !== undefined ? await this.#resolve(repository.name, id.imageTag) : undefined;
    const byDigest =
      id.imageDigest !== undefined ? await this.#resolve(repository.name, id.imageDigest) : undefined;
    if (id.imageTag !== undefined && id.imageDigest !== undefined) {
      if (!byTag || !byDigest)
        return { failureCode: "ImageNotFound", failureReason: "Requested image not found" };
      if (byTag !== byDigest)
        return {
          failureCode: "ImageTagDoesNotMatchDigest",
          failureReason: "Invalid request parameters: given tag does not map to the given digest",
        };
      return { digest: byDigest };
    }
    const digest = byTag ?? byDigest;
    return digest ? { digest } : { failureCode: "ImageNotFound", failureReason: "Requested image not found" };
  }

  #pageToken(input: Shape): number {
    const token = optionalString(input, "nextToken");
    if (token === undefined) return 0;
    if (!/^\d+$/.test(token)) throw invalidParameter("Invalid parameter at 'nextToken'.");
    return Number(token);
  }

  // ---- operations --------------------------------------------------------------------------------

  readonly operations = {
    GetAuthorizationToken: (_input: Shape, context: { now(): number }) => ({
      authorizationData: [
        {
          authorizationToken: Buffer.from(`${this.#store.username}:${this.#store.password}`).toString(
            "base64",
          ),
          expiresAt: new Date(context.now() + 12 * 3_600_000),
          proxyEndpoint: this.#store.proxyEndpoint,
        },
      ],
    }),

    CreateRepository: (input: Shape) => {
      this.#registryId(input);
      const name = requireString(input, "repositoryName");
      if (name.length < 2 || name.length > 256 || !REPOSITORY_NAME.test(name)) {
        throw invalidParameter(
          `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '${REPOSITORY_NAME.source}''`,
        );
      }
      if (this.#repositories.has(name)) {
        throw new SimError(
          "RepositoryAlreadyExistsException",
          `The repository with name '${name}' already exists in the registry with id '${this.runtime.accountId}'`,
        );
      }
      const mutability = optionalString(input, "imageTagMutability") ?? "MUTABLE";
      if (
        !["MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"].includes(mutability)
      ) {
        throw invalidParameter(
          `Invalid parameter at 'imageTagMutability': ${mutability} is not a valid value.`,
        );
      }
      const filters = objectList(input, "imageTagMutabilityExclusionFilters").map((f) =>
        String(f.filter ?? ""),
      );
      if (mutability.endsWith("_WITH_EXCLUSION") && filters.length === 0) {
        throw invalidParameter(`imageTagMutabilityExclusionFilters are required with ${mutability}.`);
      }
      const scanning = optionalObject(input, "imageScanningConfiguration");
      const repository = this.createRepository(name, {
        mutability: mutability as Repository["mutability"],
        exclusionFilters: filters,
        scanOnPush: scanning ? (optionalBoolean(scanning, "scanOnPush") ?? false) : false,
      });
      return { repository: this.#describeRepository(repository) };
    },

    DescribeRepositories: (input: Shape) => {
      const registryId = this.#registryId(input);
      const names = (input.repositoryNames as string[] | undefined) ?? [];
      if (names.length > 0) {
        const found = names.map((name) => {
          const repository = registryId === this.runtime.accountId ? this.#repositories.get(name) : undefined;
          if (!repository) {
            throw new SimError(
              "RepositoryNotFoundException",
              `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
            );
          }
          return this.#describeRepository(repository);
        });
        return { repositories: found };
      }
      const all = [...this.#repositories.values()].sort((a, b) => a.name.localeCompare(b.name));
      const offset = this.#pageToken(input);
      const limit = optionalNumber(input, "maxResults") ?? 100;
      const page = all.slice(offset, offset + limit);
      return {
        repositories: page.map((r) => this.#describeRepository(r)),
        ...(offset + limit < all.length ? { nextToken: String(offset + limit) } : {}),
      };
    },

    PutLifecyclePolicy: (input: Shape) => {
      const repository = this.#repository(input);
      const text = requireString(input, "lifecyclePolicyText");
      if (text.length < 100 || text.length > 30_720) {
        throw invalidParameter(
          "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Member must have length between 100 and 30720'",
        );
      }
      this.#policies.set(repository.name, { text, rules: parseLifecyclePolicy(text) });
      return {
        registryId: this.runtime.accountId,
        repositoryName: repository.name,
        lifecyclePolicyText: text,
      };
    },

    GetLifecyclePolicy: async (input: Shape) => {
      const repository = this.#repository(input);
      await this.#applyPolicies();
      const policy = this.#policies.get(repository.name);
      if (!policy) {
        throw new SimError(
          "LifecyclePolicyNotFoundException",
          `Lifecycle policy does not exist for the repository with name '${repository.name}' in the registry with id '${this.runtime.accountId}'`,
        );
      }
      return {
        registryId: this.runtime.accountId,
        repositoryName: repository.name,
        lifecyclePolicyText: policy.text,
        ...(policy.evaluatedAt !== undefined ? { lastEvaluatedAt: new Date(policy.evaluatedAt) } : {}),
      };
    },

    DescribeImages: async (input: Shape) => {
      const repository = this.#repository(input);
      await this.#applyPolicies();
      const ids = objectList(input, "imageIds").map(toImageId);
      const tags = await this.#tags(repository.name);
      const tagsOf = (digest: string): string[] => [...tags].filter(([, d]) => d === digest).map(([t]) => t);
      if (ids.length > 0) {
        if (input.maxResults !== undefined)
          throw invalidParameter("maxResults cannot be used with imageIds.");
        const details: Shape[] = [];
        const seen = new Set<string>();
        for (const id of ids) {
          const resolved = await this.#resolveId(repository, id);
          if (!("digest" in resolved)) {
            if (
              resolved.failureCode === "ImageNotFound" ||
              resolved.failureCode === "ImageTagDoesNotMatchDigest"
            ) {
              throw new SimError(
                "ImageNotFoundException",
                `The image with imageId ${describeId(id)} does not exist within the repository with name '${repository.name}' in the registry with id '${this.runtime.accountId}'`,
              );
            }
            throw invalidParameter(resolved.failureReason);
          }
          if (seen.has(resolved.digest)) continue;
          seen.add(resolved.digest);
          details.push(await this.#imageDetail(repository, resolved.digest, tagsOf(resolved.digest)));
        }
        return { imageDetails: details };
      }
      const tagStatus = (optionalObject(input, "filter")?.tagStatus as string | undefined) ?? "ANY";
      // The registry API lists tags, not manifests: untagged images are only reachable by digest.
      const digests = tagStatus === "UNTAGGED" ? [] : [...new Set(tags.values())].sort();
      const offset = this.#pageToken(input);
      const limit = optionalNumber(input, "maxResults") ?? 100;
      const details: Shape[] = [];
      for (const digest of digests.slice(offset, offset + limit)) {
        details.push(await this.#imageDetail(repository, digest, tagsOf(digest)));
      }
      return {
        imageDetails: details,
        ...(offset + limit < digests.length ? { nextToken: String(offset + limit) } : {}),
      };
    },

    BatchGetImage: async (input: Shape) => {
      const repository = this.#repository(input);
      await this.#applyPolicies();
      const ids = objectList(input, "imageIds").map(toImageId);
      if (ids.length === 0) throw invalidParameter("imageIds must hold at least one image id.");
      const acceptedInput = (input.acceptedMediaTypes as string[] | undefined) ?? [];
      const accepted = acceptedInput.length > 0 ? acceptedInput : ALL_MANIFEST_TYPES;
      const images: Shape[] = [];
      const failures: Shape[] = [];
      for (const id of ids) {
        const resolved = await this.#resolveId(repository, id);
        if (!("digest" in resolved)) {
          failures.push({ imageId: id, ...resolved });
          continue;
        }
        const manifest = await this.#manifest(repository.name, resolved.digest, accepted);
        if (!manifest) {
          failures.push({
            imageId: id,
            failureCode: "ImageNotFound",
            failureReason: "Requested image not found",
          });
          continue;
        }
        this.#observe(repository.name, resolved.digest);
        images.push({
          registryId: this.runtime.accountId,
          repositoryName: repository.name,
          imageId: {
            imageDigest: resolved.digest,
            ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}),
          },
          imageManifest: manifest.bytes.toString("utf8"),
          imageManifestMediaType: manifest.mediaType,
        });
      }
      return { images, failures };
    },

    PutImage: async (input: Shape) => {
      const repository = this.#repository(input);
      const manifestText = requireString(input, "imageManifest");
      const bytes = Buffer.from(manifestText, "utf8");
      let declared: string | undefined;
      try {
        declared = (JSON.parse(manifestText) as { mediaType?: string }).mediaType;
      } catch {
        throw invalidParameter(
          "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid JSON syntax'",
        );
      }
      const mediaType = optionalString(input, "imageManifestMediaType") ?? declared;
      if (!mediaType || !ALL_MANIFEST_TYPES.includes(mediaType as (typeof ALL_MANIFEST_TYPES)[number])) {
        throw invalidParameter(
          `Invalid parameter at 'imageManifestMediaType': '${mediaType ?? "none"}' is not supported.`,
        );
      }
      if (declared !== undefined && declared !== mediaType) {
        throw invalidParameter(
          `Invalid parameter at 'imageManifestMediaType': the manifest declares '${declared}'.`,
        );
      }
      const digest = sha256Digest(bytes);
      const givenDigest = optionalString(input, "imageDigest");
      if (givenDigest !== undefined && givenDigest !== digest) {
        throw new SimError(
          "ImageDigestDoesNotMatchException",
          `The specified image digest '${givenDigest}' does not match the digest of the manifest '${digest}'.`,
        );
      }
      const tag = optionalString(input, "imageTag");
      if (tag !== undefined && !TAG.test(tag)) {
        throw invalidParameter(
          `Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression '${TAG.source}''`,
        );
      }
      const current = await this.#resolve(repository.name, tag ?? digest);
      if (current === digest) {
        throw new SimError(
          "ImageAlreadyExistsException",
          `Image with digest '${digest}'${tag ? ` and tag '${tag}'` : ""} already exists in the repository with name '${repository.name}' in registry with id '${this.runtime.accountId}'`,
        );
      }
      if (tag !== undefined && current !== undefined && !tagIsMutable(repository, tag)) {
        throw new SimError(
          "ImageTagAlreadyExistsException",
          `The image tag '${tag}' already exists in the '${repository.name}' repository and cannot be overwritten because the repository is immutable.`,
        );
      }
      await this.#store.put(repository.name, tag ?? digest, bytes, mediaType);
      // Pushing a deleted image again brings it back.
      this.#expired.get(repository.name)?.delete(digest);
      this.#observe(repository.name, digest);
      return {
        image: {
          registryId: this.runtime.accountId,
          repositoryName: repository.name,
          imageId: { imageDigest: digest, ...(tag !== undefined ? { imageTag: tag } : {}) },
          imageManifest: manifestText,
          imageManifestMediaType: mediaType,
        },
      };
    },

    StartImageScan: async (input: Shape) => {
      const repository = this.#repository(input);
      const id = toImageId(optionalObject(input, "imageId") ?? {});
      const resolved = await this.#resolveId(repository, id);
      if (!("digest" in resolved)) {
        throw new SimError(
          "ImageNotFoundException",
          `The image with imageId ${describeId(id)} does not exist within the repository with name '${repository.name}' in the registry with id '${this.runtime.accountId}'`,
        );
      }
      if (this.#scans.type === "ENHANCED") {
        throw new SimError(
          "ValidationException",
          "This registry uses enhanced scanning, which scans images continuously; StartImageScan is for basic scanning.",
        );
      }
      if (this.#scans.quotaExceeded(repository.name, resolved.digest)) {
        throw new SimError(
          "LimitExceededException",
          "The scan quota per image has been exceeded. Wait and try again.",
        );
      }
      this.#observe(repository.name, resolved.digest);
      const tags = [...(await this.#tags(repository.name))]
        .filter(([, d]) => d === resolved.digest)
        .map(([t]) => t);
      const scan = this.#scans.start(repository.name, resolved.digest, true, tags);
      return {
        registryId: this.runtime.accountId,
        repositoryName: repository.name,
        imageId: {
          imageDigest: resolved.digest,
          ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}),
        },
        imageScanStatus: this.#scans.statusShape(scan),
      };
    },

    DescribeImageScanFindings: async (input: Shape) => {
      const repository = this.#repository(input);
      const id = toImageId(optionalObject(input, "imageId") ?? {});
      const resolved = await this.#resolveId(repository, id);
      if (!("digest" in resolved)) {
        throw new SimError(
          "ImageNotFoundException",
          `The image with imageId ${describeId(id)} does not exist within the repository with name '${repository.name}' in the registry with id '${this.runtime.accountId}'`,
        );
      }
      this.#observe(repository.name, resolved.digest);
      const scan = this.#scans.get(repository.name, resolved.digest);
      if (!scan) {
        throw new SimError(
          "ScanNotFoundException",
          `Image scan does not exist for the image with '${describeId(id)}' in the repository with name '${repository.name}' in the registry with id '${this.runtime.accountId}'`,
        );
      }
      const tags = [...(await this.#tags(repository.name))]
        .filter(([, d]) => d === resolved.digest)
        .map(([t]) => t);
      this.#scans.refresh(scan, tags);
      const base = {
        registryId: this.runtime.accountId,
        repositoryName: repository.name,
        imageId: {
          imageDigest: resolved.digest,
          ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}),
        },
        imageScanStatus: this.#scans.statusShape(scan),
      };
      if (!this.#scans.completed(scan)) return base;
      const offset = this.#pageToken(input);
      const limit = Math.min(optionalNumber(input, "maxResults") ?? 100, 1000);
      const { findings, nextToken } = this.#scans.findingsShape(scan, { offset, limit }, this.runtime);
      return { ...base, imageScanFindings: findings, ...(nextToken ? { nextToken } : {}) };
    },
  };
}

export const ecrService = (runtime: SimRuntime): EcrService => new EcrService(runtime);

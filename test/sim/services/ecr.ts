// Amazon ECR: repositories, images, promotion by BatchGetImage + PutImage, login tokens and scan
// findings. Images have one truth: with a registry configured, every image operation reads and
// writes that real registry's manifests and tags over its HTTP API (what `docker push` put there is
// what DescribeImages sees); without one, images live in memory so other simulated services (ECS
// digests) can still resolve them.
import { createHash } from "node:crypto";
import {
  invalidParameter,
  objectList,
  optionalBoolean,
  optionalNumber,
  optionalObject,
  optionalString,
  requireString,
  SimError,
} from "../errors";
import type { Shape, SimRuntime, SimService } from "../types";

// ---- scenario ------------------------------------------------------------------------------------

export interface EcrRegistryConfig {
  /** http://127.0.0.1:<port> of a real registry (docker-registry / distribution). */
  url: string;
  /** The registry's htpasswd user; GetAuthorizationToken hands these out, as ECR hands out "AWS". */
  username: string;
  password: string;
}

export type Severity = "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "INFORMATIONAL" | "UNDEFINED" | "UNTRIAGED";

export interface EcrScenarioFinding {
  /** The vulnerability id (CVE-...), the id an ignore list names. */
  id: string;
  severity: Severity;
  description?: string;
  package?: { name: string; version?: string };
}

/** How the scan of matching images goes. Matches by digest, or by tag, optionally in one repository. */
export interface EcrScenarioScan {
  repository?: string;
  digest?: string;
  tag?: string;
  /** Final status; default COMPLETE under basic scanning, ACTIVE under enhanced. */
  status?: "COMPLETE" | "ACTIVE" | "FAILED" | "UNSUPPORTED_IMAGE" | "FINDINGS_UNAVAILABLE";
  description?: string;
  /** Simulated ms spent IN_PROGRESS before the final status (default: the section's inProgressMs). */
  inProgressMs?: number;
  findings?: EcrScenarioFinding[];
}

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

// ---- media types and image references ----------------------------------------------------------

export const MEDIA_TYPES = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
} as const;
const ALL_MANIFEST_TYPES = Object.values(MEDIA_TYPES);

const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

interface StoredManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** Where images live: the real registry over HTTP, or memory. */
interface ImageStore {
  readonly kind: "registry" | "memory";
  /** Host (and port) image references use. */
  readonly host: string;
  readonly proxyEndpoint: string;
  readonly username: string;
  readonly password: string;
  /** tag -> digest for every tag of the repository. */
  tags(repository: string): Promise<Map<string, string>>;
  /** The digest a tag or digest reference resolves to, or undefined. */
  resolve(repository: string, reference: string): Promise<string | undefined>;
  manifest(
    repository: string,
    reference: string,
    accept: readonly string[],
  ): Promise<StoredManifest | undefined>;
  /** Stores a manifest under a tag or its digest; raises the ECR error for missing layers. */
  put(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<string>;
}

// ---- the registry over HTTP ----------------------------------------------------------------------

interface RegistryErrorBody {
  errors?: { code?: string; message?: string }[];
}

class HttpImageStore implements ImageStore {
  readonly kind = "registry";
  readonly host: string;
  readonly proxyEndpoint: string;
  readonly #authorization: string;

  constructor(private readonly config: EcrRegistryConfig) {
    const url = new URL(config.url);
    this.host = url.host;
    this.proxyEndpoint = `${url.protocol}//${url.host}`;
    this.#authorization = `Basic ${Buffer.from(`${config.username}:${config.password}`).toString("base64")}`;
  }

  get username(): string {
    return this.config.username;
  }
  get password(): string {
    return this.config.password;
  }

  async #fetch(
    method: string,
    path: string,
    init: { accept?: readonly string[]; body?: Buffer; contentType?: string } = {},
  ) {
    const headers: Record<string, string> = { authorization: this.#authorization };
    if (init.accept) headers.accept = init.accept.join(", ");
    if (init.contentType) headers["content-type"] = init.contentType;
    let response: Response;
    try {
      response = await fetch(`${this.proxyEndpoint}${path}`, {
        method,
        headers,
        ...(init.body ? { body: new Uint8Array(init.body) } : {}),
      });
    } catch (error) {
      throw new SimError(
        "ServerException",
        `The simulated registry at ${this.proxyEndpoint} is unreachable: ${String(error)}`,
        500,
      );
    }
    if (response.status === 401) {
      throw new SimError(
        "ServerException",
        "The simulated registry refused the simulator's credentials.",
        500,
      );
    }
    return response;
  }

  async tags(repository: string): Promise<Map<string, string>> {
    const response = await this.#fetch("GET", `/v2/${repository}/tags/list?n=10000`);
    const out = new Map<string, string>();
    if (response.status === 404) return out;
    if (!response.ok)
      throw new SimError("ServerException", `registry tags/list answered ${response.status}`, 500);
    const body = (await response.json()) as { tags?: string[] | null };
    for (const tag of body.tags ?? []) {
      const digest = await this.resolve(repository, tag);
      if (digest) out.set(tag, digest);
    }
    return out;
  }

  async resolve(repository: string, reference: string): Promise<string | undefined> {
    const response = await this.#fetch("HEAD", `/v2/${repository}/manifests/${reference}`, {
      accept: ALL_MANIFEST_TYPES,
    });
    if (response.status === 404) return undefined;
    if (!response.ok)
      throw new SimError("ServerException", `registry HEAD manifest answered ${response.status}`, 500);
    return response.headers.get("docker-content-digest") ?? undefined;
  }

  async manifest(repository: string, reference: string, accept: readonly string[]) {
    const response = await this.#fetch("GET", `/v2/${repository}/manifests/${reference}`, { accept });
    if (response.status === 404) return undefined;
    if (!response.ok)
      throw new SimError("ServerException", `registry GET manifest answered ${response.status}`, 500);
    const bytes = Buffer.from(await response.arrayBuffer());
    return {
      digest: response.headers.get("docker-content-digest") ?? sha256Digest(bytes),
      mediaType: (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "",
      bytes,
    };
  }

  async put(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const response = await this.#fetch("PUT", `/v2/${repository}/manifests/${reference}`, {
      body: bytes,
      contentType: mediaType,
    });
    if (response.status === 201) return response.headers.get("docker-content-digest") ?? sha256Digest(bytes);
    const body = (await response.json().catch(() => ({}))) as RegistryErrorBody;
    const code = body.errors?.[0]?.code ?? "";
    const detail = body.errors?.[0]?.message ?? `HTTP ${response.status}`;
    if (code === "MANIFEST_BLOB_UNKNOWN" || code === "BLOB_UNKNOWN") {
      throw new SimError(
        "LayersNotFoundException",
        `The image contains layers that do not exist in the repository: ${detail}`,
      );
    }
    if (code === "MANIFEST_UNKNOWN") {
      throw new SimError(
        "ReferencedImagesNotFoundException",
        `The manifest list or image index references images that do not exist: ${detail}`,
      );
    }
    throw new SimError(
      "InvalidParameterException",
      `Invalid parameter at 'imageManifest' failed to satisfy constraint: '${detail}'`,
    );
  }
}

// ---- images in memory ----------------------------------------------------------------------------

class MemoryImageStore implements ImageStore {
  readonly kind = "memory";
  readonly #repositories = new Map<
    string,
    { manifests: Map<string, StoredManifest>; tags: Map<string, string> }
  >();

  constructor(
    readonly host: string,
    readonly password: string,
  ) {}

  readonly username = "AWS";

  get proxyEndpoint(): string {
    return `https://${this.host}`;
  }

  #repo(repository: string) {
    let repo = this.#repositories.get(repository);
    if (!repo) {
      repo = { manifests: new Map(), tags: new Map() };
      this.#repositories.set(repository, repo);
    }
    return repo;
  }

  clear(): void {
    this.#repositories.clear();
  }

  /** Stores a manifest as given (digest taken as given when present), and tags it. */
  seed(repository: string, manifest: StoredManifest, tags: readonly string[]): void {
    const repo = this.#repo(repository);
    repo.manifests.set(manifest.digest, manifest);
    for (const tag of tags) repo.tags.set(tag, manifest.digest);
  }

  async tags(repository: string) {
    return new Map(this.#repo(repository).tags);
  }

  async resolve(repository: string, reference: string) {
    const repo = this.#repo(repository);
    if (DIGEST.test(reference)) return repo.manifests.has(reference) ? reference : undefined;
    return repo.tags.get(reference);
  }

  async manifest(repository: string, reference: string) {
    const digest = await this.resolve(repository, reference);
    return digest ? this.#repo(repository).manifests.get(digest) : undefined;
  }

  async put(repository: string, reference: string, bytes: Buffer, mediaType: string) {
    const digest = sha256Digest(bytes);
    const repo = this.#repo(repository);
    repo.manifests.set(digest, { digest, mediaType, bytes });
    if (!DIGEST.test(reference)) repo.tags.set(reference, digest);
    return digest;
  }
}

/** A small, valid-looking OCI manifest for an image seeded in memory. */
function syntheticManifest(seed: string): Buffer {
  const config = sha256Digest(`config:${seed}`);
  const layer = sha256Digest(`layer:${seed}`);
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config, size: 1469 },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer, size: 3_208_942 }],
    }),
  );
}

// ---- repositories and scans ----------------------------------------------------------------------

interface Repository {
  name: string;
  arn: string;
  createdAt: number;
  mutability: NonNullable<EcrScenarioRepository["imageTagMutability"]>;
  exclusionFilters: string[];
  scanOnPush: boolean;
}

interface ScanRecord {
  repository: string;
  digest: string;
  startedAt: number;
  inProgressMs: number;
  status: string;
  description: string | undefined;
  findings: EcrScenarioFinding[];
  manual: boolean;
}

const SEVERITY_ORDER: Severity[] = [
  "CRITICAL",
  "HIGH",
  "MEDIUM",
  "LOW",
  "INFORMATIONAL",
  "UNDEFINED",
  "UNTRIAGED",
];
const DEFAULT_IN_PROGRESS_MS = 30_000;
const MANUAL_SCAN_QUOTA_MS = 24 * 3_600_000;

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

  #repositories = new Map<string, Repository>();
  #scanRules: EcrScenarioScan[] = [];
  #scans = new Map<string, ScanRecord>();
  #firstSeen = new Map<string, number>();
  #scanType: "BASIC" | "ENHANCED" = "BASIC";
  #inProgressMs = DEFAULT_IN_PROGRESS_MS;
  readonly #memory: MemoryImageStore;
  #store: ImageStore;

  constructor(private readonly runtime: SimRuntime) {
    this.#memory = new MemoryImageStore(
      `${runtime.accountId}.dkr.ecr.${runtime.region}.amazonaws.com`,
      `simulated-ecr-password-${runtime.accountId}`,
    );
    this.#store = this.#memory;
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
    this.#repositories.clear();
    this.#scanRules = [];
    this.#scans.clear();
    this.#firstSeen.clear();
    this.#scanType = "BASIC";
    this.#inProgressMs = DEFAULT_IN_PROGRESS_MS;
    this.#memory.clear();
  }

  load(section: unknown): void {
    const scenario = section as EcrScenario;
    if (scenario.registry) this.useRegistry(scenario.registry);
    this.#scanType = scenario.scanning?.type ?? "BASIC";
    this.#inProgressMs = scenario.scanning?.inProgressMs ?? DEFAULT_IN_PROGRESS_MS;
    this.#scanRules = [...(scenario.scans ?? [])];
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
    const digest = await this.#store.resolve(repository, reference);
    return digest ? { repository, digest } : undefined;
  }

  snapshot(): unknown {
    return {
      mode: this.#store.kind,
      registry: this.#store.proxyEndpoint,
      scanning: this.#scanType,
      repositories: [...this.#repositories.values()].map((r) => ({
        name: r.name,
        imageTagMutability: r.mutability,
        scanOnPush: r.scanOnPush,
      })),
      scans: [...this.#scans.values()].map((s) => ({
        repository: s.repository,
        digest: s.digest,
        status: this.#scanStatus(s),
        findings: s.findings.length,
      })),
    };
  }

  readonly control = {
    /** Adds a scan rule; it also rewrites the scans of images it matches that were already seen. */
    scan: (body: Shape) => {
      const rule = body as EcrScenarioScan;
      this.#scanRules.unshift(rule);
      for (const scan of this.#scans.values()) {
        if (rule.digest === scan.digest && (!rule.repository || rule.repository === scan.repository)) {
          this.#applyRule(scan, rule);
        }
      }
      return { ok: true };
    },
    registry: (body: Shape) => {
      this.useRegistry(typeof body.url === "string" ? (body as unknown as EcrRegistryConfig) : undefined);
      return { mode: this.mode };
    },
  };

  // ---- helpers -----------------------------------------------------------------------------------

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
    const key = `${repository}@${digest}`;
    let seen = this.#firstSeen.get(key);
    if (seen === undefined) {
      seen = this.runtime.now();
      this.#firstSeen.set(key, seen);
      const repo = this.#repositories.get(repository);
      if (this.#scanType === "ENHANCED" || repo?.scanOnPush) this.#startScan(repository, digest, false);
    }
    return seen;
  }

  #ruleFor(repository: string, digest: string, tags: readonly string[]): EcrScenarioScan | undefined {
    return this.#scanRules.find(
      (rule) =>
        (!rule.repository || rule.repository === repository) &&
        ((rule.digest !== undefined && rule.digest === digest) ||
          (rule.tag !== undefined && tags.includes(rule.tag))),
    );
  }

  #applyRule(scan: ScanRecord, rule: EcrScenarioScan | undefined): void {
    scan.inProgressMs = rule?.inProgressMs ?? this.#inProgressMs;
    scan.status = rule?.status ?? (this.#scanType === "ENHANCED" ? "ACTIVE" : "COMPLETE");
    scan.description = rule?.description;
    scan.findings = rule?.findings ?? [];
  }

  #startScan(repository: string, digest: string, manual: boolean, tags?: readonly string[]): ScanRecord {
    const scan: ScanRecord = {
      repository,
      digest,
      startedAt: this.runtime.now(),
      inProgressMs: 0,
      status: "COMPLETE",
      description: undefined,
      findings: [],
      manual,
    };
    this.#applyRule(scan, this.#ruleFor(repository, digest, tags ?? []));
    this.#scans.set(`${repository}@${digest}`, scan);
    return scan;
  }

  /** Tag rules need the tags, which are only known when the image is looked up: apply them then. */
  #refreshRule(scan: ScanRecord, tags: readonly string[]): void {
    const rule = this.#ruleFor(scan.repository, scan.digest, tags);
    if (rule) this.#applyRule(scan, rule);
  }

  #scanStatus(scan: ScanRecord): string {
    return this.runtime.now() < scan.startedAt + scan.inProgressMs ? "IN_PROGRESS" : scan.status;
  }

  #scanStatusShape(scan: ScanRecord): Shape {
    const status = this.#scanStatus(scan);
    const descriptions: Record<string, string> = {
      IN_PROGRESS: "The scan is in progress.",
      COMPLETE: "The scan was completed successfully.",
      ACTIVE: "Continuous scan is selected for image.",
      FAILED: "The scan failed.",
      UNSUPPORTED_IMAGE: "The operating system and/or package manager are not supported.",
      FINDINGS_UNAVAILABLE: "Findings are unavailable for this image.",
    };
    return {
      status,
      description: (status === scan.status ? scan.description : undefined) ?? descriptions[status] ?? status,
    };
  }

  #severityCounts(findings: readonly EcrScenarioFinding[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const severity of SEVERITY_ORDER) {
      const n = findings.filter((f) => f.severity === severity).length;
      if (n > 0) counts[severity] = n;
    }
    return counts;
  }

  #scanCompleted(scan: ScanRecord): boolean {
    const status = this.#scanStatus(scan);
    return status === "COMPLETE" || status === "ACTIVE";
  }

  async #imageDetail(repository: Repository, digest: string, tags: string[]): Promise<Shape> {
    const manifest = await this.#store.manifest(repository.name, digest, ALL_MANIFEST_TYPES);
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
    const scan = this.#scans.get(`${repository.name}@${digest}`);
    if (scan) this.#refreshRule(scan, tags);
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
            imageScanStatus: this.#scanStatusShape(scan),
            ...(this.#scanCompleted(scan)
              ? {
                  imageScanFindingsSummary: {
                    imageScanCompletedAt: new Date(scan.startedAt + scan.inProgressMs),
                    vulnerabilitySourceUpdatedAt: new Date(scan.startedAt),
                    findingSeverityCounts: this.#severityCounts(scan.findings),
                  },
                }
              : {}),
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
    const byTag =
      id.imageTag !== undefined ? await this.#store.resolve(repository.name, id.imageTag) : undefined;
    const byDigest =
      id.imageDigest !== undefined ? await this.#store.resolve(repository.name, id.imageDigest) : undefined;
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

    DescribeImages: async (input: Shape) => {
      const repository = this.#repository(input);
      const ids = objectList(input, "imageIds").map(toImageId);
      const tags = await this.#store.tags(repository.name);
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
        const manifest = await this.#store.manifest(repository.name, resolved.digest, accepted);
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
      const current = await this.#store.resolve(repository.name, tag ?? digest);
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
      if (this.#scanType === "ENHANCED") {
        throw new SimError(
          "ValidationException",
          "This registry uses enhanced scanning, which scans images continuously; StartImageScan is for basic scanning.",
        );
      }
      const key = `${repository.name}@${resolved.digest}`;
      const previous = this.#scans.get(key);
      if (previous?.manual && this.runtime.now() < previous.startedAt + MANUAL_SCAN_QUOTA_MS) {
        throw new SimError(
          "LimitExceededException",
          "The scan quota per image has been exceeded. Wait and try again.",
        );
      }
      this.#observe(repository.name, resolved.digest);
      const tags = [...(await this.#store.tags(repository.name))]
        .filter(([, d]) => d === resolved.digest)
        .map(([t]) => t);
      const scan = this.#startScan(repository.name, resolved.digest, true, tags);
      return {
        registryId: this.runtime.accountId,
        repositoryName: repository.name,
        imageId: {
          imageDigest: resolved.digest,
          ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}),
        },
        imageScanStatus: this.#scanStatusShape(scan),
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
      const scan = this.#scans.get(`${repository.name}@${resolved.digest}`);
      if (!scan) {
        throw new SimError(
          "ScanNotFoundException",
          `Image scan does not exist for the image with '${describeId(id)}' in the repository with name '${repository.name}' in the registry with id '${this.runtime.accountId}'`,
        );
      }
      const tags = [...(await this.#store.tags(repository.name))]
        .filter(([, d]) => d === resolved.digest)
        .map(([t]) => t);
      this.#refreshRule(scan, tags);
      const base = {
        registryId: this.runtime.accountId,
        repositoryName: repository.name,
        imageId: {
          imageDigest: resolved.digest,
          ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}),
        },
        imageScanStatus: this.#scanStatusShape(scan),
      };
      if (!this.#scanCompleted(scan)) return base;
      const offset = this.#pageToken(input);
      const limit = Math.min(optionalNumber(input, "maxResults") ?? 100, 1000);
      const page = scan.findings.slice(offset, offset + limit);
      const completedAt = new Date(scan.startedAt + scan.inProgressMs);
      const enhanced = this.#scanType === "ENHANCED";
      return {
        ...base,
        imageScanFindings: {
          imageScanCompletedAt: completedAt,
          vulnerabilitySourceUpdatedAt: new Date(scan.startedAt),
          findingSeverityCounts: this.#severityCounts(scan.findings),
          ...(enhanced
            ? {
                enhancedFindings: page.map((f, i) => ({
                  awsAccountId: this.runtime.accountId,
                  description: f.description ?? `${f.id} in ${f.package?.name ?? "a package"}`,
                  findingArn: `arn:aws:inspector2:${this.runtime.region}:${this.runtime.accountId}:finding/${createHash(
                    "md5",
                  )
                    .update(`${resolved.digest}/${offset + i}`)
                    .digest("hex")}`,
                  firstObservedAt: completedAt,
                  lastObservedAt: completedAt,
                  packageVulnerabilityDetails: {
                    vulnerabilityId: f.id,
                    source: "NVD",
                    vulnerablePackages: f.package
                      ? [{ name: f.package.name, version: f.package.version }]
                      : [],
                  },
                  severity: f.severity,
                  status: "ACTIVE",
                  title: f.package ? `${f.id} - ${f.package.name}` : f.id,
                  type: "PACKAGE_VULNERABILITY",
                  updatedAt: completedAt,
                })),
              }
            : {
                findings: page.map((f) => ({
                  name: f.id,
                  description: f.description,
                  uri: `https://nvd.nist.gov/vuln/detail/${f.id}`,
                  severity: f.severity,
                  attributes: f.package
                    ? [
                        { key: "package_name", value: f.package.name },
                        ...(f.package.version ? [{ key: "package_version", value: f.package.version }] : []),
                      ]
                    : [],
                })),
              }),
        },
        ...(offset + limit < scan.findings.length ? { nextToken: String(offset + limit) } : {}),
      };
    },
  };
}

export const ecrService = (runtime: SimRuntime): EcrService => new EcrService(runtime);

// Where the ECR simulator's images live: a real registry over its HTTP API (what `docker push` put
// there is what DescribeImages sees), or memory, so that other simulated services (ECS digests) can
// resolve images without Docker.
import { createHash } from "node:crypto";
import { SimError } from "../../framework/errors";

export interface EcrRegistryConfig {
  /** http://127.0.0.1:<port> of a real registry (docker-registry / distribution). */
  url: string;
  /** The registry's htpasswd user; GetAuthorizationToken hands these out, as ECR hands out "AWS". */
  username: string;
  password: string;
}

export const MEDIA_TYPES = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
} as const;
export const ALL_MANIFEST_TYPES: readonly string[] = Object.values(MEDIA_TYPES);

export const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export interface StoredManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** Where images live: the real registry over HTTP, or memory. */
export interface ImageStore {
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

export class HttpImageStore implements ImageStore {
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

export class MemoryImageStore implements ImageStore {
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
export function syntheticManifest(seed: string): Buffer {
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

// How the world's images come to be: built by a real Docker engine and pushed to a real registry
// behind the simulated ECR when this machine can run them, otherwise pre-seeded in the simulated ECR as
// CI would have pushed them. Either way a task's process gets the environment its image sets.
import { existsSync } from "node:fs";
import { dockerAvailable } from "../rig/services/docker";
import { type LocalRegistry, registryAvailable } from "../rig/services/registry";

/** The base image the shop's Dockerfile builds FROM, imported from this machine's static busybox. */
export const BUSYBOX_BASE = "shipline-demo/busybox:1";

/** Why images cannot be built here, or undefined when they can. */
export function dockerWhyNot(): string | undefined {
  if (!dockerAvailable()) return "no Docker engine can be started here (needs root and Debian's docker.io)";
  if (!registryAvailable()) return "no docker-registry binary (Debian's docker-registry)";
  if (!existsSync("/bin/busybox")) return "no static busybox for the base image (Debian's busybox-static)";
  return undefined;
}

/** The image's config Env from the registry (the manifest, then its config blob). */
export async function registryImageEnvironment(
  registry: LocalRegistry,
  image: string,
  digest: string | undefined,
): Promise<Record<string, string>> {
  if (!image.startsWith(`${registry.host}/`)) return {};
  const rest = image.slice(registry.host.length + 1);
  const repository = rest.replace(/[@:].*$/, "");
  const reference = digest ?? rest.slice(repository.length + 1);
  const authorization = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString("base64")}`;
  const manifest = await fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, {
    headers: {
      authorization,
      accept: [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
      ].join(", "),
    },
  });
  if (!manifest.ok) return {};
  const configDigest = ((await manifest.json()) as { config?: { digest?: string } }).config?.digest;
  if (!configDigest) return {};
  const config = await fetch(`${registry.url}/v2/${repository}/blobs/${configDigest}`, {
    headers: { authorization },
  });
  if (!config.ok) return {};
  const env = ((await config.json()) as { config?: { Env?: string[] } }).config?.Env ?? [];
  return Object.fromEntries(
    env.map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

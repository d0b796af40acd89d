// Starts traffic-sender.mjs against a demo service: steady API traffic from a process of its own,
// so a busy test worker cannot starve it. Stopping it gives its counts.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "traffic-sender.mjs");

export interface TrafficCounts {
  sent: number;
  skipped: number;
  /** Answers by status; "error" for no answer. */
  byStatus: Record<string, number>;
}

export interface TrafficProcess {
  stop(): Promise<TrafficCounts>;
}

export async function startTrafficProcess(
  url: string,
  options: { ratePerSecond: number; maxDurationMs: number },
): Promise<TrafficProcess> {
  const child = spawn(
    process.execPath,
    [SCRIPT, url, String(options.ratePerSecond), String(options.maxDurationMs)],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout });
  const events: Record<string, unknown>[] = [];
  let started: () => void = () => undefined;
  const running = new Promise<void>((resolve) => {
    started = resolve;
  });
  lines.on("line", (line) => {
    const event = JSON.parse(line) as Record<string, unknown>;
    events.push(event);
    if (event.event === "started") started();
  });
  const exited = once(child, "exit");
  await Promise.race([
    running,
    exited.then(([code]) => {
      throw new Error(`the traffic process exited with ${code} before it started: ${stderr}`);
    }),
  ]);
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
      const stopped = events.find((e) => e.event === "stopped") as
        | (TrafficCounts & { event: string })
        | undefined;
      return { sent: stopped?.sent ?? 0, skipped: stopped?.skipped ?? 0, byStatus: stopped?.byStatus ?? {} };
    },
  };
}

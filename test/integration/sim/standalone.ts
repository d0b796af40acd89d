// The standalone simulator (`npm run sim`) in a process of its own, for the tests of the command.
import { type ChildProcess, spawn } from "node:child_process";
import type { ModelDrift } from "../../sim/index";
import { reportModelDrifts } from "../../sim/simulator";

/** npm and tsx start slowly on a busy machine: the tests that start one allow this long. */
export const STANDALONE_TIMEOUT_MS = 90_000;

export interface Standalone {
  endpoint: string;
  /**
   * Reads the drifts from the AWS SDK's model that the simulator recorded (GET /_sim/model-drifts),
   * hands them to the check that fails the test (test/vitest.setup.ts), and ends the process.
   */
  stop(): Promise<void>;
}

/** Starts `npm run sim -- <args>` and resolves with the endpoint it prints. */
export async function startStandalone(args: string[]): Promise<Standalone> {
  // Its own process group, so npm, tsx and the simulator are all ended together.
  const child: ChildProcess = spawn("npm", ["run", "--silent", "sim", "--", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  const kill = (): void => {
    if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
  };
  let endpoint = "";
  const stop = async (): Promise<void> => {
    try {
      if (endpoint && child.exitCode === null) {
        const drifts = (await fetch(`${endpoint}/_sim/model-drifts`).then((r) => r.json())) as ModelDrift[];
        reportModelDrifts(drifts);
      }
    } finally {
      kill();
    }
  };
  try {
    endpoint = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.on("exit", (code) => reject(new Error(`npm run sim exited ${code}: ${out}`)));
    });
    return { endpoint, stop };
  } catch (error) {
    kill();
    throw error;
  }
}

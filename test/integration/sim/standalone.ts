// The standalone simulator (`npm run sim`) in a process of its own, for the tests of the command.
import { type ChildProcess, spawn } from "node:child_process";

/** npm and tsx start slowly on a busy machine: the tests that start one allow this long. */
export const STANDALONE_TIMEOUT_MS = 90_000;

export interface Standalone {
  endpoint: string;
  stop(): void;
}

/** Starts `npm run sim -- <args>` and resolves with the endpoint it prints. */
export async function startStandalone(args: string[]): Promise<Standalone> {
  // Its own process group, so npm, tsx and the simulator are all ended together.
  const child: ChildProcess = spawn("npm", ["run", "--silent", "sim", "--", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  const stop = (): void => {
    if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
  };
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
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
    stop();
    throw error;
  }
}

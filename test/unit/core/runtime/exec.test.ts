// execCommand runs real child processes (node itself), so streaming, stdin, environment, timeouts
// and cancellation are checked against the operating system, not a fake.
import { describe, expect, it } from "vitest";
import { UserError } from "../../../../packages/core/src/runtime/errors";
import { execCommand } from "../../../../packages/core/src/runtime/exec";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";

const NODE = process.execPath;

function script(source: string): string[] {
  return ["-e", source];
}

describe("execCommand", () => {
  it("streams stdout and stderr line by line and returns both whole, with the exit code", async () => {
    const logger = new RecordingLogger();
    const lines: string[] = [];
    const result = await execCommand(
      NODE,
      script(
        "process.stdout.write('one\\ntw'); setTimeout(() => { process.stdout.write('o\\nthree'); console.error('oops'); process.exit(3); }, 20);",
      ),
      { logger, onLine: (line, stream) => lines.push(`${stream}:${line}`) },
    );
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe("one\ntwo\nthree");
    expect(result.stderr).toBe("oops\n");
    // Two pipes: the order within a stream is kept, not the order between them.
    expect(lines.filter((l) => l.startsWith("stdout:"))).toEqual([
      "stdout:one",
      "stdout:two",
      "stdout:three",
    ]);
    expect(lines.filter((l) => l.startsWith("stderr:"))).toEqual(["stderr:oops"]);
    expect(logger.text("info").split("\n").sort()).toEqual(["one", "oops", "three", "two"]);
  });

  it("does not echo when told not to", async () => {
    const logger = new RecordingLogger();
    await execCommand(NODE, script("console.log('quiet')"), { logger, echo: false });
    expect(logger.text("info")).toBe("");
  });

  it("writes the input to stdin and adds to the environment, or replaces it", async () => {
    const read = await execCommand(
      NODE,
      script(
        "let s=''; process.stdin.on('data', d => s += d).on('end', () => console.log(s.length, process.env.EXTRA, typeof process.env.PATH))",
      ),
      { input: "secret-password", env: { EXTRA: "yes" }, echo: false },
    );
    expect(read.stdout.trim()).toBe("15 yes string");
    const alone = await execCommand(NODE, script("console.log(Object.keys(process.env).sort().join(','))"), {
      replaceEnv: { ONLY: "1" },
      echo: false,
    });
    expect(alone.stdout.trim()).toBe("ONLY");
  });

  it("survives a command that exits without reading its stdin", async () => {
    const result = await execCommand(NODE, script("process.exit(0)"), {
      input: "x".repeat(4 * 1024 * 1024),
      echo: false,
    });
    expect(result.exitCode).toBe(0);
  });

  it("names a command that is not installed as a user error", async () => {
    const error = await execCommand("shipline-no-such-tool", []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain("`shipline-no-such-tool`: it was not found on PATH");
  });

  it("stops the command with SIGINT when the signal aborts", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = execCommand(NODE, script("console.log('ready'); setTimeout(() => {}, 60_000)"), {
      signal: controller.signal,
      echo: false,
      onLine: (line) => {
        if (line === "ready") controller.abort();
      },
    });
    const result = await pending;
    expect(result.cancelled).toBe(true);
    expect(result.killedBy).toBe("SIGINT");
    expect(result.exitCode).toBe(-1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("stops a command that runs past its timeout", async () => {
    const result = await execCommand(NODE, script("setInterval(() => {}, 1000)"), {
      timeoutMs: 200,
      echo: false,
    });
    expect(result).toMatchObject({ timedOut: true, killedBy: "SIGINT", exitCode: -1 });
  });

  // Both stop only once the command says its handler is installed, so a slow start cannot race them.
  it("kills a command that ignores the stop signal after the grace period", async () => {
    const controller = new AbortController();
    const result = await execCommand(
      NODE,
      script(
        "process.on('SIGINT', () => console.log('ignored')); console.log('ready'); setInterval(() => {}, 1000)",
      ),
      {
        signal: controller.signal,
        killAfterMs: 300,
        echo: false,
        onLine: (line) => {
          if (line === "ready") controller.abort();
        },
      },
    );
    expect(result.cancelled).toBe(true);
    expect(result.killedBy).toBe("SIGKILL");
    expect(result.stdout).toContain("ignored");
  });

  it("sends the stop signal the caller chose", async () => {
    const controller = new AbortController();
    const result = await execCommand(
      NODE,
      script(
        "process.on('SIGTERM', () => { console.log('got TERM'); process.exit(7); }); console.log('ready'); setInterval(() => {}, 1000)",
      ),
      {
        signal: controller.signal,
        stopSignal: "SIGTERM",
        echo: false,
        onLine: (line) => {
          if (line === "ready") controller.abort();
        },
      },
    );
    expect(result).toMatchObject({ exitCode: 7, cancelled: true, stdout: "ready\ngot TERM\n" });
  });

  it("starts nothing when the signal has already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await execCommand(NODE, script("require('fs').writeFileSync('/dev/stderr', 'ran')"), {
      signal: controller.signal,
    });
    expect(result).toEqual({ exitCode: -1, stdout: "", stderr: "", cancelled: true });
  });
});

// Every committed bundle, run as the runner runs it with no inputs, fails cleanly with one error
// annotation that says what is missing, under the actions' runtime (Node 24) and this machine's node.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { SHIPLINE_VERSION } from "../../packages/core/src/runtime/version";
import { bundlePath, listActions, readActionYaml } from "../repo/layout";
import { runAction } from "../rig/harness";

const runtimes = [
  ["Node 24", "24"],
  [`Node ${process.versions.node.split(".")[0]}`, "current"],
] as const;

describe.each(listActions())("%s bundle", (name) => {
  const required = Object.entries(readActionYaml(name).inputs ?? {})
    .filter(([, spec]) => spec.required)
    .map(([input]) => input);

  it.each(runtimes)("exits 1 with one clear error under %s when given no inputs", async (_, node) => {
    const run = await runAction(name, { node, env: { AWS_REGION: undefined } });
    expect(run.timedOut).toBe(false);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    const message = run.errors[0]?.message ?? "";
    if (required.length > 0) {
      for (const input of required) expect(message).toContain(`\`${input}\``);
    } else {
      expect(message).toMatch(/not implemented yet|Input `/);
    }
    // A user error is reported without a stack trace.
    expect(message).not.toMatch(/\n\s+at /);
  });

  // Inputs are checked before the rest of the bundle is loaded: index.js alone, without the chunks
  // beside it, still reports them, and it carries none of the heavy modules (the AWS SDK, Octokit, an
  // HTTP client such as undici), which would be evaluated before the first input is read.
  it("reports the missing inputs from index.js alone, without loading a chunk", async () => {
    const entry = readFileSync(bundlePath(name), "utf8");
    expect(entry).not.toMatch(/aws-sdk-js|octokit|undici/);
    const dir = mkdtempSync(join(tmpdir(), `entry-${name}-`));
    try {
      copyFileSync(bundlePath(name), join(dir, "index.js"));
      copyFileSync(join(dirname(bundlePath(name)), "package.json"), join(dir, "package.json"));
      // Which of Node's own modules the process loaded, written at exit by a preloaded hook.
      const loaded = join(dir, "loaded.json");
      const hook = join(dir, "hook.mjs");
      writeFileSync(
        hook,
        `import { writeFileSync } from "node:fs";\nprocess.on("exit", () => writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(process.moduleLoadList)));\n`,
      );
      const run = await runAction(name, {
        entry: join(dir, "index.js"),
        env: { AWS_REGION: undefined, NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` },
      });
      expect(run.exitCode).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.stderr).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
      const message = run.errors[0]?.message ?? "";
      for (const input of required) expect(message).toContain(`\`${input}\``);
      if (required.length === 0) expect(message).toMatch(/Input `/);
      // Nor does it load Node's HTTP, TLS or crypto modules (3 MiB each) before an input error:
      // they come with the chunks, or on first use (a proxy, an output's delimiter).
      const modules = JSON.parse(readFileSync(loaded, "utf8")) as string[];
      expect(modules.length).toBeGreaterThan(0);
      expect(modules.filter((m) => /^NativeModule (http|https|tls|crypto)$/.test(m))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // One HTTP stack per bundle: the SDK's node:https handler and Node's own fetch. undici came with
  // @actions/core and @actions/github; nothing in a bundle may bring it (or another client) back.
  it("bundles no HTTP client of its own in any chunk", () => {
    const dir = dirname(bundlePath(name));
    const chunks = readdirSync(dir).filter((file) => file.endsWith(".js"));
    expect(chunks).toContain("index.js");
    for (const chunk of chunks) {
      expect(readFileSync(join(dir, chunk), "utf8"), chunk).not.toMatch(
        /undici|@actions\/http-client|node-fetch/,
      );
    }
  });

  it("names itself and shipline's version, with the ref the step used, in its first log line", async () => {
    const run = await runAction(name, {
      env: { AWS_REGION: undefined, GITHUB_ACTION_REPOSITORY: "acme/shipline", GITHUB_ACTION_REF: "v1" },
    });
    expect(run.visibleLog.split("\n")[0]).toBe(`shipline ${name} ${SHIPLINE_VERSION} (acme/shipline@v1)`);
  });
});

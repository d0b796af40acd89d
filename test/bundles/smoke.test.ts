// Every committed bundle, run as the runner runs it with no inputs, fails cleanly with one error
// annotation that says what is missing, under the actions' runtime (Node 24) and this machine's node.
import { describe, expect, it } from "vitest";
import { SHIPLINE_VERSION } from "../../packages/core/src/runtime/version";
import { listActions, readActionYaml } from "../repo/layout";
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

  it("names itself and shipline's version, with the ref the step used, in its first log line", async () => {
    const run = await runAction(name, {
      env: { AWS_REGION: undefined, GITHUB_ACTION_REPOSITORY: "acme/shipline", GITHUB_ACTION_REF: "v1" },
    });
    expect(run.visibleLog.split("\n")[0]).toBe(`shipline ${name} ${SHIPLINE_VERSION} (acme/shipline@v1)`);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { CancelledError, UserError } from "../../../../packages/core/src/runtime/errors";
import { input } from "../../../../packages/core/src/runtime/inputs";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";
import { defineOutputs } from "../../../../packages/core/src/runtime/outputs";
import {
  type ActionMain,
  afterInputs,
  bundleAction,
  type RunDeps,
  run,
  runnerDeps,
  versionLine,
} from "../../../../packages/core/src/runtime/run";
import { SHIPLINE_VERSION } from "../../../../packages/core/src/runtime/version";
import { parseFileCommands, parseWorkflowCommands } from "../../../rig/workflow-commands";

function fakeDeps(env: NodeJS.ProcessEnv = {}) {
  const logger = new RecordingLogger();
  const failures: string[] = [];
  const failedAt: unknown[] = [];
  const outputs: Record<string, string> = {};
  const summaries: string[] = [];
  const saved: Record<string, string> = {};
  let cancel: (() => void) | undefined;
  const deps: RunDeps = {
    logger,
    clock: new SimulatedClock(),
    env,
    setFailed: (message, at) => {
      failures.push(message);
      failedAt.push(at);
    },
    setOutput: (name, value) => {
      outputs[name] = value;
    },
    writeSummary: async (markdown) => {
      summaries.push(markdown);
    },
    saveState: (name, value) => {
      saved[name] = value;
    },
    onCancel: (handler) => {
      cancel = handler;
      return () => {
        cancel = undefined;
      };
    },
  };
  return { deps, logger, failures, failedAt, outputs, summaries, saved, cancel: () => cancel?.() };
}

describe("afterInputs", () => {
  it("checks the inputs and the rules between them before loading main, and parses them once", async () => {
    let checks = 0;
    const spec = {
      name: input.string({
        required: true,
        check: () => {
          checks++;
        },
      }),
    };
    const fake = fakeDeps({ INPUT_NAME: "web" });
    const order: string[] = [];
    let seen: unknown;
    await run(
      afterInputs(
        spec,
        async () => {
          order.push("load");
          return {
            main: async (ctx) => {
              seen = ctx.inputs(spec).name;
            },
          };
        },
        (values) => {
          order.push(`rules ${values.name}`);
        },
      ),
      fake.deps,
    );
    expect(order).toEqual(["rules web", "load"]);
    expect(seen).toBe("web");
    expect(checks).toBe(1);
    expect(fake.failures).toEqual([]);
  });

  it("never loads main when an input or a rule between inputs is wrong", async () => {
    const spec = { name: input.string({ required: true }) };
    for (const [env, rule] of [
      [{}, () => undefined],
      [
        { INPUT_NAME: "web" },
        () => {
          throw new UserError("Input `name`: not with this one.");
        },
      ],
    ] as const) {
      const fake = fakeDeps(env);
      let loaded = false;
      await run(
        afterInputs(
          spec,
          async () => {
            loaded = true;
            return { main: async () => undefined };
          },
          rule,
        ),
        fake.deps,
      );
      expect(loaded).toBe(false);
      expect(fake.failures).toHaveLength(1);
      expect(fake.failures[0]).toContain("`name`");
    }
  });
});

describe("run", () => {
  it("logs the action and shipline's version before anything else", async () => {
    const fake = fakeDeps({ GITHUB_ACTION_REPOSITORY: "acme/shipline", GITHUB_ACTION_REF: "v1" });
    fake.deps.action = "ecs-deploy";
    await run(async (ctx) => {
      ctx.logger.info("second");
    }, fake.deps);
    expect(fake.logger.text("info").split("\n").slice(0, 2)).toEqual([
      `shipline ecs-deploy ${SHIPLINE_VERSION} (acme/shipline@v1)`,
      "second",
    ]);
  });

  it.each([
    ["/home/runner/work/_actions/acme/shipline/v1/dist/ecs-deploy/index.js", "ecs-deploy"],
    ["/w/.shipline/dist/health-gate/index.js", "health-gate"],
    ["/w/dist/Not An Action/index.js", undefined],
    ["/usr/bin/vitest", undefined],
    [undefined, undefined],
  ])("names the action of the bundle %s as %s", (script, name) => {
    expect(bundleAction(script)).toBe(name);
  });

  it("says only the version when the step ran the action from a local path", () => {
    expect(versionLine("migrate", { GITHUB_ACTION_REPOSITORY: "", GITHUB_ACTION_REF: "" })).toBe(
      `shipline migrate ${SHIPLINE_VERSION}`,
    );
  });

  it("calls main once and reports nothing on success", async () => {
    const fake = fakeDeps();
    let calls = 0;
    await run(async (ctx) => {
      calls++;
      ctx.summary.heading("done");
    }, fake.deps);
    expect(calls).toBe(1);
    expect(fake.failures).toEqual([]);
    expect(fake.summaries).toEqual(["## done\n"]);
  });

  it("turns a user error into one failure with its fix, without a stack", async () => {
    const fake = fakeDeps();
    await run(async () => {
      throw new UserError("Service web not found in cluster prod.", { fix: "Check the `services` input." });
    }, fake.deps);
    expect(fake.failures).toEqual([
      "Service web not found in cluster prod.\nFix: Check the `services` input.",
    ]);
    expect(fake.logger.text("debug")).toBe("");
  });

  it("places the failure at the file and line a user error names", async () => {
    const fake = fakeDeps();
    await run(async () => {
      throw new UserError("db/V2__x.sql line 3 failed: boom.", {
        at: { file: "db/V2__x.sql", line: 3, title: "Migration failed" },
      });
    }, fake.deps);
    expect(fake.failures).toEqual(["db/V2__x.sql line 3 failed: boom."]);
    expect(fake.failedAt).toEqual([{ file: "db/V2__x.sql", line: 3, title: "Migration failed" }]);
  });

  it("reports a bug once, with its stack in the debug log", async () => {
    const fake = fakeDeps();
    await run(async () => {
      throw new TypeError("cannot read properties of undefined");
    }, fake.deps);
    expect(fake.failures).toHaveLength(1);
    expect(fake.failures[0]).toMatch(
      /^Unexpected error: cannot read properties of undefined\. This is a bug/,
    );
    expect(fake.logger.text("debug")).toMatch(/TypeError: cannot read properties of undefined\n\s+at /);
  });

  it("writes the step summary even when main fails", async () => {
    const fake = fakeDeps();
    await run(async (ctx) => {
      ctx.summary.heading("Deploy failed").paragraph("evidence");
      throw new UserError("circuit breaker tripped");
    }, fake.deps);
    expect(fake.summaries).toEqual(["## Deploy failed\n\nevidence\n"]);
    expect(fake.failures).toEqual(["circuit breaker tripped"]);
  });

  it("fails on invalid inputs before main does anything else", async () => {
    const fake = fakeDeps({ "INPUT_WAIT-TIMEOUT": "5 minutes" });
    const spec = { "wait-timeout": input.duration({ default: "30m" }) };
    let reachedWork = false;
    await run(async (ctx) => {
      ctx.inputs(spec);
      reachedWork = true;
    }, fake.deps);
    expect(reachedWork).toBe(false);
    expect(fake.failures[0]).toMatch(/^Input `wait-timeout`: "5 minutes" is not a duration/);
  });

  it("redacts secrets from outputs, the summary and the failure message", async () => {
    const fake = fakeDeps({ "INPUT_DATABASE-URL": "postgres://app:topsecret@db/shop" });
    const spec = { "database-url": input.string({ secret: true }) };
    const outputSpec = defineOutputs(["report"]);
    await run(async (ctx) => {
      const inputs = ctx.inputs(spec);
      ctx.logger.secrets.addUrl(inputs.databaseUrl);
      ctx.outputs(outputSpec).set("report", { url: inputs.databaseUrl });
      ctx.summary.paragraph(`connected to ${inputs.databaseUrl}`);
      throw new UserError(`migration failed on postgres://app:topsecret@db/shop`);
    }, fake.deps);
    const everything = [JSON.stringify(fake.outputs), ...fake.summaries, ...fake.failures].join("\n");
    expect(everything).not.toContain("topsecret");
    expect(fake.outputs.report).toBe('{"url":"***"}');
  });

  it("aborts the context's signal when the runner cancels, and reports the cancellation once", async () => {
    const fake = fakeDeps();
    const main: ActionMain = async (ctx) => {
      fake.cancel();
      await ctx.clock.sleep(1_000, ctx.signal);
    };
    await run(main, fake.deps);
    expect(fake.failures).toEqual([new CancelledError().message]);
    expect(fake.logger.text("warning")).toContain("Cancellation requested");
  });

  it("gives main the state saved by an earlier step", async () => {
    const fake = fakeDeps({ STATE_registry: "123.dkr.ecr.eu-west-1.amazonaws.com" });
    let seen: string | undefined;
    await run(async (ctx) => {
      seen = ctx.state.get("registry");
      ctx.state.set("logged-in", "true");
    }, fake.deps);
    expect(seen).toBe("123.dkr.ecr.eu-west-1.amazonaws.com");
    expect(fake.saved).toEqual({ "logged-in": "true" });
  });
});

describe("outputs", () => {
  it("refuses a name that is not declared", async () => {
    const fake = fakeDeps();
    await run(async (ctx) => {
      const outputs = ctx.outputs(defineOutputs(["digest"]));
      outputs.set("digest", "sha256:abc");
      (outputs as unknown as { set(n: string, v: string): void }).set("other", "x");
    }, fake.deps);
    expect(fake.outputs).toEqual({ digest: "sha256:abc" });
    expect(fake.failures[0]).toMatch(/output other is not declared/);
  });
});

describe("run keeps the job's credentials out of everything it writes", () => {
  it("masks credential-named variables of the environment before main runs", async () => {
    const fake = fakeDeps({
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "INPUT_GITHUB-TOKEN": "ghs_runWrapperToken0123456789",
      PATH: "/usr/bin",
    });
    await run(async (ctx) => {
      ctx.logger.info(
        "key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY token ghs_runWrapperToken0123456789 /usr/bin",
      );
      ctx.summary.paragraph("token ghs_runWrapperToken0123456789");
      ctx.state.set("token", "ghs_runWrapperToken0123456789");
      ctx
        .outputs(defineOutputs(["report"]))
        .set("report", { key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" });
    }, fake.deps);
    expect(fake.logger.text().split("\n").slice(1)).toEqual(["key *** token *** /usr/bin"]);
    expect(fake.summaries).toEqual(["token ***\n"]);
    expect(fake.saved).toEqual({ token: "***" });
    expect(fake.outputs.report).toBe('{"key":"***"}');
  });

  it("scrubs URL passwords from a failure message", async () => {
    const fake = fakeDeps();
    await run(async () => {
      throw new UserError("could not reach postgres://app:leaked-pw@db:5432/shop");
    }, fake.deps);
    expect(fake.failures).toEqual(["could not reach postgres://app:***@db:5432/shop"]);
  });

  it("parses path inputs against GITHUB_WORKSPACE", async () => {
    const fake = fakeDeps({ GITHUB_WORKSPACE: "/srv/checkout", "INPUT_WORKING-DIRECTORY": "../../etc" });
    await run(async (ctx) => {
      ctx.inputs({ "working-directory": input.path() });
    }, fake.deps);
    expect(fake.failures[0]).toMatch(
      /^Input `working-directory`: "..\/..\/etc" is outside the workspace \(it resolves to \/etc\)/,
    );
  });
});

describe("the runner's deps", () => {
  it("mask the job's secrets in the log and write only redacted outputs, state and summary to the runner's files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runner-deps-"));
    const file = (name: string): string => {
      const path = join(dir, name);
      writeFileSync(path, "");
      return path;
    };
    const env = {
      GITHUB_OUTPUT: file("output"),
      GITHUB_STATE: file("state"),
      GITHUB_STEP_SUMMARY: file("summary"),
      DEPLOY_TOKEN: "tok-runnerDeps-0123456789",
      "INPUT_DATABASE-URL": "postgres://app:pw-runnerDeps-42@db:5432/shop",
    };
    const stdout: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
    try {
      await run(async (ctx) => {
        ctx.logger.info("deploying with tok-runnerDeps-0123456789");
        ctx
          .outputs(defineOutputs(["report", "url"]))
          .setAll({ report: { token: "tok-runnerDeps-0123456789" }, url: env["INPUT_DATABASE-URL"] });
        ctx.state.set("token", "first line\ntok-runnerDeps-0123456789");
        ctx.summary.paragraph("token tok-runnerDeps-0123456789, password pw-runnerDeps-42");
      }, runnerDeps(env));
    } finally {
      vi.restoreAllMocks();
    }
    const log = parseWorkflowCommands(stdout.join(""));
    const files = ["output", "state", "summary"].map((name) => readFileSync(join(dir, name), "utf8"));
    rmSync(dir, { recursive: true, force: true });
    // The runner is told to mask them (::add-mask::), and nothing else on stdout carries them.
    expect(log.masks).toEqual(expect.arrayContaining(["tok-runnerDeps-0123456789", "pw-runnerDeps-42"]));
    const unmasked = stdout
      .join("")
      .split("\n")
      .filter((line) => !line.startsWith("::add-mask::"));
    expect(unmasked.join("\n")).not.toMatch(/tok-runnerDeps|pw-runnerDeps/);
    expect(log.visible).toContain("deploying with ***");
    const [output, state, summary] = files as [string, string, string];
    for (const text of files) expect(text).not.toMatch(/tok-runnerDeps|pw-runnerDeps/);
    expect(parseFileCommands(output)).toEqual({
      report: '{"token":"***"}',
      // A connection string is a credential whole (see secrets.ts), not only its password.
      url: "***",
    });
    expect(parseFileCommands(state)).toEqual({ token: "first line\n***" });
    expect(summary).toBe("token ***, password ***\n");
  });
});

// run-task's inputs and the rules across them, checked before any AWS call; and the client token that
// names one step of one run attempt.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inputSpec } from "../../../actions/run-task/src/inputs";
import { settingsFrom } from "../../../actions/run-task/src/settings";
import { parseInputs } from "../../../packages/core/src/runtime/inputs";
import { RecordingLogger } from "../../../packages/core/src/runtime/logger";

const workspace = mkdtempSync(join(tmpdir(), "shipline-run-task-settings-"));
const RUN = {
  GITHUB_REPOSITORY: "acme/shop",
  GITHUB_RUN_ID: "4242",
  GITHUB_RUN_ATTEMPT: "1",
  GITHUB_JOB: "backfill",
  GITHUB_ACTION: "orders",
};

function settings(given: Record<string, string>, env: NodeJS.ProcessEnv = RUN) {
  const logger = new RecordingLogger();
  const inputs = parseInputs(inputSpec, {
    source: (name) =>
      ({ cluster: "prod", ...given })[name] ?? inputSpec[name as keyof typeof inputSpec]?.default,
    secrets: logger.secrets,
    workspace,
  });
  return { settings: settingsFrom(inputs, env, logger.secrets), logger };
}

describe("run-task settings", () => {
  it.each([
    [{}, /`task-definition`: it is required when no `service` is given/],
    [
      { service: "web", "launch-type": "FARGATE", "capacity-provider-strategy": "FARGATE_SPOT=1" },
      /`capacity-provider-strategy`: it cannot be given with `launch-type`/,
    ],
    [
      { "task-definition": "shop:2", "security-groups": "sg-0a" },
      /`security-groups`: it applies to a network configuration, and there is none/,
    ],
    [{ service: "web", "capacity-provider-strategy": "FARGATE=0\nFARGATE_SPOT=0" }, /every weight is 0/],
    [{ service: "web", "capacity-provider-strategy": "FARGATE=2000" }, /out of range/],
    [{ service: "web", "capacity-provider-strategy": "FARGATE=one" }, /is not a weight/],
    [{ service: "web", command: 'npm run "backfill' }, /`command`/],
    [{ service: "web", cpu: "app=0" }, /`cpu`.*not a whole number of cpu units from 1/],
    [{ service: "web", memory: "app=2g" }, /`memory`.*not a whole number of MiB/],
    [{ service: "web", count: "11" }, /`count`/],
    [{ service: "web", subnets: "subnet-zz" }, /`subnets`/],
    [{ service: "web", tags: "aws:cloudformation=x" }, /`tags`/],
    [
      { service: "web", environment: "API_TOKEN=abc123456789" },
      /`environment`: API_TOKEN looks like a credential/,
    ],
    [
      { service: "web", environment: "app.DB_PASSWORD=hunter2hunter2" },
      /app\.DB_PASSWORD looks like a credential/,
    ],
  ])("refuses %j", (given, error) => {
    expect(() => settings(given)).toThrow(error);
  });

  it("masks a refused credential before the error is raised", () => {
    const logger = new RecordingLogger();
    const inputs = parseInputs(inputSpec, {
      source: (name) =>
        ({ cluster: "prod", service: "web", environment: "DATABASE_URL=postgres://u:pa55word@db/x" })[name],
      secrets: logger.secrets,
      workspace,
    });
    expect(() => settingsFrom(inputs, RUN, logger.secrets)).toThrow();
    expect(logger.secrets.redact("postgres://u:pa55word@db/x")).not.toContain("pa55word");
  });

  it("reads overrides per container: unprefixed variables for the deciding one, sizes by name", () => {
    const { settings: s } = settings({
      service: "web",
      command: "npm run backfill -- --since '2024-01-01 00:00'",
      environment: "BATCH_SIZE=500\nlog-router.LOG_LEVEL=warn",
      cpu: "app=1024",
      memory: "app=2048\nlog-router=128",
      "capacity-provider-strategy": "FARGATE=1:1\nFARGATE_SPOT=3",
      tags: "purpose=backfill\nticket=OPS-12",
    });
    expect(s.command).toEqual(["npm", "run", "backfill", "--", "--since", "2024-01-01 00:00"]);
    expect(s.environment).toEqual([
      { container: undefined, name: "BATCH_SIZE", value: "500" },
      { container: "log-router", name: "LOG_LEVEL", value: "warn" },
    ]);
    expect(s.cpu).toEqual({ app: 1024 });
    expect(s.memory).toEqual({ app: 2048, "log-router": 128 });
    expect(s.placement.capacityProviderStrategy).toEqual([
      { capacityProvider: "FARGATE", weight: 1, base: 1 },
      { capacityProvider: "FARGATE_SPOT", weight: 3 },
    ]);
    expect(s.tags).toEqual([
      { key: "purpose", value: "backfill" },
      { key: "ticket", value: "OPS-12" },
    ]);
  });

  it("gives a re-run of the same step in the same attempt the same client token, and nothing else", () => {
    const token = (env: NodeJS.ProcessEnv, given: Record<string, string> = {}) =>
      settings({ service: "web", ...given }, env).settings.clientToken;
    const same = token(RUN);
    expect(same).toMatch(/^[0-9a-f]{64}$/);
    // The command is not part of the name: a re-run asking for another one is refused, not run.
    expect(token(RUN, { command: "npm run other" })).toBe(same);
    for (const other of [
      { ...RUN, GITHUB_RUN_ATTEMPT: "2" },
      { ...RUN, GITHUB_RUN_ID: "4243" },
      { ...RUN, GITHUB_JOB: "seed" },
      { ...RUN, GITHUB_ACTION: "orders-2" },
      { ...RUN, GITHUB_REPOSITORY: "acme/other" },
    ]) {
      expect(token(other)).not.toBe(same);
    }
    expect(token(RUN, { "idempotency-key": "eu-west-1" })).not.toBe(same);
    // Outside a workflow run nothing names the run: every start is new.
    expect(token({})).not.toBe(token({}));
  });
});

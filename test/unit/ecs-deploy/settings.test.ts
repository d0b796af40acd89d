// ecs-deploy's settings: where the task definition comes from, the environment upserts, the modes,
// and the cross-input refusals, all before any AWS or GitHub call.
import { describe, expect, it } from "vitest";
import { inputSpec } from "../../../actions/ecs-deploy/src/inputs";
import {
  environmentUpserts,
  settingsFrom,
  taskDefinitionSource,
} from "../../../actions/ecs-deploy/src/settings";
import { rendersChanges } from "../../../packages/core/src/ecs/deploy-plan";
import { parseInputs } from "../../../packages/core/src/runtime/inputs";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
const ENV = { GITHUB_WORKSPACE: "/ws", AWS_REGION: "eu-west-1" };

function settings(given: Record<string, string>, env: NodeJS.ProcessEnv = ENV) {
  const inputs = parseInputs(inputSpec, {
    source: (name) => given[name] ?? inputSpec[name as keyof typeof inputSpec]?.default,
  });
  return settingsFrom(inputs, env);
}

describe("ecs-deploy settings", () => {
  it.each([
    [undefined, { kind: "current" }],
    ["ecs/web.json", { kind: "file", path: "/ws/ecs/web.json" }],
    ["/abs/td.yaml", { kind: "file", path: "/abs/td.yaml" }],
    ["web:12", { kind: "registered", ref: "web:12" }],
    [TD(12), { kind: "registered", ref: TD(12) }],
  ])("task-definition %s is %o", (value, source) => {
    expect(taskDefinitionSource(value, "/ws")).toEqual(source);
  });

  it("refuses an ARN that is not a task definition's", () => {
    expect(() => taskDefinitionSource("arn:aws:ecs:eu-west-1:123456789012:service/prod/web", "/ws")).toThrow(
      /is not a task-definition ARN/,
    );
  });

  it("splits container.NAME=value lines per container, keeping dots in names", () => {
    expect(
      environmentUpserts({
        "app.LOG_LEVEL": "debug",
        "app.spring.profiles.active": "prod",
        "worker.QUEUE": "q=1",
      }),
    ).toEqual({
      app: { LOG_LEVEL: "debug", "spring.profiles.active": "prod" },
      worker: { QUEUE: "q=1" },
    });
  });

  it.each([
    [
      { cluster: "prod", services: "web", environment: "production" },
      /`environment`: it records a GitHub deployment/,
    ],
    [{ cluster: "prod", services: "web", "environment-url": "https://x.example" }, /`environment-url`/],
    [
      { cluster: "prod", services: "web", containers: "app=web:1 extra" },
      /line 1 \(app\): "web:1 extra" is not an image reference/,
    ],
    [
      { cluster: "prod", services: "web, arn:aws:ecs:eu-west-1:123456789012:service/prod/web" },
      /named twice/,
    ],
    [{ cluster: "prod", services: "web", plan: "true", "register-only": "true" }, /`register-only`: `plan`/],
  ])("refuses %o", (given, message) => {
    expect(() => settings(given)).toThrow(message);
  });

  it("needs a region before anything is called", () => {
    expect(() => settings({ cluster: "prod", services: "web" }, { GITHUB_WORKSPACE: "/ws" })).toThrow(
      /No AWS region is set/,
    );
  });

  it("renders only when images or environment variables are given", () => {
    expect(rendersChanges(settings({ cluster: "prod", services: "web" }).request.changes)).toBe(false);
    const withImage = settings({
      cluster: "prod",
      services: "web",
      containers: `app=web@sha256:${"a".repeat(64)}`,
    });
    expect(rendersChanges(withImage.request.changes)).toBe(true);
    const withVariable = settings({ cluster: "prod", services: "web", "environment-variables": "app.X=1" });
    expect(rendersChanges(withVariable.request.changes)).toBe(true);
  });

  it.each([
    [{}, "deploy"],
    [{ plan: "true" }, "preview"],
    [{ "register-only": "true" }, "register-only"],
  ])("with %o the mode is %s", (given, mode) => {
    expect(settings({ cluster: "prod", services: "web", ...given }).mode).toBe(mode);
  });

  it("carries the follow settings and records a deployment only with environment and token", () => {
    const s = settings({
      cluster: "prod",
      services: "web",
      "wait-timeout": "10m",
      "poll-interval": "2s",
      "rollback-on-cancel": "true",
      "github-token": "ghs_x",
      environment: "staging",
    });
    expect(s.follow).toEqual({
      wait: true,
      pollIntervalMs: 2000,
      waitTimeoutMs: 600_000,
      rollbackOnCancel: true,
      logTailLines: 30,
      caller: "ecs-deploy",
      // No strategy input: the services' own strategy stays, and its steps are judged by default.
      strategy: expect.objectContaining({ strategy: undefined, canary: undefined, advanced: undefined }),
      judge: {
        criteria: { errorRateMargin: 0.02, latencyRatio: 1.5, minRequests: 20 },
        testUrl: undefined,
        probesPerRound: 3,
        probeTimeoutMs: 2000,
        alarms: [],
      },
    });
    expect(s.deployment).toEqual({ token: "ghs_x", environment: "staging", environmentUrl: undefined });
    expect(
      settings({ cluster: "prod", services: "web", "github-token": "ghs_x" }).deployment,
    ).toBeUndefined();
  });
});

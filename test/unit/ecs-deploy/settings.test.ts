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

describe("ecs-deploy settings: task-definition and service changes", () => {
  const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf";

  it("turns the per-container and task inputs into the request's changes", () => {
    const { request } = settings({
      cluster: "prod",
      services: "web",
      secrets: `web.DATABASE_URL=${SECRET}\nweb.API_KEY=/shop/api-key`,
      "remove-environment-variables": "web.DEBUG",
      "environment-files": "web=arn:aws:s3:::cfg/a.env,arn:aws:s3:::cfg/b.env",
      command: 'web=["node","server.js"]',
      "entry-point": "web=/sbin/tini --",
      "docker-labels": "web.com.example.team=shop",
      "log-driver": "web=awslogs",
      "log-options": "web.awslogs-group=/ecs/web",
      "container-resources": "web.cpu=256\nweb.memory-reservation=128",
      cpu: "0.5 vCPU",
      memory: "1 GB",
      "runtime-platform": "LINUX/ARM64",
      "ephemeral-storage": "30",
    });
    expect(request.changes.containers?.web).toEqual({
      secrets: { DATABASE_URL: SECRET, API_KEY: "/shop/api-key" },
      removeEnvironment: ["DEBUG"],
      environmentFiles: ["arn:aws:s3:::cfg/a.env", "arn:aws:s3:::cfg/b.env"],
      command: ["node", "server.js"],
      entryPoint: ["/sbin/tini", "--"],
      dockerLabels: { "com.example.team": "shop" },
      logDriver: "awslogs",
      logOptions: { "awslogs-group": "/ecs/web" },
      cpu: 256,
      memoryReservation: 128,
    });
    expect(request.changes.task).toEqual({
      cpu: "512",
      memory: "1024",
      ephemeralStorageGiB: 30,
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "ARM64" },
    });
    expect(request.serviceSettings).toEqual({});
    expect(rendersChanges(request.changes)).toBe(true);
  });

  it("splits a command given as words the way a shell would, quotes and all, but runs no shell", () => {
    const { request } = settings({
      cluster: "prod",
      services: "web",
      command: `web=sh -c "echo 'ready' && exec node server.js"\nworker=node  worker.js  --queue=orders\\ eu`,
      "entry-point": "web=/sbin/tini --",
    });
    expect(request.changes.containers?.web?.command).toEqual([
      "sh",
      "-c",
      "echo 'ready' && exec node server.js",
    ]);
    expect(request.changes.containers?.web?.entryPoint).toEqual(["/sbin/tini", "--"]);
    expect(request.changes.containers?.worker?.command).toEqual(["node", "worker.js", "--queue=orders eu"]);
  });

  it.each([
    ['web=sh -c "echo ready', /`command`.*double quote is not closed/],
    ["web=node server.js > /tmp/log", /`command`.*needs a shell/],
    ["web=  ", /`command`.*it is empty/],
  ])("refuses the command %s, naming the input", (command, message) => {
    expect(() => settings({ cluster: "prod", services: "web", command })).toThrow(message);
  });

  it("asks only for the service settings given", () => {
    const { request } = settings({
      cluster: "prod",
      services: "web",
      "enable-execute-command": "false",
      "propagate-tags": "TASK_DEFINITION",
    });
    expect(request.serviceSettings).toEqual({
      enableExecuteCommand: false,
      propagateTags: "TASK_DEFINITION",
    });
  });

  it.each([
    [
      { secrets: "web.DB=arn:aws:secretsmanager:eu-west-1:1:secret:x" },
      /`secrets`.*not a Secrets Manager secret ARN/,
    ],
    [{ secrets: "DB=/shop/x" }, /`secrets`.*not of the form container.NAME=arn/],
    [{ "environment-files": "web=s3://cfg/a.env" }, /`environment-files`.*not an S3 object ARN/],
    [{ command: "web=[1,2]" }, /`command`.*list of strings/],
    [{ "log-driver": "web=stdout" }, /`log-driver`.*not a log driver/],
    [{ "runtime-platform": "WINDOWS_SERVER_2022_CORE/ARM64" }, /`runtime-platform`.*X86_64 only/],
    [{ "runtime-platform": "MACOS/ARM64" }, /`runtime-platform`.*not an operating system family/],
    [{ "ephemeral-storage": "10" }, /`ephemeral-storage`/],
    [{ "propagate-tags": "ALL" }, /`propagate-tags`/],
    [{ "volume-configurations": '[{"name":"d"}]' }, /`volume-configurations`.*managedEBSVolume/],
    [{ "service-connect-configuration": '{"namespace":"x"}' }, /`service-connect-configuration`.*enabled/],
    [
      { "environment-variables": "web.DEBUG=1", "remove-environment-variables": "web.DEBUG" },
      /`remove-environment-variables`.*also set/,
    ],
    [
      { "environment-variables": "web.DB=plain", secrets: `web.DB=${SECRET}` },
      /`secrets`.*also set as a plain value/,
    ],
  ])("refuses %o", (given, message) => {
    expect(() => settings({ cluster: "prod", services: "web", ...given })).toThrow(message);
  });
});

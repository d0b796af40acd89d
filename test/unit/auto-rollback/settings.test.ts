// auto-rollback's settings: the deploy record or the loose outputs of ecs-deploy (and what happens
// when both are given), the tokens GitHub records need, the evidence, and the database-safety refusal.
import { describe, expect, it } from "vitest";
import { inputSpec } from "../../../actions/auto-rollback/src/inputs";
import {
  checkDatabaseSafety,
  evidenceFromHealthReport,
  settingsFrom,
} from "../../../actions/auto-rollback/src/settings";
import type { DeployRecord } from "../../../packages/core/src/ecs/deploy-record";
import { parseInputs } from "../../../packages/core/src/runtime/inputs";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
const SD = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/web/${id}`;
const ENV = { AWS_REGION: "eu-west-1" };

function parse(given: Record<string, string>) {
  return parseInputs(inputSpec, {
    source: (name) => given[name] ?? inputSpec[name as keyof typeof inputSpec]?.default,
  });
}

function settings(given: Record<string, string>, warnings: string[] = []) {
  return settingsFrom(parse(given), ENV, (m) => warnings.push(m));
}

const RECORD: DeployRecord = {
  version: 1,
  cluster: "prod",
  taskDefinitionArn: TD(2),
  status: "succeeded",
  services: [
    { name: "web", previousTaskDefinitionArn: TD(1), serviceDeploymentArn: SD("a") },
    { name: "worker", previousTaskDefinitionArn: null, serviceDeploymentArn: SD("b") },
  ],
  images: { app: "web@sha256:2" },
};
const record = (extra: Record<string, string> = {}) => ({
  "deploy-record": JSON.stringify(RECORD),
  ...extra,
});

describe("auto-rollback settings from ecs-deploy's loose outputs", () => {
  it("takes the cluster, services, targets and the bad revision from the inputs", () => {
    const s = settings({
      cluster: "prod",
      services: "web\nworker",
      "previous-task-definition-arn": JSON.stringify({ web: TD(1), worker: TD(1) }),
      "task-definition-arn": TD(2),
    });
    expect(s.request).toMatchObject({
      cluster: "prod",
      services: ["web", "worker"],
      recorded: { web: TD(1), worker: TD(1) },
      recordedInput: "previous-task-definition-arn",
      bad: TD(2),
    });
  });

  it.each(["cluster", "services"])("needs %s when no deploy record is given", (input) => {
    const given: Record<string, string> = { cluster: "prod", services: "web" };
    delete given[input];
    expect(() => settings(given)).toThrow(
      new RegExp(`Input \`${input}\`: it is required \\(unless \`deploy-record\` is given`),
    );
  });

  it("needs a token for environment and incident-issue", () => {
    expect(() => settings({ cluster: "prod", services: "web", environment: "production" })).toThrow(
      /`environment`/,
    );
    expect(() => settings({ cluster: "prod", services: "web", "incident-issue": "true" })).toThrow(
      /`incident-issue`/,
    );
  });
});

describe("auto-rollback settings from a deploy record", () => {
  it("takes everything from the record alone", () => {
    const s = settings(record());
    expect(s.request).toEqual({
      cluster: "prod",
      services: ["web", "worker"],
      recorded: { web: TD(1), worker: undefined },
      recordedInput: "deploy-record",
      bad: TD(2),
      badServiceDeployment: { web: SD("a"), worker: SD("b") },
      explicitTarget: undefined,
    });
  });

  it("rolls back only the services `services` picks from it, by name or ARN", () => {
    const arn = "arn:aws:ecs:eu-west-1:123456789012:service/prod/worker";
    const s = settings(record({ services: arn }));
    expect(s.request.services).toEqual([arn]);
    expect(s.request.badServiceDeployment).toEqual({ [arn]: SD("b") });
  });

  it("lets `task-definition` name another target, as it overrides previous-task-definition-arn", () => {
    expect(settings(record({ "task-definition": "web:7" })).request).toMatchObject({
      explicitTarget: "web:7",
      recorded: { web: TD(1) },
    });
  });

  it("accepts loose inputs that say what the record says", () => {
    const s = settings(
      record({
        cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
        services: "web",
        "task-definition-arn": "web:2",
        "previous-task-definition-arn": TD(1),
        "service-deployment-arn": SD("a"),
      }),
    );
    expect(s.request).toMatchObject({ cluster: "prod", services: ["web"], bad: TD(2) });
  });

  it.each([
    [{ cluster: "staging" }, "cluster", /it says "staging", but `deploy-record` says "prod"/],
    [
      { services: "api" },
      "services",
      /it says "api", but `deploy-record` says the deploy was of web, worker/,
    ],
    [
      { "task-definition-arn": TD(3) },
      "task-definition-arn",
      /it says web:3, but `deploy-record` says web:2/,
    ],
    [
      { "previous-task-definition-arn": TD(0) },
      "previous-task-definition-arn",
      /it says .*web:0 for web, but `deploy-record` says .*web:1/,
    ],
    [
      { services: "worker", "previous-task-definition-arn": TD(1) },
      "previous-task-definition-arn",
      /for worker, but `deploy-record` says none for worker/,
    ],
    [
      { "service-deployment-arn": SD("zzz") },
      "service-deployment-arn",
      /it says .*zzz for web, but `deploy-record` says .*\/a/,
    ],
  ])("refuses %o beside a record that says otherwise, naming both inputs", (extra, input, message) => {
    let error: unknown;
    try {
      settings(record(extra));
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ input, message: expect.stringMatching(message) });
    expect((error as Error).message).toContain(`Input \`${input}\``);
    expect((error as { fix: string }).fix).toMatch(/`task-definition`/);
  });

  it.each([
    ["not ecs-deploy's record", JSON.stringify({ cluster: "prod" }), /version is undefined, not 1/],
    ["a record of another version", JSON.stringify({ ...RECORD, version: 2 }), /version is 2, not 1/],
    ["a bad revision ARN", JSON.stringify({ ...RECORD, taskDefinitionArn: "web" }), /taskDefinitionArn/],
    [
      "a bad service entry",
      JSON.stringify({ ...RECORD, services: [{ name: "web", previousTaskDefinitionArn: 3 }] }),
      /services\[0\]\.previousTaskDefinitionArn is not a valid ARN/,
    ],
    ["no services", JSON.stringify({ ...RECORD, services: [] }), /services is not a non-empty list/],
    ["not JSON", "{cluster", /it is not valid JSON/],
  ])("refuses %s", (_what, value, message) => {
    expect(() => parse({ "deploy-record": value })).toThrow(message);
    expect(() => parse({ "deploy-record": value })).toThrow(/Input `deploy-record`/);
  });
});

describe("auto-rollback evidence and database safety", () => {
  it("treats a destructive migration in the list like destructive-migrations", () => {
    const migrations = JSON.stringify([
      { file: "a.sql", destructive: false },
      { file: "b.sql", destructive: true },
    ]);
    expect(() => settings({ cluster: "prod", services: "web", migrations })).toThrow(
      /Refusing to roll back.*`b\.sql`/s,
    );
    const warnings: string[] = [];
    const forced = settings(
      { cluster: "prod", services: "web", "destructive-migrations": "true", force: "true" },
      warnings,
    );
    expect(forced.evidence).toMatchObject({ destructive: true, forced: true });
    expect(warnings[0]).toMatch(/because force is true/);
  });

  it("refuses before the region or anything else is looked at", () => {
    const evidence = settings({ cluster: "prod", services: "web" }).evidence;
    expect(() => checkDatabaseSafety({ ...evidence, destructive: true }, () => undefined)).toThrow(
      /Refusing to roll back/,
    );
    expect(() =>
      settingsFrom(
        parse({ cluster: "prod", services: "web", "destructive-migrations": "true" }),
        {},
        () => {},
      ),
    ).toThrow(/Refusing to roll back/);
  });

  it("warns when told the verdict was pass, and rolls back anyway", () => {
    const warnings: string[] = [];
    settings({ cluster: "prod", services: "web", verdict: "pass" }, warnings);
    expect(warnings).toEqual([
      "The health verdict given is pass; rolling back anyway, as this step was run.",
    ]);
  });

  it("refuses a health report that is not an object and an unknown verdict", () => {
    expect(() => parse({ cluster: "prod", services: "web", "health-report": "[1]" })).toThrow(
      /`health-report`/,
    );
    expect(() => parse({ cluster: "prod", services: "web", verdict: "bad" })).toThrow(/`verdict`/);
  });

  it("reads the failed checks of a health-gate report", () => {
    expect(
      evidenceFromHealthReport({
        verdict: "fail",
        reason: "p95 2.4 s > 2 s",
        finishedAt: "2026-03-02T09:12:30.000Z",
        checks: [
          { name: "latency", status: "fail", summary: "p95 2.4 s > 2 s" },
          { name: "health", status: "pass", summary: "ok" },
        ],
      }),
    ).toEqual({
      verdict: "fail",
      reason: "p95 2.4 s > 2 s",
      failedChecks: [{ name: "latency", summary: "p95 2.4 s > 2 s" }],
      healthReportFinishedAt: "2026-03-02T09:12:30.000Z",
    });
  });
});

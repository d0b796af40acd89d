// auto-rollback's decisions: how to get back (stop, follow ECS, update, nothing), which revision is
// bad when nobody said, the target, per-service inputs, database safety and the report.
import {
  DescribeServiceRevisionsCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  type Service,
  type ServiceDeployment,
  StopServiceDeploymentCommand,
} from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { inputSpec } from "../../../actions/auto-rollback/src/inputs";
import {
  type Evidence,
  evidenceFromHealthReport,
  timelineOf,
} from "../../../actions/auto-rollback/src/report";
import type { ServiceRollbackResult } from "../../../actions/auto-rollback/src/restore";
import { checkDatabaseSafety, settingsFrom } from "../../../actions/auto-rollback/src/settings";
import {
  chooseTarget,
  decideRollback,
  inferBadRevision,
  stopWithRollback,
} from "../../../packages/core/src/ecs/rollback";
import { ServiceDeploymentsApi } from "../../../packages/core/src/ecs/service-deployments";
import { perServiceInput, perServiceOutput } from "../../../packages/core/src/ecs/services-input";
import { parseInputs } from "../../../packages/core/src/runtime/inputs";
import { RecordingLogger } from "../../../packages/core/src/runtime/logger";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
const ecsMock = mockClient(ECSClient);
const ecs = new ECSClient({ region: "eu-west-1" });
beforeEach(() => ecsMock.reset());

function service(runs: number, settled: boolean): Service {
  return {
    serviceName: "web",
    serviceArn: "arn:aws:ecs:eu-west-1:123456789012:service/prod/web",
    taskDefinition: TD(runs),
    desiredCount: 2,
    deployments: settled
      ? [{ id: "d", status: "PRIMARY", taskDefinition: TD(runs), rolloutState: "COMPLETED" }]
      : [
          { id: "d2", status: "PRIMARY", taskDefinition: TD(runs), rolloutState: "IN_PROGRESS" },
          { id: "d1", status: "ACTIVE", taskDefinition: TD(1), rolloutState: "COMPLETED" },
        ],
  };
}

const sd = (status: ServiceDeployment["status"]): ServiceDeployment => ({
  serviceDeploymentArn: "sd",
  status,
});

describe("decideRollback", () => {
  it.each([
    ["the service already runs the target, settled", service(1, true), sd("SUCCESSFUL"), [], "none"],
    [
      "ECS is rolling back to the target",
      service(1, false),
      sd("ROLLBACK_IN_PROGRESS"),
      [TD(1)],
      "follow-ecs",
    ],
    [
      "the bad deployment rolls forward from the target",
      service(2, false),
      sd("IN_PROGRESS"),
      [TD(1)],
      "stop",
    ],
    [
      "the bad deployment rolls forward from something else",
      service(2, false),
      sd("IN_PROGRESS"),
      [TD(0)],
      "update",
    ],
    ["the bad deployment finished", service(2, true), sd("SUCCESSFUL"), [TD(1)], "update"],
    ["the service deployments API is unavailable", service(2, false), undefined, [], "update"],
    [
      "a rollout of the target is already in flight (a re-run)",
      service(1, false),
      sd("IN_PROGRESS"),
      [TD(2)],
      "follow-ecs",
    ],
    [
      "a rollout of the target is in flight, without the service deployments API",
      service(1, false),
      undefined,
      [],
      "follow-ecs",
    ],
  ] as const)("%s: %s", (_what, svc, deployment, sources, kind) => {
    expect(decideRollback(svc, deployment, sources, TD(1)).kind).toBe(kind);
  });

  it("follows ECS's rollback as a rollback, and a rollout of the target as a deployment", () => {
    expect(decideRollback(service(1, false), sd("ROLLBACK_IN_PROGRESS"), [TD(1)], TD(1))).toMatchObject({
      kind: "follow-ecs",
      rollout: "rollback",
      serviceDeploymentArn: "sd",
    });
    expect(decideRollback(service(1, false), sd("IN_PROGRESS"), [TD(2)], TD(1))).toMatchObject({
      kind: "follow-ecs",
      rollout: "deploy",
      serviceDeploymentArn: "sd",
      deploymentId: "d2",
    });
  });
});

describe("inferBadRevision", () => {
  function history(entries: { n: number; status: ServiceDeployment["status"] }[]) {
    ecsMock.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: entries.map((e, i) => ({
        serviceDeploymentArn: `sd-${i}`,
        targetServiceRevisionArn: `rev-${e.n}`,
        status: e.status,
        createdAt: new Date(1000 - i),
      })),
    });
    ecsMock.on(DescribeServiceRevisionsCommand).resolves({
      serviceRevisions: entries.map((e) => ({ serviceRevisionArn: `rev-${e.n}`, taskDefinition: TD(e.n) })),
    });
  }
  const api = () => new ServiceDeploymentsApi(ecs, new RecordingLogger());

  it("is the newest deployment's revision while it is in flight or after ECS rolled it back", async () => {
    history([
      { n: 3, status: "ROLLBACK_SUCCESSFUL" },
      { n: 2, status: "SUCCESSFUL" },
    ]);
    expect(await inferBadRevision(service(2, true), "prod", api())).toMatchObject({
      taskDefinitionArn: TD(3),
      alreadyLeft: false,
    });
  });

  it("is the one before when the newest SUCCESSFUL deployment went back to an older revision", async () => {
    history([
      { n: 1, status: "SUCCESSFUL" },
      { n: 2, status: "SUCCESSFUL" },
      { n: 1, status: "SUCCESSFUL" },
    ]);
    expect(await inferBadRevision(service(1, true), "prod", api())).toMatchObject({
      taskDefinitionArn: TD(2),
      alreadyLeft: true,
    });
  });

  it("is the one before while a deployment back to an older revision is in flight (a re-run)", async () => {
    history([
      { n: 1, status: "IN_PROGRESS" },
      { n: 2, status: "SUCCESSFUL" },
      { n: 1, status: "SUCCESSFUL" },
    ]);
    expect(await inferBadRevision(service(1, false), "prod", api())).toMatchObject({
      taskDefinitionArn: TD(2),
      alreadyLeft: true,
    });
  });

  it("is the newest deployment's revision while it rolls forward to a newer revision", async () => {
    history([
      { n: 3, status: "IN_PROGRESS" },
      { n: 2, status: "SUCCESSFUL" },
    ]);
    expect(await inferBadRevision(service(3, false), "prod", api())).toMatchObject({
      taskDefinitionArn: TD(3),
      alreadyLeft: false,
    });
  });

  it("is what the service runs without the API", async () => {
    ecsMock
      .on(ListServiceDeploymentsCommand)
      .rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    expect(await inferBadRevision(service(5, true), "prod", api())).toMatchObject({
      taskDefinitionArn: TD(5),
    });
  });
});

describe("chooseTarget", () => {
  const api = () => new ServiceDeploymentsApi(ecs, new RecordingLogger());
  it("prefers the explicit target, then the recorded one", async () => {
    expect(await chooseTarget(service(2, true), "prod", api(), { explicit: TD(1), recorded: TD(0) })).toEqual(
      { taskDefinitionArn: TD(1), source: "input" },
    );
    expect(await chooseTarget(service(2, true), "prod", api(), { recorded: TD(0) })).toEqual({
      taskDefinitionArn: TD(0),
      source: "recorded",
    });
  });

  it("discovers the newest SUCCESSFUL revision that is not the bad one", async () => {
    ecsMock.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: "sd-2",
          targetServiceRevisionArn: "rev-2",
          status: "SUCCESSFUL",
          createdAt: new Date(2),
        },
        {
          serviceDeploymentArn: "sd-1",
          targetServiceRevisionArn: "rev-1",
          status: "SUCCESSFUL",
          createdAt: new Date(1),
        },
      ],
    });
    ecsMock.on(DescribeServiceRevisionsCommand).resolves({
      serviceRevisions: [
        { serviceRevisionArn: "rev-1", taskDefinition: TD(1) },
        { serviceRevisionArn: "rev-2", taskDefinition: TD(2) },
      ],
    });
    expect(await chooseTarget(service(2, true), "prod", api(), { bad: TD(2) })).toMatchObject({
      taskDefinitionArn: TD(1),
      source: "discovered",
    });
  });

  it("says what to pass when there is nothing to discover", async () => {
    ecsMock.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
    await expect(chooseTarget(service(2, true), "prod", api(), { bad: TD(2) })).rejects.toThrow(
      /No rollback target for web: it has no SUCCESSFUL service deployment of a revision other than web:2/,
    );
  });
});

function parse(given: Record<string, string>) {
  return parseInputs(inputSpec, {
    source: (name) => given[name] ?? inputSpec[name as keyof typeof inputSpec]?.default,
  });
}

describe("auto-rollback settings", () => {
  it("takes an ARN for every service or ecs-deploy's JSON object keyed by service", () => {
    const check = (v: string) => v.startsWith("arn:");
    // What ecs-deploy writes is what auto-rollback reads.
    const written = perServiceOutput(["web", "worker"], { web: TD(1) });
    expect(perServiceInput("x", written, ["web", "worker"], check)).toEqual({ web: TD(1) });
    expect(perServiceOutput(["web"], { web: TD(1) })).toBe(TD(1));
    expect(perServiceInput("x", TD(1), ["web", "worker"], check)).toEqual({ web: TD(1), worker: TD(1) });
    expect(
      perServiceInput("x", JSON.stringify({ web: TD(1), worker: "" }), ["web", "worker"], check),
    ).toEqual({
      web: TD(1),
    });
    expect(() => perServiceInput("x", '{"web": 3}', ["web"], check)).toThrow(
      /the entry for web is not valid/,
    );
    expect(() => perServiceInput("x", "{nope", ["web"], check)).toThrow(/not valid JSON/);
  });

  it("needs a token for environment and incident-issue", () => {
    expect(() =>
      settingsFrom(parse({ cluster: "prod", services: "web", environment: "production" })),
    ).toThrow(/`environment`/);
    expect(() => settingsFrom(parse({ cluster: "prod", services: "web", "incident-issue": "true" }))).toThrow(
      /`incident-issue`/,
    );
  });

  it("treats a destructive migration in the list like destructive-migrations", () => {
    const inputs = parse({
      cluster: "prod",
      services: "web",
      migrations: JSON.stringify([
        { file: "a.sql", destructive: false },
        { file: "b.sql", destructive: true },
      ]),
    });
    const settings = settingsFrom(inputs);
    expect(settings).toMatchObject({ destructive: true, destructiveMigrations: ["b.sql"] });
    expect(() => checkDatabaseSafety(settings, inputs, () => undefined)).toThrow(
      /Refusing to roll back.*`b\.sql`/s,
    );
    const warnings: string[] = [];
    const forced = parse({
      cluster: "prod",
      services: "web",
      "destructive-migrations": "true",
      force: "true",
    });
    checkDatabaseSafety(settingsFrom(forced), forced, (m) => warnings.push(m));
    expect(warnings[0]).toMatch(/because force is true/);
  });

  it("refuses a health report that is not an object and an unknown verdict", () => {
    expect(() => parse({ cluster: "prod", services: "web", "health-report": "[1]" })).toThrow(
      /`health-report`/,
    );
    expect(() => parse({ cluster: "prod", services: "web", verdict: "bad" })).toThrow(/`verdict`/);
  });
});

describe("the rollback report", () => {
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

  it("orders the timeline: bad deploy, verdict, rollback started, restored, verified", () => {
    const evidence: Evidence = {
      verdict: "fail",
      reason: "error rate 8 %",
      failedChecks: [],
      healthReportFinishedAt: "2026-03-02T09:12:00.000Z",
      migrations: [],
      destructive: false,
      forced: false,
      snapshotId: undefined,
    };
    const result = {
      plan: {
        name: "web",
        bad: TD(2),
        badStartedAt: new Date("2026-03-02T09:00:00Z"),
        target: { taskDefinitionArn: TD(1), source: "recorded" },
        action: { kind: "stop", why: "", serviceDeploymentArn: "sd" },
      },
      action: "stop",
      rolledBack: true,
      reason: "ok",
      rollbackStartedAt: new Date("2026-03-02T09:13:00Z"),
      restoredAt: new Date("2026-03-02T09:15:00Z"),
      verifiedAt: new Date("2026-03-02T09:15:10Z"),
      rollout: { status: "ROLLBACK_SUCCESSFUL" },
      verification: { detail: "2/2 tasks of web:1 RUNNING" },
    } as unknown as ServiceRollbackResult;
    expect(timelineOf([result], evidence).map((e) => [e.at, e.what])).toEqual([
      ["2026-03-02T09:00:00.000Z", "bad deploy of web:2 started"],
      ["2026-03-02T09:12:00.000Z", "health verdict fail: error rate 8 %"],
      ["2026-03-02T09:13:00.000Z", "rollback started (StopServiceDeployment ROLLBACK) to web:1"],
      ["2026-03-02T09:15:00.000Z", "web:1 restored (ROLLBACK_SUCCESSFUL)"],
      ["2026-03-02T09:15:10.000Z", "verified: 2/2 tasks of web:1 RUNNING"],
    ]);
  });
});

describe("stopWithRollback", () => {
  const SD_ARN = "arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/web/abc";
  const named = (name: string) => Object.assign(new Error(`${name} from ECS`), { name });

  it("sends StopServiceDeployment with stopType ROLLBACK and says it was sent", async () => {
    ecsMock.on(StopServiceDeploymentCommand).resolves({ serviceDeploymentArn: SD_ARN });
    await expect(stopWithRollback(ecs, SD_ARN)).resolves.toBe(true);
    expect(ecsMock.commandCalls(StopServiceDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { serviceDeploymentArn: SD_ARN, stopType: "ROLLBACK" },
    ]);
  });

  it("answers false when the deployment finished before the stop arrived (ConflictException)", async () => {
    ecsMock.on(StopServiceDeploymentCommand).rejects(named("ConflictException"));
    await expect(stopWithRollback(ecs, SD_ARN)).resolves.toBe(false);
  });

  it("passes any other error on", async () => {
    ecsMock.on(StopServiceDeploymentCommand).rejects(named("AccessDeniedException"));
    await expect(stopWithRollback(ecs, SD_ARN)).rejects.toMatchObject({ name: "AccessDeniedException" });
  });
});

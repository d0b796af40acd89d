// auto-rollback's report: the timeline in the order things happen, and the error the step fails with.
import { describe, expect, it } from "vitest";
import { rollbackFailure, timelineOf } from "../../../actions/auto-rollback/src/report";
import type { Evidence } from "../../../actions/auto-rollback/src/settings";
import type { RollbackOutcome, ServiceRollbackResult } from "../../../packages/core/src/ecs/rollback-execute";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;

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

function result(name: string, rolledBack: boolean, reason = "ok"): ServiceRollbackResult {
  return {
    plan: {
      name,
      bad: TD(2),
      badStartedAt: new Date("2026-03-02T09:00:00Z"),
      target: { taskDefinitionArn: TD(1), source: "recorded" },
      action: { kind: "stop", why: "", serviceDeploymentArn: "sd" },
    },
    action: "stop",
    rolledBack,
    reason,
    rollbackStartedAt: new Date("2026-03-02T09:13:00Z"),
    restoredAt: new Date("2026-03-02T09:15:00Z"),
    verifiedAt: new Date("2026-03-02T09:15:10Z"),
    rollout: { status: "ROLLBACK_SUCCESSFUL" },
    verification: { detail: "2/2 tasks of web:1 RUNNING" },
  } as unknown as ServiceRollbackResult;
}

function outcome(services: ServiceRollbackResult[], extra: Partial<RollbackOutcome> = {}): RollbackOutcome {
  return { services, rolledBack: services.every((s) => s.rolledBack), awsFixes: [], ...extra };
}

describe("the rollback report", () => {
  it("orders the timeline: bad deploy, verdict, rollback started, restored, verified", () => {
    expect(timelineOf([result("web", true)], evidence).map((e) => [e.at, e.what])).toEqual([
      ["2026-03-02T09:00:00.000Z", "bad deploy of web:2 started"],
      ["2026-03-02T09:12:00.000Z", "health verdict fail: error rate 8 %"],
      ["2026-03-02T09:13:00.000Z", "rollback started (StopServiceDeployment ROLLBACK) to web:1"],
      ["2026-03-02T09:15:00.000Z", "web:1 restored (ROLLBACK_SUCCESSFUL)"],
      ["2026-03-02T09:15:10.000Z", "verified: 2/2 tasks of web:1 RUNNING"],
    ]);
  });

  it("fails the step when a service was not verified, with what to do and the AWS fixes", () => {
    const failure = rollbackFailure(
      outcome([result("web", true), result("worker", false, "worker: AWS kept throttling")], {
        awsFixes: ["Raise `aws-max-attempts`."],
      }),
      [],
    );
    expect(failure).toMatchObject({
      message: "The rollback was not verified: worker: AWS kept throttling",
      fix: expect.stringMatching(/known good revision.*Raise `aws-max-attempts`\. A re-run follows/s),
    });
  });

  it("fails a verified rollback whose GitHub records could not be written, saying it was verified", () => {
    const failure = rollbackFailure(outcome([result("web", true)]), [
      "the incident issue could not be written (403)",
    ]);
    expect((failure as Error).message).toBe(
      "The service was rolled back and verified, but the incident issue could not be written (403).",
    );
    expect(rollbackFailure(outcome([result("web", true)]), [])).toBeUndefined();
  });

  it("raises a bug as it is, once the rest is reported", () => {
    const bug = new TypeError("x is undefined");
    expect(rollbackFailure(outcome([result("web", false)], { unexpected: bug }), [])).toBe(bug);
  });
});

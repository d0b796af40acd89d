import { describe, expect, it } from "vitest";
import {
  deployPayload,
  parseMark,
  type RecordedDeployment,
} from "../../../packages/core/src/github/deployment-record";
import { judgeStaging } from "../../../packages/core/src/preflight/staging";

const MIN = 60_000;
const NOW = Date.UTC(2026, 11, 7, 10, 0);
const DIGEST = `sha256:${"a".repeat(64)}`;
const OTHER = `sha256:${"b".repeat(64)}`;
const SHA = "f".repeat(40);

function deployment(
  id: number,
  digest: string,
  createdAgo: number,
  statuses: [ago: number, state: string, description: string][],
): RecordedDeployment {
  return {
    id,
    sha: SHA,
    ref: SHA,
    environment: "staging",
    createdAt: NOW - createdAgo * MIN,
    url: "https://github.com/acme/shop/deployments/staging",
    payload: deployPayload({
      cluster: "staging",
      services: ["web"],
      taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${id}`,
      previousTaskDefinitionArn: {},
      images: { app: `repo/web@${digest}` },
    }),
    statuses: statuses
      .map(([ago, state, description]) => ({
        state,
        description,
        mark: parseMark(description),
        at: NOW - ago * MIN,
        logUrl: undefined,
      }))
      .sort((a, b) => b.at - a.at),
  };
}

const question = { environment: "staging", digests: [DIGEST], sha: SHA, minAgeMs: 30 * MIN, now: NOW };
const passed = (ago: number): [number, string, string][] => [
  [ago + 1, "success", "[shipline rolled-out] web:1 rolled out"],
  [ago, "success", "[shipline gate:pass] Health gate passed: every check passed"],
];

describe("staging proved the digest", () => {
  it("passes when the gate passed long enough ago and the image still serves", () => {
    expect(judgeStaging(question, [deployment(1, DIGEST, 50, passed(45))]).status).toBe("pass");
  });

  it("passes an image a newer merge replaced after it served long enough, past GitHub's inactive status", () => {
    // GitHub's auto_inactive: the newer deployment's success marked this one inactive, unmarked.
    const judged = judgeStaging(question, [
      deployment(2, OTHER, 10, passed(9)),
      deployment(1, DIGEST, 100, [...passed(90), [10, "inactive", ""]]),
    ]);
    expect(judged.summary).not.toContain("inactive");
    expect(judged.status).toBe("pass");
  });

  it("fails a success that carries no gate verdict: the rollout finished, the gate never said", () => {
    const judged = judgeStaging(question, [
      deployment(1, DIGEST, 50, [[45, "success", "[shipline rolled-out] web:1"]]),
    ]);
    expect(judged.summary).toContain("no health-gate verdict");
  });

  it("fails a digest that served too briefly before another deployment replaced it", () => {
    const judged = judgeStaging(question, [
      deployment(2, OTHER, 40, passed(39)),
      deployment(1, DIGEST, 50, passed(45)),
    ]);
    expect(judged.status).toBe("fail");
    expect(judged.summary).toContain("served staging for 5m");
    expect(judged.summary).toContain("#2 replaced it");
  });

  it("fails when the digest was rolled back in staging after its gate passed", () => {
    const judged = judgeStaging(question, [
      deployment(1, DIGEST, 90, [
        ...passed(80),
        [20, "failure", "[shipline rolled-back] Rolled back to web:0"],
      ]),
    ]);
    expect(judged.summary).toContain("then was rolled back");
  });

  it("judges the newest deployment of the digest: a later failed redeploy counts against it", () => {
    const judged = judgeStaging(question, [
      deployment(2, DIGEST, 30, [[29, "failure", "[shipline gate:fail] Health gate failed: p95 3 s > 2 s"]]),
      deployment(1, DIGEST, 90, passed(80)),
    ]);
    expect(judged.summary).toContain("health gate failed on staging deployment #2");
  });
});

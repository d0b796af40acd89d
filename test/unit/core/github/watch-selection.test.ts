// Which deployment the scheduled watch checks: the newest one shipline recorded in the environment,
// once its deploy job is done with it (verified by its watch, or a gate verdict older than
// skip-younger-than), not older than max-age; read past other tools' deployments, page after page.
import { afterEach, describe, expect, it } from "vitest";
import { createGitHubClient } from "../../../../packages/core/src/github/client";
import {
  deployPayload,
  markedDescription,
  type RecordedDeployment,
  type RecordMark,
  rollbackPayload,
} from "../../../../packages/core/src/github/deployment-record";
import {
  decideWatch,
  parseWatchDuration,
  selectDeploymentToCheck,
} from "../../../../packages/core/src/github/watch-selection";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";
import { type FakeGitHub, startFakeGitHub } from "../../../rig/fake-github";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
const NOW = Date.parse("2026-03-02T12:00:00Z");
const MIN = 60_000;
const WINDOW = { maxAgeMs: 24 * 60 * MIN, settleMs: 45 * MIN };

const payload = (n: number) =>
  deployPayload({
    cluster: "prod",
    services: ["web"],
    taskDefinitionArn: TD(n),
    previousTaskDefinitionArn: { web: TD(n - 1) },
    images: { app: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:2" },
  });

/** A deployment created `age` ago, with marked statuses given as [mark, minutes ago], read newest first. */
function deployment(age: number, marks: [RecordMark, number][], n = 2): RecordedDeployment {
  return {
    id: 7,
    sha: "a".repeat(40),
    ref: "v1.2.0",
    environment: "production",
    createdAt: NOW - age * MIN,
    url: "https://github.com/acme/shop/deployments/production",
    payload: payload(n),
    // As statusesOf gives them: newest first.
    statuses: marks
      .map(([mark, ago]) => ({
        state: "success",
        description: markedDescription(mark, "text"),
        mark,
        at: NOW - ago * MIN,
        logUrl: undefined,
      }))
      .sort((a, b) => b.at - a.at),
  };
}

const PASS: RecordMark = { kind: "gate", verdict: "pass" };
const decide = (d: RecordedDeployment | undefined) => decideWatch(d, NOW, WINDOW, "production");

describe("decideWatch", () => {
  it("checks a deployment at once when its newest mark says its deploy job's watch verified it", () => {
    const found = decide(
      deployment(40, [
        [{ kind: "rolled-out" }, 38],
        [PASS, 35],
        [{ kind: "verified" }, 2],
      ]),
    );
    expect(found).toMatchObject({ due: true, deploymentId: 7 });
    expect(found.reason).toContain("its deploy job's watch verified it 2m ago");
  });

  it("measures the wait from the gate's verdict, not from the deployment's creation", () => {
    // Created 60 min ago, but the gate passed 20 min ago: its 30-minute watch may still run.
    const young = decide(
      deployment(60, [
        [{ kind: "rolled-out" }, 25],
        [PASS, 20],
      ]),
    );
    expect(young).toMatchObject({ due: false });
    expect(young.reason).toMatch(/gate pass 20m ago, younger than skip-younger-than/);
    // Without a watch (or a deploy job that ended before its watch did): after skip-younger-than.
    expect(decide(deployment(60, [[PASS, 50]]))).toMatchObject({ due: true });
  });

  it("checks a deployment whose gate was inconclusive (state error), once the verdict is old enough", () => {
    const mark: RecordMark = { kind: "gate", verdict: "inconclusive" };
    expect(decide(deployment(90, [[mark, 50]]))).toMatchObject({ due: true, deploymentId: 7 });
    expect(decide(deployment(90, [[mark, 10]]))).toMatchObject({ due: false });
  });

  it("leaves alone what is failed, rolled back, not gated yet, too old, or not ecs-deploy's", () => {
    expect(
      decide(
        deployment(90, [
          [PASS, 80],
          [{ kind: "gate", verdict: "fail" }, 5],
        ]),
      ).reason,
    ).toMatch(/already marked failed/);
    expect(decide(deployment(90, [[{ kind: "rolled-back" }, 5]])).reason).toMatch(
      /already marked rolled back/,
    );
    expect(decide(deployment(90, [[{ kind: "rolled-out" }, 80]])).reason).toMatch(/no gate verdict yet/);
    expect(decide(deployment(90, [])).reason).toMatch(/no gate verdict yet/);
    expect(decide(deployment(25 * 60, [[{ kind: "verified" }, 24 * 60]])).reason).toMatch(
      /older than max-age/,
    );
    const restore = { ...deployment(90, [[PASS, 80]]), payload: rollbackPayload(TD(1), [TD(2)]) };
    expect(decide(restore)).toMatchObject({ due: false });
    expect(decide(restore).reason).toMatch(/auto-rollback's restore of .*web:1: nothing to check/);
    expect(decide(undefined).reason).toBe("No deployment of production by shipline: nothing to check.");
  });
});

describe("parseWatchDuration", () => {
  it("reads durations as every duration input does, and names the input it refuses", () => {
    expect(parseWatchDuration("max-age", "24h")).toBe(24 * 60 * MIN);
    expect(parseWatchDuration("skip-younger-than", " 45m ")).toBe(45 * MIN);
    expect(parseWatchDuration("max-age", "1h30m")).toBe(90 * MIN);
    expect(() => parseWatchDuration("skip-younger-than", "half an hour")).toThrow(
      /^skip-younger-than: "half an hour" is not a duration\. Write a number with a unit/,
    );
  });
});

describe("selectDeploymentToCheck against GitHub", () => {
  let github: FakeGitHub | undefined;
  afterEach(async () => {
    await github?.close();
    github = undefined;
  });

  const at = (minutesAgo: number) => new Date(NOW - minutesAgo * MIN).toISOString().replace(/\.\d{3}Z$/, "Z");

  it("finds the newest shipline deployment of the environment past other tools' and other environments' deployments", async () => {
    github = await startFakeGitHub({ now: () => NOW });
    const s = github.state;
    s.deployments.push({
      id: 1,
      ref: "v1.2.0",
      environment: "production",
      description: "",
      payload: payload(2),
      created_at: at(120),
      statuses: [
        { id: 2, state: "success", description: markedDescription(PASS, "passed"), created_at: at(110) },
        {
          id: 3,
          state: "success",
          description: markedDescription({ kind: "verified" }, "verified"),
          created_at: at(80),
        },
      ],
    });
    // Newer: shipline's deployment of staging, and 120 of another tool (more than a page).
    s.deployments.push({
      id: 50,
      ref: "main",
      environment: "staging",
      description: "",
      payload: payload(3),
      created_at: at(70),
      statuses: [
        {
          id: 51,
          state: "success",
          description: markedDescription({ kind: "verified" }, "verified"),
          created_at: at(65),
        },
      ],
    });
    for (let i = 0; i < 120; i++) {
      s.deployments.push({
        id: 100 + i,
        ref: "main",
        environment: "production",
        description: "",
        payload: { tool: "other" },
        created_at: at(60),
        statuses: [],
      });
    }
    const client = createGitHubClient("ghs_fakeTokenForWatchSelection12345", {
      logger: new RecordingLogger(),
      baseUrl: github.url,
      retries: 0,
    });
    const found = await selectDeploymentToCheck(
      client,
      { owner: "acme", repo: "shop" },
      { environment: "production", maxAge: "24h", skipYoungerThan: "45m" },
    );
    expect(found).toMatchObject({
      due: true,
      deploymentId: 1,
      record: {
        version: 1,
        cluster: "prod",
        taskDefinitionArn: TD(2),
        services: [{ name: "web", previousTaskDefinitionArn: TD(1), serviceDeploymentArn: null }],
      },
    });
    const pages = github.calls.filter((c) => c.method === "GET" && /\/deployments(\?|$)/.test(c.path));
    expect(pages.length).toBe(2);
  });
});

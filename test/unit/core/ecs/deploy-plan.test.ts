// The decisions of a deploy plan: what each service needs, what hygiene must keep, how a rollback
// target is told.
import type { Service } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import {
  type DeployPlan,
  decideServiceAction,
  protectedRevisions,
  rendersChanges,
  rollbackTargetLine,
  type ServicePlan,
} from "../../../../packages/core/src/ecs/deploy-plan";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;

function service(runs: number, rollout: "COMPLETED" | "IN_PROGRESS" | "FAILED", desiredCount = 3): Service {
  const deployments: Service["deployments"] = [
    { id: "d", status: "PRIMARY", taskDefinition: TD(runs), rolloutState: rollout },
  ];
  if (rollout === "IN_PROGRESS") deployments.push({ id: "c", status: "ACTIVE", taskDefinition: TD(1) });
  return { serviceName: "web", taskDefinition: TD(runs), desiredCount, deployments };
}

const asked = (extra: { desiredCount?: number; forceNewDeployment?: boolean } = {}) => ({
  forceNewDeployment: false,
  ...extra,
});

describe("decideServiceAction", () => {
  it.each([
    [
      "a revision still to register",
      service(1, "COMPLETED"),
      undefined,
      asked(),
      "update",
      "a new task definition",
    ],
    ["another revision", service(1, "COMPLETED"), TD(2), asked(), "update", "a new task definition"],
    [
      "the same revision, settled",
      service(2, "COMPLETED"),
      TD(2),
      asked(),
      "none",
      "it already runs web:2, rollout COMPLETED",
    ],
    [
      "the same revision, forced",
      service(2, "COMPLETED"),
      TD(2),
      asked({ forceNewDeployment: true }),
      "update",
      "force-new-deployment",
    ],
    [
      "the same revision, FAILED before",
      service(2, "FAILED"),
      TD(2),
      asked(),
      "update",
      "a retry of a FAILED rollout of the same revision",
    ],
    [
      "the same revision, in flight",
      service(2, "IN_PROGRESS"),
      TD(2),
      asked(),
      "follow",
      "its rollout of this revision is still in progress",
    ],
    [
      "the same revision, in flight, scaled",
      service(2, "IN_PROGRESS"),
      TD(2),
      asked({ desiredCount: 5 }),
      "update",
      "desired-count, while its rollout is in progress",
    ],
    [
      "the same revision, settled, scaled",
      service(2, "COMPLETED"),
      TD(2),
      asked({ desiredCount: 5 }),
      "update",
      "desired-count 3 -> 5",
    ],
    [
      "the same revision, the same count",
      service(2, "COMPLETED"),
      TD(2),
      asked({ desiredCount: 3 }),
      "none",
      "it already runs web:2, rollout COMPLETED",
    ],
  ])("%s: %s", (_what, current, target, request, kind, why) => {
    expect(decideServiceAction(current, target, request)).toMatchObject({ kind, why });
  });

  it("goes by the revision the PRIMARY deployment runs, not the one the service names", () => {
    // An endpoint that ignored forceNewDeployment names web:2 while web:1 still runs.
    const claimed = { ...service(1, "COMPLETED"), taskDefinition: TD(2) };
    expect(decideServiceAction(claimed, TD(2), asked())).toMatchObject({
      kind: "update",
      why: "a new task definition",
      taskDefinition: true,
    });
  });

  it("sends only what changes: no desired count when it is already the one asked", () => {
    expect(decideServiceAction(service(1, "COMPLETED", 3), TD(2), asked({ desiredCount: 3 }))).toEqual({
      kind: "update",
      why: "a new task definition",
      taskDefinition: true,
      forceNewDeployment: false,
    });
    expect(decideServiceAction(service(1, "COMPLETED", 3), TD(2), asked({ desiredCount: 4 }))).toMatchObject({
      desiredCount: 4,
    });
  });
});

function servicePlan(over: Partial<ServicePlan>): ServicePlan {
  return {
    name: "web",
    service: service(3, "IN_PROGRESS"),
    action: { kind: "follow", why: "" },
    rollbackTarget: undefined,
    knownEventIds: [],
    ...over,
  };
}

describe("what a plan keeps and says", () => {
  it("protects the deployed revision, what the services run or roll out, and their rollback targets", () => {
    const plan = {
      services: [
        servicePlan({
          rollbackTarget: {
            service: "web",
            taskDefinitionArn: TD(0),
            source: "completed-primary",
            images: [],
          },
        }),
      ],
    } as unknown as DeployPlan;
    expect([...protectedRevisions(plan, TD(4))].sort()).toEqual([TD(0), TD(1), TD(3), TD(4)].sort());
  });

  it("tells the rollback target with its digests, or why there is none", () => {
    const target = {
      service: "web",
      taskDefinitionArn: TD(1),
      source: "completed-primary" as const,
      images: [{ container: "app", image: "web:1", digest: "sha256:11" }],
    };
    expect(rollbackTargetLine(servicePlan({ rollbackTarget: target }))).toBe(
      "web: rollback target web:1 (completed-primary; app sha256:11).",
    );
    expect(
      rollbackTargetLine(servicePlan({ noRollbackTarget: "the service has not completed a rollout before" })),
    ).toBe("web: no rollback target (the service has not completed a rollout before).");
  });

  it("renders only when images or environment variables are asked for", () => {
    expect(rendersChanges({})).toBe(false);
    expect(rendersChanges({ images: {}, environment: {} })).toBe(false);
    expect(rendersChanges({ images: { app: "web:2" } })).toBe(true);
    expect(rendersChanges({ environment: { app: { X: "1" } } })).toBe(true);
  });
});

// The deploy record: what ecs-deploy writes is what auto-rollback reads, and nothing else passes.
import { describe, expect, it } from "vitest";
import type { DeployOutcome } from "../../../../packages/core/src/ecs/deploy-execute";
import type { DeployPlan } from "../../../../packages/core/src/ecs/deploy-plan";
import { deployRecord, parseDeployRecord } from "../../../../packages/core/src/ecs/deploy-record";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
const SD = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/web/${id}`;

const plan = {
  cluster: "prod",
  services: [
    { name: "web", rollbackTarget: { taskDefinitionArn: TD(1) } },
    { name: "worker", rollbackTarget: undefined },
  ],
} as unknown as DeployPlan;

const outcome = {
  status: "failed",
  taskDefinitionArn: TD(2),
  images: { app: "web@sha256:22" },
  services: [
    { name: "web", status: "failed", serviceDeploymentArn: SD("a") },
    { name: "worker", status: "failed", serviceDeploymentArn: undefined },
  ],
} as unknown as DeployOutcome;

describe("the deploy record", () => {
  it("carries the cluster, the revision, each service's target and service deployment, the images", () => {
    const record = deployRecord(plan, outcome);
    expect(record).toEqual({
      version: 1,
      cluster: "prod",
      taskDefinitionArn: TD(2),
      status: "failed",
      services: [
        { name: "web", previousTaskDefinitionArn: TD(1), serviceDeploymentArn: SD("a") },
        { name: "worker", previousTaskDefinitionArn: null, serviceDeploymentArn: null },
      ],
      images: { app: "web@sha256:22" },
    });
    // Through an output and back.
    expect(parseDeployRecord(JSON.parse(JSON.stringify(record)))).toEqual(record);
  });

  it("ignores fields it does not know, so a newer writer does not break a reader", () => {
    const record = { ...deployRecord(plan, outcome), strategy: "BLUE_GREEN" };
    expect(parseDeployRecord(record)).not.toHaveProperty("strategy");
  });

  it.each([
    ["a list", [], /it is not a JSON object/],
    ["no version", { version: undefined }, /version is undefined, not 1/],
    ["a cluster that is no name", { cluster: "a b" }, /cluster is not a cluster name or ARN/],
    [
      "a revision that is no ARN",
      { taskDefinitionArn: "web:2" },
      /taskDefinitionArn is not a task-definition ARN/,
    ],
    ["a service named twice", { services: [{ name: "web" }, { name: "web" }] }, /names a service twice/],
    [
      "a service ARN for a name",
      { services: [{ name: "arn:aws:ecs:eu-west-1:123456789012:service/prod/web" }] },
      /services\[0\]\.name/,
    ],
    [
      "a service deployment that is no ARN",
      { services: [{ name: "web", serviceDeploymentArn: "sd" }] },
      /services\[0\]\.serviceDeploymentArn/,
    ],
    ["images that are not strings", { images: { app: 1 } }, /images is not an object/],
  ])("refuses %s", (_what, change, message) => {
    const value = Array.isArray(change) ? change : { ...deployRecord(plan, outcome), ...change };
    expect(() => parseDeployRecord(value)).toThrow(message);
  });
});

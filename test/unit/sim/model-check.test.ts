// The check of simulator answers against the AWS SDK's model (test/sim/framework/model-check.ts):
// each kind of drift it exists to catch, and answers that agree with the model passing.
import { describe, expect, it } from "vitest";
import { ACCEPTED_ERRORS, checkAnswer } from "../../sim/framework/model-check";
import { XmlList } from "../../sim/framework/wire";

const result = (value: unknown) => ({ kind: "result" as const, value });
const error = (code: string) => ({ kind: "error" as const, code });

const service = {
  serviceName: "web",
  status: "ACTIVE",
  desiredCount: 2,
  deployments: [{ id: "ecs-svc/1", status: "PRIMARY", rolloutState: "IN_PROGRESS", createdAt: new Date(0) }],
};

describe("the model check", () => {
  it("passes answers that agree with the model", () => {
    expect(
      checkAnswer("ecs", "json1.1", "DescribeServices", result({ services: [service], failures: [] })),
    ).toEqual([]);
    expect(
      checkAnswer(
        "ecs",
        "json1.1",
        "DescribeServiceDeployments",
        result({
          serviceDeployments: [{ status: "IN_PROGRESS", lifecycleStage: "PRODUCTION_TRAFFIC_SHIFT" }],
        }),
      ),
    ).toEqual([]);
    expect(
      checkAnswer(
        "elbv2",
        "query",
        "DescribeTargetHealth",
        result({
          TargetHealthDescriptions: [
            { Target: { Id: "10.0.0.1", Port: 80 }, TargetHealth: { State: "healthy" } },
          ],
        }),
      ),
    ).toEqual([]);
    expect(
      checkAnswer(
        "rds",
        "query",
        "DescribeDBInstances",
        result({ DBInstances: new XmlList("DBInstance", [{ DBInstanceIdentifier: "db" }]) }),
      ),
    ).toEqual([]);
    expect(checkAnswer("cloudwatch", "json1.0", "PutMetricData", result({}))).toEqual([]);
  });

  it("names a member the model lacks, however deep", () => {
    const answer = {
      services: [{ ...service, deployments: [{ ...service.deployments[0], colour: "green" }] }],
    };
    expect(checkAnswer("ecs", "json1.1", "DescribeServices", result(answer))).toEqual([
      {
        service: "ecs",
        operation: "DescribeServices",
        path: "services[0].deployments[0].colour",
        problem: "not a member of Deployment in the model",
      },
    ]);
    expect(
      checkAnswer("logs", "json1.1", "GetLogEvents", result({ events: [], nextToken: "x" })),
    ).toMatchObject([{ path: "nextToken", problem: "not a member of GetLogEventsResponse in the model" }]);
  });

  it("names a value outside the model's enum, in structures and in lists", () => {
    const drifts = checkAnswer(
      "ecs",
      "json1.1",
      "DescribeServiceDeployments",
      result({
        serviceDeployments: [{ status: "IN_PROGRESS", lifecycleStage: "PRE_PRODUCTION_TRAFFIC_SHIFT" }],
      }),
    );
    expect(drifts).toHaveLength(1);
    expect(drifts[0]).toMatchObject({ path: "serviceDeployments[0].lifecycleStage" });
    expect(drifts[0]?.problem).toMatch(
      /^"PRE_PRODUCTION_TRAFFIC_SHIFT" is not a value of the model's enum \(.*BAKE_TIME/,
    );
    expect(
      checkAnswer(
        "elbv2",
        "query",
        "DescribeTargetHealth",
        result({ TargetHealthDescriptions: [{ Target: { Id: "i-1" }, TargetHealth: { State: "green" } }] }),
      ),
    ).toMatchObject([{ path: "TargetHealthDescriptions[0].TargetHealth.State" }]);
  });

  it("names a member the model requires that is missing, and only those", () => {
    expect(
      checkAnswer(
        "elbv2",
        "query",
        "DescribeTargetHealth",
        result({ TargetHealthDescriptions: [{ Target: { Port: 80 } }] }),
      ),
    ).toEqual([
      {
        service: "elbv2",
        operation: "DescribeTargetHealth",
        path: "TargetHealthDescriptions[0].Target.Id",
        problem: "required by the model (TargetDescription) but missing",
      },
    ]);
    // Most output members are optional: an almost empty service is no drift.
    expect(checkAnswer("ecs", "json1.1", "DescribeServices", result({ services: [{}] }))).toEqual([]);
  });

  it("names an error code the operation does not declare", () => {
    expect(
      checkAnswer("ecs", "json1.1", "DescribeServices", error("ServiceNotFoundException")),
    ).toMatchObject([
      {
        service: "ecs",
        operation: "DescribeServices",
        path: "error",
        problem: expect.stringMatching(
          /^ServiceNotFoundException is not an error the model declares for DescribeServices \(.*ClusterNotFoundException/,
        ),
      },
    ]);
    expect(checkAnswer("elbv2", "query", "DescribeTargetHealth", error("LoadBalancerNotFound"))).toHaveLength(
      1,
    );
  });

  it("accepts declared errors, their query-protocol codes, the common AWS errors and the reviewed exceptions", () => {
    expect(checkAnswer("ecs", "json1.1", "UpdateService", error("ServiceNotFoundException"))).toEqual([]);
    expect(checkAnswer("elbv2", "query", "DescribeTargetHealth", error("TargetGroupNotFound"))).toEqual([]);
    expect(
      checkAnswer("elbv2", "query", "DescribeTargetHealth", error("TargetGroupNotFoundException")),
    ).toEqual([]);
    for (const code of ["ThrottlingException", "Throttling", "AccessDeniedException", "InternalFailure"]) {
      expect(checkAnswer("ecr", "json1.1", "DescribeImages", error(code))).toEqual([]);
    }
    for (const accepted of ACCEPTED_ERRORS) {
      expect(accepted.reason.length).toBeGreaterThan(20);
      for (const code of accepted.codes) {
        expect(checkAnswer(accepted.service, "json1.0", accepted.operation, error(code))).toEqual([]);
      }
    }
  });

  it("names values of the wrong kind and query lists written under the wrong element", () => {
    expect(
      checkAnswer(
        "ecs",
        "json1.1",
        "DescribeServices",
        result({ services: [{ ...service, desiredCount: "2" }] }),
      ),
    ).toMatchObject([{ path: "services[0].desiredCount", problem: 'expected a number, got string "2"' }]);
    expect(
      checkAnswer(
        "rds",
        "query",
        "DescribeDBInstances",
        result({ DBInstances: [{ DBInstanceIdentifier: "db" }] }),
      ),
    ).toMatchObject([
      {
        path: "DBInstances",
        problem: "items are written as <member>, the model's list member is <DBInstance>",
      },
    ]);
  });

  it("says when an operation is not in the model, and leaves services without a model alone", () => {
    expect(checkAnswer("ecs", "json1.1", "DescribeWidgets", result({}))).toMatchObject([
      { path: "(operation)", problem: "the SDK's model has no such operation" },
    ]);
    expect(checkAnswer("stand-in", "json1.1", "Anything", result({ whatever: 1 }))).toEqual([]);
  });
});

// CodeDeploy blue/green through the committed bundle against the AWS simulator: "web" is a
// CODE_DEPLOY service behind target group web (green: web-green), deployed by application "web",
// deployment group "web-prod" (all at once, the original task set kept 10 minutes). The simulator
// runs 120 times faster than the bundle's clock; judging follows AWS's clock.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT } from "../../rig/harness";
import type { Scenario, Shape, Simulator } from "../../sim/index";
import { startSimulator } from "../../sim/index";
import { arnOf, deploy, image, lastSeq, MUTATING, TG, TG_GREEN, world } from "./stack";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function group(name: string, arn: string) {
  return {
    name,
    arn,
    port: 8080,
    healthCheckPath: "/health",
    healthCheckIntervalSeconds: 10,
    healthyThresholdCount: 2,
    unhealthyThresholdCount: 2,
    deregistrationDelaySeconds: 20,
  };
}

function codeDeployWorld(profile: Record<string, unknown> = {}): Scenario {
  const base = world();
  const ecs = base.ecs as { services: Shape[] };
  const web = ecs.services[0] as Shape;
  web.deploymentController = { type: "CODE_DEPLOY" };
  web.deploymentConfiguration = { minimumHealthyPercent: 100, maximumPercent: 200 };
  return {
    ...base,
    clock: { mode: "scaled", factor: 120, start: Date.now() - 60_000 },
    elbv2: {
      targetGroups: [group("web", TG), group("web-green", TG_GREEN)],
      loadBalancers: [{ name: "web-alb", targetGroups: ["web", "web-green"], weights: { web: 100 } }],
    },
    cloudwatch: {
      default: { errorRate: 0.001, p95Ms: 120 },
      loadBalancers: { "web-alb": { requestsPerSecond: 50 } },
      images: { [image("2")]: { errorRate: 0.001, p95Ms: 120, ...profile } },
    },
    codedeploy: {
      applications: [
        {
          name: "web",
          deploymentGroups: [
            {
              name: "web-prod",
              cluster: "prod",
              service: "web",
              targetGroups: ["web", "web-green"],
              deploymentConfigName: "CodeDeployDefault.ECSAllAtOnce",
              terminationWaitMinutes: 10,
            },
          ],
        },
      ],
    },
  };
}

const INPUTS = {
  containers: `app=${image("2")}`,
  "codedeploy-application": "web",
  "codedeploy-deployment-group": "web-prod",
  "codedeploy-judge": "2m",
};

describe("ecs-deploy: CodeDeploy blue/green for a CODE_DEPLOY service", () => {
  it("completes a good release: one deployment with the generated AppSpec, judged and succeeded", async () => {
    sim = await startSimulator({ scenario: codeDeployWorld() });
    const run = await deploy(sim, INPUTS);
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe("succeeded");
    const id = run.outputs["codedeploy-deployment-id"] ?? "";
    expect(id).toMatch(/^d-[A-Z0-9]{9}$/);
    const created = sim.calls.filter((c) => c.operation === "CreateDeployment");
    expect(created).toHaveLength(1);
    const content = JSON.parse(
      (((created[0] as { input: Shape }).input.revision as Shape).appSpecContent as Shape).content as string,
    ) as Shape;
    expect(content).toEqual({
      version: "0.0",
      Resources: [
        {
          TargetService: {
            Type: "AWS::ECS::Service",
            Properties: {
              TaskDefinition: arnOf("web:2"),
              LoadBalancerInfo: { ContainerName: "app", ContainerPort: 8080 },
              PlatformVersion: "LATEST",
            },
          },
        },
      ],
    });
    expect(sim.calls.filter((c) => c.operation === "UpdateService")).toEqual([]);
    expect(sim.codedeploy.deployments().find((d) => d.deploymentId === id)?.status).toBe("Succeeded");
    expect(sim.ecs.service("web", "prod").taskDefinition).toBe(arnOf("web:2"));
    const report = JSON.parse(run.outputs.report ?? "{}") as { codeDeploy: Shape };
    expect(report.codeDeploy).toMatchObject({ status: "Succeeded", verdict: "pass", stopped: false });
  }, 120_000);

  it("stops a bad release (30 % of its requests fail) with auto-rollback, and production goes back to the original task set", async () => {
    sim = await startSimulator({ scenario: codeDeployWorld({ errorRate: 0.3 }) });
    const run = await deploy(sim, INPUTS);
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe("failed");
    const id = run.outputs["codedeploy-deployment-id"] ?? "";
    const stops = sim.calls.filter((c) => c.operation === "StopDeployment" && c.status < 400);
    expect(stops.map((c) => c.input)).toEqual([{ deploymentId: id, autoRollbackEnabled: true }]);
    const deployments = sim.codedeploy.deployments();
    const stopped = deployments.find((d) => d.deploymentId === id) as Shape;
    expect(stopped.status).toBe("Stopped");
    const rollbackId = (stopped.rollbackInfo as Shape).rollbackDeploymentId;
    expect(deployments.find((d) => d.deploymentId === rollbackId)?.status).toBe("Succeeded");
    expect(sim.ecs.service("web", "prod").taskDefinition).toBe(arnOf("web:1"));
    expect(sim.elbv2.weights("web-alb")).toMatchObject({ [TG]: 100, [TG_GREEN]: 0 });
    expect(run.errors[0]?.message).toMatch(/stopped with auto-rollback/);
    const report = JSON.parse(run.outputs.report ?? "{}") as { codeDeploy: Shape };
    expect(report.codeDeploy).toMatchObject({ verdict: "fail", stopped: true, rollbackStatus: "Succeeded" });
    expect(report.codeDeploy.failedChecks).toContain("error rate (ALB)");
    const readme = readFileSync(join(ROOT, "actions", "ecs-deploy", "README.md"), "utf8");
    for (const action of sim.iamActions()) expect(readme, action).toContain(`\`${action}\``);
  }, 120_000);

  it("stops the deployment with auto-rollback at the first poll after the judging is denied its metrics, instead of waiting to wait-timeout", async () => {
    sim = await startSimulator({
      scenario: {
        ...codeDeployWorld(),
        faults: [{ service: "cloudwatch", operation: "GetMetricData", kind: "access-denied" }],
      },
    });
    // One attempt per call: the simulated clock runs 120 times faster than the runner's, so once it
    // is five minutes ahead the SDK takes every error answer for clock skew and retries it.
    const run = await deploy(sim, {
      ...INPUTS,
      "codedeploy-judge": "10m",
      "wait-timeout": "30m",
      "aws-max-attempts": "1",
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe("failed");
    const id = run.outputs["codedeploy-deployment-id"] ?? "";
    const denied = sim.calls.filter((c) => c.operation === "GetMetricData");
    // One denied read ends the judging (the log says what each read got, should this ever fail).
    expect(
      denied.map((c) => `${c.status} ${c.fault ?? ""}`),
      run.stdout
        .split("\n")
        .filter((l) => /judg|GetMetricData|Stopped/.test(l))
        .join("\n"),
    ).toEqual(["400 access-denied"]);
    const stops = sim.calls.filter((c) => c.operation === "StopDeployment" && c.status < 400);
    expect(stops.map((c) => c.input)).toEqual([{ deploymentId: id, autoRollbackEnabled: true }]);
    // Stopped at the poll after the denial, not after ten minutes of judging or the wait timeout.
    const polls = sim.calls.filter(
      (c) => c.operation === "GetDeployment" && c.seq > (denied[0]?.seq ?? 0) && c.seq < (stops[0]?.seq ?? 0),
    );
    expect(polls.length).toBeLessThanOrEqual(1);
    expect(sim.ecs.service("web", "prod").taskDefinition).toBe(arnOf("web:1"));
    expect(run.errors[0]?.message).toMatch(/could not be judged: .*cloudwatch:GetMetricData/);
    expect(run.errors[0]?.message).toContain("codedeploy-judge: 0s");
    const report = JSON.parse(run.outputs.report ?? "{}") as { codeDeploy: Shape };
    expect(report.codeDeploy).toMatchObject({
      verdict: "inconclusive",
      stopped: true,
      rollbackStatus: "Succeeded",
    });
  }, 120_000);

  it("refuses an unknown deployment group before changing anything", async () => {
    sim = await startSimulator({ scenario: codeDeployWorld() });
    const before = lastSeq(sim);
    const run = await deploy(sim, { ...INPUTS, "codedeploy-deployment-group": "web-staging" });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toMatch(/has no deployment group web-staging/);
    const changed = sim.calls.filter(
      (c) => c.seq > before && (MUTATING.has(c.operation) || c.operation === "CreateDeployment"),
    );
    expect(changed).toEqual([]);
  }, 60_000);

  it("under the compat profile (no CodeDeploy API) fails before changing anything, saying the endpoint lacks it", async () => {
    sim = await startSimulator({ profile: "compat", scenario: codeDeployWorld() });
    const before = lastSeq(sim);
    const run = await deploy(sim, { ...INPUTS, "aws-max-attempts": "1" });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toMatch(/GetApplication/);
    expect(run.stdout).not.toContain("This is a bug in shipline");
    const changed = sim.calls.filter(
      (c) => c.seq > before && (MUTATING.has(c.operation) || c.operation === "CreateDeployment"),
    );
    expect(changed).toEqual([]);
  }, 60_000);
});

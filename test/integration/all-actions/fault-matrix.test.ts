// One fault at a time on each call a deploy, a rollback and a promote depend on: throttled, a 500, the
// request lost before AWS saw it, and the answer lost after AWS acted. Every run must end as if the
// fault had not happened: the service runs what the outputs say, one revision registered, one
// deployment started, one tag written; never a duplicate effect, never "This is a bug". The README's
// fault-run figure is this matrix (integration: simulator).
import { afterEach, describe, expect, it } from "vitest";
import { everythingPrinted, runAction } from "../../rig/harness";
import { type FaultKind, type Simulator, simulatorEnv, startSimulator } from "../../sim/index";
import { arnOf, deploy, image, lastSeq, rollback, webService, world } from "../ecs-deploy/stack";

const KINDS: readonly FaultKind[] = ["throttle", "server-error", "drop", "drop-response"];

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function cases(operations: readonly string[]): [string, FaultKind][] {
  return operations.flatMap((operation) => KINDS.map((kind) => [operation, kind] as [string, FaultKind]));
}

/** Service deployments of web started since the mark (what a duplicate UpdateService would add). */
function deploymentsSince(s: Simulator, since: number): number {
  return s.ecs
    .serviceDeployments({ service: "web", cluster: "prod" })
    .filter((d) => (d.createdAt ?? 0) > since).length;
}

function expectFired(s: Simulator, operation: string, kind: FaultKind, from: number): void {
  expect(s.calls.some((c) => c.seq > from && c.operation === operation && c.fault === kind)).toBe(true);
}

describe("ecs-deploy with one fault", () => {
  it.each(cases(["DescribeServices", "DescribeTaskDefinition", "RegisterTaskDefinition", "UpdateService"]))(
    "%s %s: deploys web:2 once",
    async (operation, kind) => {
      sim = await startSimulator({ scenario: world() });
      const from = lastSeq(sim);
      const since = sim.now();
      sim.injectFault({ service: "ecs", operation, kind, count: 1 });
      const run = await deploy(sim, { containers: `app=${image("2")}` });
      expectFired(sim, operation, kind, from);
      expect(run.errors).toEqual([]);
      expect(run.outputs.status).toBe("succeeded");
      expect(run.outputs["task-definition-arn"]).toBe(arnOf("web:2"));
      expect(sim.ecs.taskDefinition("web:3")).toBeUndefined();
      expect(deploymentsSince(sim, since)).toBe(1);
      const service = webService(sim);
      expect(service.deployments?.map((d) => [d.taskDefinition, d.rolloutState])).toEqual([
        [arnOf("web:2"), "COMPLETED"],
      ]);
      expect(everythingPrinted(run)).not.toContain("This is a bug");
    },
  );
});

describe("auto-rollback with one fault", () => {
  it.each(cases(["DescribeServices", "UpdateService"]))(
    "%s %s: puts web:1 back once",
    async (operation, kind) => {
      sim = await startSimulator({ scenario: world() });
      const deployed = await deploy(sim, { containers: `app=${image("2")}` });
      expect(deployed.outputs.status).toBe("succeeded");
      const from = lastSeq(sim);
      const since = sim.now();
      sim.injectFault({ service: "ecs", operation, kind, count: 1 });
      const run = await rollback(sim, {
        "deploy-record": deployed.outputs["deploy-record"],
        verdict: "fail",
      });
      expectFired(sim, operation, kind, from);
      expect(run.errors).toEqual([]);
      expect(run.outputs["rolled-back"]).toBe("true");
      expect(deploymentsSince(sim, since)).toBe(1);
      expect(webService(sim).deployments?.map((d) => [d.taskDefinition, d.rolloutState])).toEqual([
        [arnOf("web:1"), "COMPLETED"],
      ]);
      expect(everythingPrinted(run)).not.toContain("This is a bug");
    },
  );
});

describe("build-push promote with one fault", () => {
  it.each(cases(["BatchGetImage", "PutImage"]))("%s %s: tags the image once", async (operation, kind) => {
    sim = await startSimulator({ scenario: { ecr: { repositories: [{ name: "shop/web" }] } } });
    const digest = sim.ecr.seedImage("shop/web", { tags: ["abc", "staging"] });
    const source = `${sim.accountId}.dkr.ecr.${sim.region}.amazonaws.com/shop/web@${digest}`;
    const from = lastSeq(sim);
    sim.injectFault({ service: "ecr", operation, kind, count: 1 });
    const run = await runAction("build-push", {
      inputs: { repository: "shop/web", mode: "promote", source, version: "v1.0.0" },
      env: { ...simulatorEnv(sim), GITHUB_SHA: "a".repeat(40), GITHUB_REF: "refs/heads/main" },
    });
    expectFired(sim, operation, kind, from);
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.tags).toBe(JSON.stringify(["v1.0.0"]));
    expect((await sim.ecr.resolveImage("shop/web:v1.0.0"))?.digest).toBe(digest);
    // One tag written, however many PutImage requests it took.
    const images = await sim.ecr.images("shop/web");
    expect(images).toHaveLength(1);
    expect([...(images[0]?.imageTags ?? [])].sort()).toEqual(["abc", "staging", "v1.0.0"]);
    expect(everythingPrinted(run)).not.toContain("This is a bug");
  });
});

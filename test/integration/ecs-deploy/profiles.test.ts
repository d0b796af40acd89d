// The deploy and rollback flows through the committed bundles under both simulator profiles: "aws",
// and "compat", an AWS-compatible endpoint without the service deployments API, without
// currentServiceDeployment, and with an UpdateService whose forceNewDeployment starts nothing. Each
// flow either succeeds correctly (the service really runs what the outputs say) or fails with a clear
// error naming the input, never as a bug. The promote flow runs under both in
// build-push/promote-answers.test.ts (integration: simulator).
import { afterEach, describe, expect, it } from "vitest";
import { type ActionRun, everythingPrinted } from "../../rig/harness";
import { type SimProfile, type Simulator, startSimulator } from "../../sim/index";
import { arnOf, deploy, image, lastSeq, mutations, rollback, webService, world } from "./stack";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const NO_CURRENT = /DescribeServices gives no currentServiceDeployment for web/;

function runs(s: Simulator) {
  const service = webService(s);
  const primary = service.deployments?.find((d) => d.status === "PRIMARY");
  return {
    primary: primary?.taskDefinition,
    deployments: service.deployments?.length,
    state: primary?.rolloutState,
  };
}

function expectNoBug(run: ActionRun): void {
  expect(everythingPrinted(run)).not.toContain("This is a bug");
}

describe.each(["aws", "compat"] as const)("under the %s profile", (profile: SimProfile) => {
  async function start(options: Parameters<typeof world>[0] = {}): Promise<Simulator> {
    sim = await startSimulator({ profile, scenario: world(options) });
    return sim;
  }

  it("deploys a new image, really running it, with every output filled", async () => {
    const s = await start();
    const run = await deploy(s, { containers: `app=${image("2")}` });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      status: "succeeded",
      "task-definition-arn": arnOf("web:2"),
      "previous-task-definition-arn": arnOf("web:1"),
    });
    expect(JSON.parse(run.outputs["deploy-record"] ?? "{}")).toMatchObject({ cluster: "prod" });
    expect(JSON.parse(run.outputs.report ?? "{}").services?.[0]).toMatchObject({ name: "web" });
    expect(runs(s)).toEqual({ primary: arnOf("web:2"), deployments: 1, state: "COMPLETED" });
    if (profile === "aws") {
      expect(run.outputs["service-deployment-arn"]).toMatch(/^arn:aws:ecs:/);
      expect(run.stdout).not.toMatch(NO_CURRENT);
    } else {
      // Said once, and the one output that cannot be filled is empty rather than wrong.
      expect(run.stdout.match(new RegExp(NO_CURRENT.source, "g"))).toHaveLength(1);
      expect(run.outputs["service-deployment-arn"]).toBe("");
    }
    expectNoBug(run);
  });

  it("force-new-deployment either starts a deployment or fails saying the endpoint started none", async () => {
    const s = await start();
    const before = webService(s).deployments?.[0]?.id;
    const run = await deploy(s, { "task-definition": arnOf("web:1"), "force-new-deployment": "true" });
    if (profile === "aws") {
      expect(run.errors).toEqual([]);
      expect(run.outputs.status).toBe("succeeded");
      expect(webService(s).deployments?.[0]?.id).not.toBe(before);
    } else {
      expect(run.exitCode).toBe(1);
      expect(run.outputs.status).not.toBe("succeeded");
      expect(run.errors[0]?.message).toMatch(
        /ECS accepted UpdateService for web with forceNewDeployment but started no deployment: the PRIMARY deployment ecs-svc\/\d+ still runs web:1/,
      );
      expect(run.errors[0]?.message).toMatch(/force-new-deployment/);
      expect(run.errors[0]?.message).toMatch(/\nFix: /);
      expect(webService(s).deployments?.[0]?.id).toBe(before);
    }
    expectNoBug(run);
  });

  it("does not report success for a new revision that a forced update never started", async () => {
    // web:2 with force: AWS rolls it out; the compat endpoint names web:2 but keeps web:1 running.
    const s = await start({ revisions: ["2"] });
    const run = await deploy(s, { "task-definition": arnOf("web:2"), "force-new-deployment": "true" });
    if (profile === "aws") {
      expect(run.outputs.status).toBe("succeeded");
      expect(runs(s).primary).toBe(arnOf("web:2"));
    } else {
      expect(run.exitCode).toBe(1);
      expect(run.errors[0]?.message).toMatch(/started no deployment/);
      expect(runs(s).primary).toBe(arnOf("web:1"));
      // A re-run without force sees what really runs (web:1) and rolls web:2 out.
      const again = await deploy(s, { "task-definition": arnOf("web:2") });
      expect(again.errors).toEqual([]);
      expect(again.outputs.status).toBe("succeeded");
      expect(runs(s)).toEqual({ primary: arnOf("web:2"), deployments: 1, state: "COMPLETED" });
    }
    expectNoBug(run);
  });

  it("rolls back to an explicit target without asking for the service's history", async () => {
    const s = await start();
    const deployed = await deploy(s, { containers: `app=${image("2")}` });
    expect(deployed.outputs.status).toBe("succeeded");
    const before = lastSeq(s);
    const run = await rollback(s, { "task-definition": "web:1", verdict: "fail" });
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({
      "rolled-back": "true",
      "task-definition-arn": arnOf("web:1"),
      "rolled-back-from": arnOf("web:2"),
    });
    expect(runs(s)).toEqual({ primary: arnOf("web:1"), deployments: 1, state: "COMPLETED" });
    const asked = s.calls.filter((c) => c.seq > before).map((c) => c.operation);
    expect(asked).not.toContain("ListServiceDeployments");
    expect(mutations(s, before).map((c) => c.operation)).toEqual(["UpdateService"]);
    if (profile === "compat") {
      expect(run.stdout.match(new RegExp(NO_CURRENT.source, "g"))).toHaveLength(1);
      expect(run.outputs["service-deployment-arn"]).toBe("");
    }
    expectNoBug(run);
  });

  it("rolls back from ecs-deploy's deploy record and verifies the service", async () => {
    const s = await start();
    const deployed = await deploy(s, { containers: `app=${image("2")}` });
    const run = await rollback(s, { "deploy-record": deployed.outputs["deploy-record"], verdict: "fail" });
    expect(run.errors).toEqual([]);
    expect(run.outputs["rolled-back"]).toBe("true");
    expect(run.stdout).toMatch(/web: verified: 3\/3 tasks of web:1 RUNNING/);
    expect(runs(s)).toEqual({ primary: arnOf("web:1"), deployments: 1, state: "COMPLETED" });
    expectNoBug(run);
  });

  it("discovers a target from the history where there is one, and otherwise names what to pass", async () => {
    const s = await start();
    await deploy(s, { containers: `app=${image("2")}` });
    const before = lastSeq(s);
    const run = await rollback(s, { verdict: "fail" });
    if (profile === "aws") {
      expect(run.errors).toEqual([]);
      expect(run.outputs["task-definition-arn"]).toBe(arnOf("web:1"));
    } else {
      expect(run.exitCode).toBe(1);
      expect(run.errors[0]?.message).toMatch(
        /No rollback target for web: the service deployments API cannot be used \(HTTP 500 with a body that is not an AWS answer \(text\/html\) on ListServiceDeployments\)/,
      );
      expect(run.errors[0]?.message).toMatch(/deploy-record/);
      expect(mutations(s, before)).toEqual([]);
      expect(runs(s).primary).toBe(arnOf("web:2"));
    }
    expectNoBug(run);
  });
});

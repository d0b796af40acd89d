// The IAM actions each action needs, taken from the simulator's call log over its main paths, and
// kept equal to the permissions the READMEs document.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../rig/harness";
import { type Simulator, startSimulator } from "../../sim/index";
import { deploy, image, lastSeq, rollback, world } from "./stack";

async function collect(
  scenario: Parameters<typeof world>[0],
  run: (sim: Simulator) => Promise<void>,
): Promise<string[]> {
  const sim = await startSimulator({ scenario: world(scenario) });
  try {
    await run(sim);
    return sim.iamActions();
  } finally {
    await sim.stop();
  }
}

function documented(action: string): string {
  return readFileSync(join(ROOT, "actions", action, "README.md"), "utf8");
}

describe("IAM actions", () => {
  it("ecs-deploy calls only what its README's permissions list", async () => {
    // Not waiting still prunes (status started); the failing deploy below follows a rollout.
    const healthy = await collect({ revisions: ["2", "3"] }, async (sim) => {
      await deploy(sim, { containers: `app=${image("4")}`, "keep-revisions": "2", wait: "false" });
    });
    const failing = await collect({ images: { [image("2")]: { kind: "crash" } } }, async (sim) => {
      await deploy(sim, { containers: `app=${image("2")}` });
    });
    const cancelled = await collect({ timings: { pullMs: 10 * 60_000 } }, async (sim) => {
      await deploy(
        sim,
        { containers: `app=${image("2")}`, "rollback-on-cancel": "true" },
        { cancelWhen: /web: \d+\/\d+ running/ },
      );
    });
    // A deploy over one still in flight reads the rollback target from the service deployments.
    const overInFlight = await collect({ timings: { pullMs: 3 * 60_000 } }, async (sim) => {
      await deploy(sim, { containers: `app=${image("2")}`, wait: "false" });
      const second = await deploy(sim, { containers: `app=${image("3")}`, wait: "false" });
      expect(second.outputs["previous-task-definition-arn"]).toMatch(/task-definition\/web:1$/);
    });
    // A canary judged by shipline, with the caller's alarms, stopped on its error rate.
    const judged = await collect(
      {
        strategy: "CANARY",
        metrics: {
          loadBalancers: { "web-alb": { requestsPerSecond: 200 } },
          images: { [image("2")]: { errorRate: 0.3 } },
          alarms: [{ name: "web-errors" }],
        },
      },
      async (sim) => {
        const run = await deploy(sim, { containers: `app=${image("2")}`, "deployment-alarms": "web-errors" });
        expect(run.outputs.report).toContain('"accepted":true');
      },
    );
    const all = [...new Set([...healthy, ...failing, ...cancelled, ...overInFlight, ...judged])].sort();
    expect(all).toEqual([
      "cloudwatch:DescribeAlarms",
      "cloudwatch:GetMetricData",
      "ecs:DeregisterTaskDefinition",
      "ecs:DescribeServiceDeployments",
      "ecs:DescribeServiceRevisions",
      "ecs:DescribeServices",
      "ecs:DescribeTaskDefinition",
      "ecs:DescribeTasks",
      "ecs:ListServiceDeployments",
      "ecs:ListTaskDefinitions",
      "ecs:ListTasks",
      "ecs:RegisterTaskDefinition",
      "ecs:StopServiceDeployment",
      "ecs:UpdateService",
      "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetHealth",
      "logs:GetLogEvents",
    ]);
    const readme = documented("ecs-deploy");
    for (const action of all) expect(readme, action).toContain(`\`${action}\``);
  });

  it("auto-rollback calls only what its README's permissions list", async () => {
    /** The IAM actions of the calls after `from`, as sim.iamActions() counts them. */
    const since = (sim: Simulator, from: number) =>
      sim.calls.filter((c) => c.seq > from && (c.status < 400 || c.fault)).map((c) => c.iamAction);
    const rollbackActions: string[] = [];
    await collect({}, async (sim) => {
      const deployed = await deploy(sim, { containers: `app=${image("2")}` });
      const from = lastSeq(sim);
      await rollback(sim, {
        "previous-task-definition-arn": deployed.outputs["previous-task-definition-arn"],
      });
      rollbackActions.push(...since(sim, from));
    });
    await collect({ timings: { pullMs: 3 * 60_000 } }, async (sim) => {
      const deployed = await deploy(sim, { containers: `app=${image("2")}`, wait: "false" });
      const from = lastSeq(sim);
      await rollback(sim, { "service-deployment-arn": deployed.outputs["service-deployment-arn"] });
      rollbackActions.push(...since(sim, from));
    });
    const all = [...new Set(rollbackActions)].sort();
    expect(all).toEqual([
      "ecs:DescribeServiceDeployments",
      "ecs:DescribeServiceRevisions",
      "ecs:DescribeServices",
      "ecs:DescribeTaskDefinition",
      "ecs:DescribeTasks",
      "ecs:ListServiceDeployments",
      "ecs:ListTasks",
      "ecs:StopServiceDeployment",
      "ecs:UpdateService",
      "elasticloadbalancing:DescribeTargetHealth",
    ]);
    const readme = documented("auto-rollback");
    for (const action of all) expect(readme, action).toContain(`\`${action}\``);
  });
});

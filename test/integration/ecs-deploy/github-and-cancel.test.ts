// ecs-deploy's GitHub side (plan comments on pull requests, deployment records and their statuses)
// and cancellation, through the committed bundle, the AWS simulator and the GitHub fake.
import { afterEach, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../../rig/fake-github";
import { everythingPrinted } from "../../rig/harness";
import { type Simulator, startSimulator } from "../../sim/index";
import { arnOf, deploy, image, lastSeq, mutations, world } from "./stack";

const TOKEN = "ghs_fakeTokenForTheTests0123456789";

let sim: Simulator | undefined;
let github: FakeGitHub | undefined;
afterEach(async () => {
  await sim?.stop();
  await github?.close();
  sim = undefined;
  github = undefined;
});

describe("ecs-deploy plan mode", () => {
  it("changes nothing and keeps one pull-request comment with the diff, values masked", async () => {
    sim = await startSimulator({ scenario: world() });
    github = await startFakeGitHub();
    const options = {
      env: { GITHUB_API_URL: github.url },
      eventName: "pull_request",
      event: { pull_request: { number: 42 } },
    };
    const planInputs = {
      plan: "true",
      "github-token": TOKEN,
      containers: `app=${image("2")}`,
      "environment-variables": "app.LOG_LEVEL=verbose-but-private\napp.NEW_FLAG=on",
      "desired-count": "5",
    };
    const run = await deploy(sim, planInputs, options);
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe("planned");
    expect(mutations(sim)).toEqual([]);
    expect(sim.calls.every((c) => c.operation.startsWith("Describe") || c.operation.startsWith("List"))).toBe(
      true,
    );

    expect(github.state.comments).toHaveLength(1);
    const body = github.state.comments[0]?.body ?? "";
    expect(github.state.comments[0]?.issue_number).toBe(42);
    expect(body).toContain("<!-- shipline:ecs-deploy-plan:prod:web -->");
    expect(body).toContain("a new revision of web** would be registered");
    expect(body).toContain("task definition web:1 -> a new revision of web, desired count 3 -> 5");
    expect(body).toContain(`| app | image | changed | \`${image("1")}\` | \`${image("2")}\` |`);
    expect(body).toContain("| app | env LOG_LEVEL | changed | ••• | ••• |");
    expect(body).toContain("| app | env NEW_FLAG | added |  | ••• |");
    expect(body).toContain("rollback target web:1");
    expect(run.stdout).toContain("app env LOG_LEVEL: changed (value not shown)");
    expect(everythingPrinted(run)).not.toContain("verbose-but-private");
    expect(JSON.stringify(github.state.comments)).not.toContain("verbose-but-private");
    expect(everythingPrinted(run)).not.toContain(TOKEN);

    // A new push to the pull request updates the same comment.
    const again = await deploy(sim, { ...planInputs, containers: `app=${image("3")}` }, options);
    expect(again.exitCode).toBe(0);
    expect(github.state.comments).toHaveLength(1);
    expect(github.state.comments[0]?.body).toContain(`\`${image("3")}\``);
    expect(mutations(sim)).toEqual([]);
  });

  it("names the missing permission when GitHub refuses the comment, still giving the plan's outputs", async () => {
    sim = await startSimulator({ scenario: world() });
    github = await startFakeGitHub();
    github.faults.push({
      method: "POST",
      path: /\/issues\/42\/comments$/,
      status: 403,
      times: 1,
      body: { message: "Resource not accessible by integration" },
    });
    const run = await deploy(
      sim,
      { plan: "true", "github-token": TOKEN, containers: `app=${image("2")}` },
      {
        env: { GITHUB_API_URL: github.url },
        eventName: "pull_request",
        event: { pull_request: { number: 42 } },
      },
    );
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toMatch(
      /GitHub refused the plan comment on pull request #42 \(HTTP 403\): Resource not accessible by integration/,
    );
    expect(run.errors[0]?.message).toMatch(/\nFix: Give the job `permissions: pull-requests: write`/);
    expect(run.stdout).not.toContain("This is a bug in shipline");
    expect(run.outputs.status).toBe("planned");
    expect(JSON.parse(run.outputs.report ?? "{}")).toMatchObject({ status: "planned", planCommentUrl: null });
    expect(run.summary).toContain("a new revision of web** would be registered");
    expect(github.state.comments).toEqual([]);
    expect(mutations(sim)).toEqual([]);
    expect(everythingPrinted(run)).not.toContain(TOKEN);
  });

  it("says the task definition would be reused when nothing differs", async () => {
    sim = await startSimulator({ scenario: world({ revisions: ["2"] }) });
    const run = await deploy(sim, { plan: "true", containers: `app=${image("2")}` });
    expect(run.exitCode).toBe(0);
    expect(run.summary).toContain("**web:2** is already registered and identical");
    expect(run.outputs["task-definition-arn"]).toBe(arnOf("web:2"));
    expect(mutations(sim)).toEqual([]);
  });
});

describe("ecs-deploy GitHub deployment records", () => {
  it("records in_progress then success, with the task definitions in the payload", async () => {
    sim = await startSimulator({ scenario: world() });
    github = await startFakeGitHub();
    const run = await deploy(
      sim,
      {
        containers: `app=${image("2")}`,
        "github-token": TOKEN,
        environment: "staging",
        "environment-url": "https://staging.shop.example",
      },
      { env: { GITHUB_API_URL: github.url } },
    );
    expect(run.errors).toEqual([]);
    expect(github.state.deployments).toHaveLength(1);
    const deployment = github.state.deployments[0];
    expect(deployment).toMatchObject({
      environment: "staging",
      ref: "0123456789abcdef0123456789abcdef01234567",
      payload: {
        shipline: "ecs-deploy",
        cluster: "prod",
        services: ["web"],
        taskDefinitionArn: arnOf("web:2"),
        previousTaskDefinitionArn: { web: arnOf("web:1") },
        version: 1,
        revision: "web:2",
        containers: [{ name: "app", image: image("2"), digest: null }],
        migrations: null,
        override: null,
      },
    });
    expect(deployment?.statuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
    // The rollout's success is marked as such: it is not the health gate's verdict.
    expect(deployment?.statuses[1]?.description).toMatch(/^\[shipline rolled-out\] web:2 rolled out on web$/);
    expect(run.outputs["deployment-id"]).toBe(String(deployment?.id));
    expect(deployment?.statuses[1]).toMatchObject({
      environment_url: "https://staging.shop.example",
      log_url: "https://github.com/acme/shop/actions/runs/1001",
    });
    expect(JSON.parse(run.outputs.report ?? "{}").githubDeploymentId).toBe(deployment?.id);
    expect(everythingPrinted(run)).not.toContain(TOKEN);
  });

  it("records the migrations applied and a preflight override in the payload", async () => {
    sim = await startSimulator({ scenario: world() });
    github = await startFakeGitHub();
    const override = { checks: ["window"], reason: "hotfix for INC-481", actor: "octocat", runUrl: null };
    const run = await deploy(
      sim,
      {
        containers: `app=${image("2")}`,
        "github-token": TOKEN,
        environment: "production",
        migrations: JSON.stringify([{ file: "db/0002_add_sku.sql", destructive: false }]),
        "preflight-override": JSON.stringify(override),
      },
      { env: { GITHUB_API_URL: github.url } },
    );
    expect(run.errors).toEqual([]);
    expect(github.state.deployments[0]?.payload).toMatchObject({
      migrations: [{ file: "db/0002_add_sku.sql", destructive: false }],
      override,
    });
  });

  it("refuses a preflight override without environment, before anything changes", async () => {
    sim = await startSimulator({ scenario: world() });
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      "preflight-override": JSON.stringify({ checks: ["window"], reason: "hotfix for INC-481" }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toMatch(/preflight-override/);
    expect(sim.calls).toEqual([]);
  });

  it("records failure when ECS rolls the deployment back", async () => {
    sim = await startSimulator({ scenario: world({ images: { [image("2")]: { kind: "crash" } } }) });
    github = await startFakeGitHub();
    const run = await deploy(
      sim,
      { containers: `app=${image("2")}`, "github-token": TOKEN, environment: "staging" },
      { env: { GITHUB_API_URL: github.url } },
    );
    expect(run.exitCode).toBe(1);
    const statuses = github.state.deployments[0]?.statuses ?? [];
    expect(statuses.map((s) => s.state)).toEqual(["in_progress", "failure"]);
    expect(statuses[1]?.description).toMatch(/^failed: web: ECS is rolling the deployment of web:2 back/);
  });
});

describe("ecs-deploy cancellation", () => {
  // Image pulls that take ten simulated minutes (five real seconds): the rollout is in progress when
  // the runner cancels, which it does as soon as the step has read the rollout once.
  const slowPull = { pullMs: 10 * 60_000 };
  const following = { cancelWhen: /web: \d+\/\d+ running/ };

  it("stops the service deployment with ROLLBACK when rollback-on-cancel is set", async () => {
    sim = await startSimulator({ scenario: world({ timings: slowPull }) });
    const run = await deploy(
      sim,
      { containers: `app=${image("2")}`, "rollback-on-cancel": "true" },
      following,
    );
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe("cancelled");
    const stops = sim.calls.filter((c) => c.operation === "StopServiceDeployment");
    expect(stops).toHaveLength(1);
    expect(stops[0]?.input).toEqual({
      serviceDeploymentArn: run.outputs["service-deployment-arn"],
      stopType: "ROLLBACK",
    });
    const record = sim.ecs.serviceDeployment(run.outputs["service-deployment-arn"] ?? "");
    expect(record?.status).toMatch(/^ROLLBACK_/);
    expect(run.errors[0]?.message).toMatch(
      /cancelled while following the rollout; ECS was asked to roll back/,
    );
    expect(run.summary).toContain("ECS deploy cancelled");
  });

  it("leaves a service whose rollout already succeeded as it is when rolling back the others on cancel", async () => {
    // web (behind the load balancer) drains its old targets for five simulated minutes; worker has no
    // load balancer and is done long before.
    sim = await startSimulator({
      scenario: world({ extraServices: ["worker"], deregistrationDelaySeconds: 300 }),
    });
    const run = await deploy(
      sim,
      { services: "web\nworker", containers: `app=${image("2")}`, "rollback-on-cancel": "true" },
      { cancelWhen: /worker: .*SUCCESSFUL/ },
    );
    expect(run.outputs.status).toBe("cancelled");
    const arns = JSON.parse(run.outputs["service-deployment-arn"] ?? "{}");
    const stops = sim.calls.filter((c) => c.operation === "StopServiceDeployment");
    expect(stops.map((c) => c.input.serviceDeploymentArn)).toEqual([arns.web]);
    expect(stops.every((c) => c.status < 400)).toBe(true);
    const report = JSON.parse(run.outputs.report ?? "{}");
    expect(report.services.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ["web", "cancelled"],
      ["worker", "succeeded"],
    ]);
    expect(run.errors[0]?.message).toContain(
      "worker: already succeeded before the cancellation; left as it is",
    );
    expect(sim.ecs.serviceDeployment(arns.worker)?.status).toBe("SUCCESSFUL");
  });

  it("leaves ECS alone on cancellation without rollback-on-cancel, and says so", async () => {
    sim = await startSimulator({ scenario: world({ timings: slowPull }) });
    const run = await deploy(sim, { containers: `app=${image("2")}` }, following);
    expect(run.exitCode).toBe(1);
    const after = lastSeq(sim);
    expect(sim.calls.filter((c) => c.operation === "StopServiceDeployment")).toHaveLength(0);
    expect(run.errors[0]?.message).toContain("ECS was left alone: the deployment carries on");
    const record = sim.ecs.serviceDeployment(run.outputs["service-deployment-arn"] ?? "");
    expect(record?.status).toBe("IN_PROGRESS");
    expect(mutations(sim, after)).toEqual([]);
  });
});

describe("ecs-deploy wait-timeout", () => {
  it("fails with status timed-out when the rollout outlasts wait-timeout, and leaves ECS rolling", async () => {
    // Pulls of thirty simulated minutes (fifteen real seconds) outlast a ten-second wait.
    sim = await startSimulator({ scenario: world({ timings: { pullMs: 30 * 60_000 } }) });
    const run = await deploy(sim, { containers: `app=${image("2")}`, "wait-timeout": "10s" });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe("timed-out");
    expect(run.errors[0]?.message).toContain(
      "The deployment of web:2 did not finish: web: The rollout did not finish within wait-timeout (10s); ECS carries on with it.",
    );
    expect(run.errors[0]?.message).toContain("Raise `wait-timeout`");
    expect(sim.calls.filter((c) => c.operation === "StopServiceDeployment")).toHaveLength(0);
    const record = sim.ecs.serviceDeployment(run.outputs["service-deployment-arn"] ?? "");
    expect(record?.status).toBe("IN_PROGRESS");
    expect(run.summary).toContain("Why web did not finish");
  });
});

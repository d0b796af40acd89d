// executeDeploy returns what happened as a value: refused updates, a cancellation (with what was done
// about the rollouts in flight) and AWS going silent mid-follow are parts of the outcome, not throws.
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  ECSClient,
  type Service,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  type DeployDeps,
  type DeployOptions,
  deployStatus,
  executeDeploy,
  imagesFrom,
  type ServiceOutcome,
} from "../../../../packages/core/src/ecs/deploy-execute";
import type { DeployPlan, ServicePlan } from "../../../../packages/core/src/ecs/deploy-plan";
import { ServiceDeploymentsApi } from "../../../../packages/core/src/ecs/service-deployments";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { CancelledError, UserError } from "../../../../packages/core/src/runtime/errors";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
const SD = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/web/${id}`;
const ecsMock = mockClient(ECSClient);
const ecs = new ECSClient({ region: "eu-west-1" });
const logs = new CloudWatchLogsClient({ region: "eu-west-1" });
beforeEach(() => ecsMock.reset());

function running(name: string): Service {
  return {
    serviceName: name,
    status: "ACTIVE",
    taskDefinition: TD(1),
    desiredCount: 2,
    deployments: [{ id: `${name}-1`, status: "PRIMARY", taskDefinition: TD(1), rolloutState: "COMPLETED" }],
    currentServiceDeployment: SD(`${name}-old`),
    currentServiceRevisions: [{ arn: `rev-${name}-1` }],
  };
}

function servicePlan(name: string, kind: "update" | "none" = "update"): ServicePlan {
  return {
    name,
    service: running(name),
    action:
      kind === "update"
        ? { kind, why: "a new task definition", taskDefinition: true, forceNewDeployment: false }
        : { kind, why: "it already runs web:1, rollout COMPLETED" },
    rollbackTarget: { service: name, taskDefinitionArn: TD(1), source: "completed-primary", images: [] },
    knownEventIds: [],
  };
}

function planOf(services: ServicePlan[]): DeployPlan {
  const definition = { family: "web", containerDefinitions: [{ name: "app", image: "web:2" }] };
  return {
    cluster: "prod",
    rendered: definition,
    reuse: undefined,
    given: false,
    current: { arn: TD(1), definition: { ...definition, taskDefinitionArn: TD(1) }, tags: [] },
    changes: [],
    services,
  };
}

const REVISION = { arn: TD(2), containers: [], registered: true };
const OPTIONS: DeployOptions = {
  wait: true,
  pollIntervalMs: 5000,
  waitTimeoutMs: 600_000,
  rollbackOnCancel: true,
  logTailLines: 10,
  caller: "ecs-deploy",
};

function deps(signal?: AbortSignal): DeployDeps & { logger: RecordingLogger } {
  const logger = new RecordingLogger();
  return {
    ecs,
    logs,
    api: new ServiceDeploymentsApi(ecs, logger),
    clock: new SimulatedClock(),
    logger,
    signal,
  };
}

/** UpdateService answers with the new deployment PRIMARY; `refuse` names services ECS refuses. */
function updates(refuse: Record<string, Error> = {}) {
  ecsMock.on(UpdateServiceCommand).callsFake((input: { service: string }) => {
    const refusal = refuse[input.service];
    if (refusal) throw refusal;
    const before = running(input.service);
    return {
      service: {
        ...before,
        taskDefinition: TD(2),
        currentServiceDeployment: SD(`${input.service}-new`),
        deployments: [
          { id: `${input.service}-2`, status: "PRIMARY", taskDefinition: TD(2), rolloutState: "IN_PROGRESS" },
          ...(before.deployments ?? []).map((d) => ({ ...d, status: "ACTIVE" })),
        ],
      },
    };
  });
}

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe("executeDeploy", () => {
  it("does nothing when every service already runs the revision, and names the digests that ran", async () => {
    ecsMock.on(DescribeServiceRevisionsCommand).resolves({
      serviceRevisions: [
        {
          serviceRevisionArn: "rev-web-1",
          containerImages: [{ containerName: "app", image: "web:2", imageDigest: "sha256:22" }],
        },
      ],
    });
    const outcome = await executeDeploy(deps(), planOf([servicePlan("web", "none")]), REVISION, OPTIONS);
    expect(outcome).toMatchObject({ status: "unchanged", images: { app: "web@sha256:22" } });
    expect(outcome.services.map((s) => [s.name, s.status, s.serviceDeploymentArn])).toEqual([
      ["web", "unchanged", SD("web-old")],
    ]);
    expect(ecsMock.commandCalls(UpdateServiceCommand)).toEqual([]);
  });

  it("keeps the task definition's images, with one warning, when the digests that ran cannot be read", async () => {
    ecsMock.on(DescribeServiceRevisionsCommand).rejects(named("ThrottlingException", "Rate exceeded"));
    const run = deps();
    const outcome = await executeDeploy(run, planOf([servicePlan("web", "none")]), REVISION, OPTIONS);
    expect(outcome).toMatchObject({ status: "unchanged", images: { app: "web:2" } });
    // One warning: the optional API is given up on (any failure degrades it), the definition's images stand.
    const warnings = run.logger.lines.filter((l) => l.level === "warning").map((l) => l.message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /service deployments API cannot be used \(ThrottlingException on DescribeServiceRevisions/,
    );
  });

  it("reports a refused update beside the service that was updated, without throwing", async () => {
    updates({ worker: named("InvalidParameterException", "the container needs more memory") });
    const plan = planOf([servicePlan("web"), servicePlan("worker")]);
    const outcome = await executeDeploy(deps(), plan, REVISION, { ...OPTIONS, wait: false });
    expect(outcome.status).toBe("failed");
    expect(outcome.interruption).toBeUndefined();
    expect(outcome.unexpected).toBeUndefined();
    expect(outcome.services.map((s) => [s.name, s.status])).toEqual([
      ["web", "started"],
      ["worker", "failed"],
    ]);
    expect(outcome.services[1]).toMatchObject({
      reason: "ECS refused to update service worker: the container needs more memory",
      fix: expect.stringMatching(/^Read ECS's message/),
    });
  });

  it("makes the refusal the whole story when no service was updated", async () => {
    updates({ web: named("InvalidParameterException", "no") });
    const outcome = await executeDeploy(deps(), planOf([servicePlan("web")]), REVISION, OPTIONS);
    expect(outcome.status).toBe("failed");
    expect(outcome.interruption).toMatchObject({ kind: "error", error: expect.any(UserError) });
    expect(ecsMock.commandCalls(DescribeServicesCommand)).toEqual([]);
  });

  it("keeps a refusal that is neither the user's nor AWS's apart, to be raised as a bug", async () => {
    const bug = new TypeError("cannot read properties of undefined");
    updates({ worker: bug });
    const plan = planOf([servicePlan("web"), servicePlan("worker")]);
    const outcome = await executeDeploy(deps(), plan, REVISION, { ...OPTIONS, wait: false });
    expect(outcome.unexpected).toBe(bug);
  });

  it("answers a cancellation by stopping the rollout with ROLLBACK, and returns it as the outcome", async () => {
    updates();
    ecsMock.on(StopServiceDeploymentCommand).resolves({});
    const controller = new AbortController();
    controller.abort(new CancelledError());
    const outcome = await executeDeploy(
      deps(controller.signal),
      planOf([servicePlan("web")]),
      REVISION,
      OPTIONS,
    );
    expect(outcome.status).toBe("cancelled");
    expect(outcome.interruption).toEqual({
      kind: "cancelled",
      message: `The workflow run was cancelled while following the rollout; ECS was asked to roll back (web: StopServiceDeployment ROLLBACK ${SD("web-new")}).`,
    });
    expect(outcome.services[0]).toMatchObject({
      status: "cancelled",
      cancelAction: `StopServiceDeployment ROLLBACK ${SD("web-new")}`,
    });
    expect(ecsMock.commandCalls(StopServiceDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { serviceDeploymentArn: SD("web-new"), stopType: "ROLLBACK" },
    ]);
  });

  it("leaves ECS alone on a cancellation without rollback-on-cancel, and says so", async () => {
    updates();
    const controller = new AbortController();
    controller.abort(new CancelledError());
    const options = { ...OPTIONS, rollbackOnCancel: false };
    const outcome = await executeDeploy(
      deps(controller.signal),
      planOf([servicePlan("web")]),
      REVISION,
      options,
    );
    expect(outcome.interruption).toMatchObject({
      kind: "cancelled",
      message: expect.stringContaining("ECS was left alone"),
    });
    expect(outcome.services[0]?.cancelAction).toBe("left running");
    expect(ecsMock.commandCalls(StopServiceDeploymentCommand)).toEqual([]);
  });

  it("says ECS carries on when AWS stops answering mid-follow", async () => {
    updates();
    ecsMock.on(DescribeServicesCommand).rejects(named("ThrottlingException", "Rate exceeded"));
    const outcome = await executeDeploy(deps(), planOf([servicePlan("web")]), REVISION, OPTIONS);
    expect(outcome.status).toBe("failed");
    const error = outcome.interruption?.kind === "error" ? outcome.interruption.error : undefined;
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(
      /^ECS has the update of web to web:2 and carries on with it, but this step could not follow the rollout: AWS kept throttling/,
    );
    expect(outcome.services[0]).toMatchObject({ status: "started", serviceDeploymentArn: SD("web-new") });
  });
});

describe("deployStatus", () => {
  const outcome = (status: ServiceOutcome["status"]): ServiceOutcome => ({
    name: status,
    action: "update",
    status,
    reason: "",
    serviceDeploymentArn: undefined,
  });
  it.each([
    [["succeeded", "failed"], "failed"],
    [["timed-out", "failed"], "failed"],
    [["succeeded", "timed-out"], "timed-out"],
    [["cancelled", "failed"], "cancelled"],
    [["unchanged", "unchanged"], "unchanged"],
    [["unchanged", "started"], "started"],
    [["unchanged", "succeeded"], "succeeded"],
  ] as const)("%o is %s", (statuses, status) => {
    expect(deployStatus(statuses.map(outcome))).toBe(status);
  });
});

describe("imagesFrom", () => {
  it("names each container's image by the digest that ran, keeping what the revision does not name", () => {
    const revision = {
      containerImages: [
        {
          containerName: "app",
          image: "123.dkr.ecr.eu-west-1.amazonaws.com/web:2",
          imageDigest: "sha256:22",
        },
        { containerName: "sidecar", image: "envoy@sha256:33", imageDigest: "sha256:33" },
      ],
    };
    expect(imagesFrom(revision, { app: "web:2", sidecar: "envoy:1", log: "fluent:1" })).toEqual({
      app: "123.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:22",
      sidecar: "envoy@sha256:33",
      log: "fluent:1",
    });
  });
});

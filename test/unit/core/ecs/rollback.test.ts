// Putting a service back: how (stop, follow ECS, update, nothing), which revision is bad when nobody
// said, the target (given, recorded, discovered), and StopServiceDeployment ROLLBACK.
import {
  DescribeServiceRevisionsCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  type Service,
  type ServiceDeployment,
  StopServiceDeploymentCommand,
} from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  chooseTarget,
  decideRollback,
  inferBadRevision,
  stopWithRollback,
  supersededBy,
} from "../../../../packages/core/src/ecs/rollback";
import { badBesidesTarget } from "../../../../packages/core/src/ecs/rollback-plan";
import { ServiceDeploymentsApi } from "../../../../packages/core/src/ecs/service-deployments";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
const ecsMock = mockClient(ECSClient);
const ecs = new ECSClient({ region: "eu-west-1" });
beforeEach(() => ecsMock.reset());

function service(runs: number, settled: boolean): Service {
  return {
    serviceName: "web",
    serviceArn: "arn:aws:ecs:eu-west-1:123456789012:service/prod/web",
    taskDefinition: TD(runs),
    desiredCount: 2,
    deployments: settled
      ? [{ id: "d", status: "PRIMARY", taskDefinition: TD(runs), rolloutState: "COMPLETED" }]
      : [
          { id: "d2", status: "PRIMARY", taskDefinition: TD(runs), rolloutState: "IN_PROGRESS" },
          { id: "d1", status: "ACTIVE", taskDefinition: TD(1), rolloutState: "COMPLETED" },
        ],
  };
}

const sd = (status: ServiceDeployment["status"]): ServiceDeployment => ({
  serviceDeploymentArn: "sd",
  status,
});

describe("decideRollback", () => {
  it.each([
    ["the service already runs the target, settled", service(1, true), sd("SUCCESSFUL"), [], "none"],
    [
      "ECS is rolling back to the target",
      service(1, false),
      sd("ROLLBACK_IN_PROGRESS"),
      [TD(1)],
      "follow-ecs",
    ],
    [
      "the bad deployment rolls forward from the target",
      service(2, false),
      sd("IN_PROGRESS"),
      [TD(1)],
      "stop",
    ],
    [
      "the bad deployment rolls forward from something else",
      service(2, false),
      sd("IN_PROGRESS"),
      [TD(0)],
      "update",
    ],
    ["the bad deployment finished", service(2, true), sd("SUCCESSFUL"), [TD(1)], "update"],
    ["the service deployments API is unavailable", service(2, false), undefined, [], "update"],
    [
      "a rollout of the target is already in flight (a re-run)",
      service(1, false),
      sd("IN_PROGRESS"),
      [TD(2)],
      "follow-ecs",
    ],
    [
      "a rollout of the target is in flight, without the service deployments API",
      service(1, false),
      undefined,
      [],
      "follow-ecs",
    ],
  ] as const)("%s: %s", (_what, svc, deployment, sources, kind) => {
    expect(decideRollback(svc, deployment, sources, TD(1)).kind).toBe(kind);
  });

  it("follows ECS's rollback as a rollback, and a rollout of the target as a deployment", () => {
    expect(decideRollback(service(1, false), sd("ROLLBACK_IN_PROGRESS"), [TD(1)], TD(1))).toMatchObject({
      kind: "follow-ecs",
      rollout: "rollback",
      serviceDeploymentArn: "sd",
    });
    expect(decideRollback(service(1, false), sd("IN_PROGRESS"), [TD(2)], TD(1))).toMatchObject({
      kind: "follow-ecs",
      rollout: "deploy",
      serviceDeploymentArn: "sd",
      deploymentId: "d2",
    });
  });
});

describe("decideRollback on an endpoint that names a revision it does not run", () => {
  it("updates the service when only its taskDefinition names the target", () => {
    const claimed = { ...service(2, true), taskDefinition: TD(1) };
    expect(decideRollback(claimed, undefined, [], TD(1)).kind).toBe("update");
  });
});

describe("badBesidesTarget", () => {
  it("is what the PRIMARY deployment runs when that is not the target", () => {
    expect(badBesidesTarget(service(2, true), TD(1))).toEqual({ bad: TD(2), startedAt: undefined });
  });

  it("is what a rollout of the target in flight replaces", () => {
    const svc = service(1, false);
    svc.deployments = [
      { id: "d3", status: "PRIMARY", taskDefinition: TD(1), rolloutState: "IN_PROGRESS" },
      { id: "d2", status: "ACTIVE", taskDefinition: TD(2), createdAt: new Date(5) },
    ];
    expect(badBesidesTarget(svc, TD(1))).toEqual({ bad: TD(2), startedAt: new Date(5) });
  });

  it("is nothing when the service runs only the target", () => {
    expect(badBesidesTarget(service(1, true), TD(1))).toBeUndefined();
  });
});

describe("supersededBy", () => {
  it("names the revision the PRIMARY deployment runs when it is neither the bad one nor the target", () => {
    // N = web:2 was bad, its target web:1; web:3 was deployed since (settled, or still rolling out).
    expect(supersededBy(service(3, true), TD(2), TD(1))).toBe(TD(3));
    expect(supersededBy(service(3, false), TD(2), TD(1))).toBe(TD(3));
  });

  it("is nothing while the service runs the bad revision or the target", () => {
    expect(supersededBy(service(2, true), TD(2), TD(1))).toBeUndefined();
    expect(supersededBy(service(2, false), TD(2), TD(1))).toBeUndefined();
    expect(supersededBy(service(1, true), TD(2), TD(1))).toBeUndefined();
    // A target given as family:revision (`task-definition`) before it is resolved to its ARN.
    expect(supersededBy(service(1, true), TD(2), "web:1")).toBeUndefined();
  });
});

describe("inferBadRevision", () => {
  function history(entries: { n: number; status: ServiceDeployment["status"] }[]) {
    ecsMock.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: entries.map((e, i) => ({
        serviceDeploymentArn: `sd-${i}`,
        targetServiceRevisionArn: `rev-${e.n}`,
        status: e.status,
        createdAt: new Date(1000 - i),
      })),
    });
    ecsMock.on(DescribeServiceRevisionsCommand).resolves({
      serviceRevisions: entries.map((e) => ({ serviceRevisionArn: `rev-${e.n}`, taskDefinition: TD(e.n) })),
    });
  }
  const api = () => new ServiceDeploymentsApi(ecs, new RecordingLogger());

  it("is the newest deployment's revision while it is in flight or after ECS rolled it back", async () => {
    history([
      { n: 3, status: "ROLLBACK_SUCCESSFUL" },
      { n: 2, status: "SUCCESSFUL" },
    ]);
    expect(await inferBadRevision(service(2, true), "prod", api())).toMatchObject({
      taskDefinitionArn: TD(3),
    });
  });

  it("is the one before when the newest SUCCESSFUL deployment went back to an older revision", async () => {
    history([
      { n: 1, status: "SUCCESSFUL" },
      { n: 2, status: "SUCCESSFUL" },
      { n: 1, status: "SUCCESSFUL" },
    ]);
    expect(await inferBadRevision(service(1, true), "prod", api())).toMatchObject({
      taskDefinitionArn: TD(2),
    });
  });

  it("is the one before while a deployment back to an older revision is in flight (a re-run)", async () => {
    history([
      { n: 1, status: "IN_PROGRESS" },
      { n: 2, status: "SUCCESSFUL" },
      { n: 1, status: "SUCCESSFUL" },
    ]);
    expect(await inferBadRevision(service(1, false), "prod", api())).toMatchObject({
      taskDefinitionArn: TD(2),
    });
  });

  it("is the newest deployment's revision while it rolls forward to a newer revision", async () => {
    history([
      { n: 3, status: "IN_PROGRESS" },
      { n: 2, status: "SUCCESSFUL" },
    ]);
    expect(await inferBadRevision(service(3, false), "prod", api())).toMatchObject({
      taskDefinitionArn: TD(3),
    });
  });

  it("is what the service runs without the API", async () => {
    ecsMock
      .on(ListServiceDeploymentsCommand)
      .rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    expect(await inferBadRevision(service(5, true), "prod", api())).toMatchObject({
      taskDefinitionArn: TD(5),
    });
  });
});

describe("chooseTarget", () => {
  const api = () => new ServiceDeploymentsApi(ecs, new RecordingLogger());
  it("prefers the explicit target, then the recorded one", async () => {
    expect(await chooseTarget(service(2, true), "prod", api(), { explicit: TD(1), recorded: TD(0) })).toEqual(
      { taskDefinitionArn: TD(1), source: "input" },
    );
    expect(await chooseTarget(service(2, true), "prod", api(), { recorded: TD(0) })).toEqual({
      taskDefinitionArn: TD(0),
      source: "recorded",
    });
  });

  it("discovers the newest SUCCESSFUL revision that is not the bad one", async () => {
    ecsMock.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: "sd-2",
          targetServiceRevisionArn: "rev-2",
          status: "SUCCESSFUL",
          createdAt: new Date(2),
        },
        {
          serviceDeploymentArn: "sd-1",
          targetServiceRevisionArn: "rev-1",
          status: "SUCCESSFUL",
          createdAt: new Date(1),
        },
      ],
    });
    ecsMock.on(DescribeServiceRevisionsCommand).resolves({
      serviceRevisions: [
        { serviceRevisionArn: "rev-1", taskDefinition: TD(1) },
        { serviceRevisionArn: "rev-2", taskDefinition: TD(2) },
      ],
    });
    expect(await chooseTarget(service(2, true), "prod", api(), { bad: TD(2) })).toMatchObject({
      taskDefinitionArn: TD(1),
      source: "discovered",
    });
  });

  it("says what to pass when there is nothing to discover", async () => {
    ecsMock.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
    await expect(chooseTarget(service(2, true), "prod", api(), { bad: TD(2) })).rejects.toThrow(
      /No rollback target for web: it has no SUCCESSFUL service deployment of a revision other than web:2/,
    );
  });

  it("names the input the recorded targets came from when there is nothing to discover", async () => {
    ecsMock.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
    const given = { bad: TD(2), recordedInput: "deploy-record" };
    await expect(chooseTarget(service(2, true), "prod", api(), given)).rejects.toMatchObject({
      input: "deploy-record",
      fix: expect.stringContaining("`deploy-record`"),
    });
  });
});

describe("stopWithRollback", () => {
  const SD_ARN = "arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/web/abc";
  const named = (name: string) => Object.assign(new Error(`${name} from ECS`), { name });

  it("sends StopServiceDeployment with stopType ROLLBACK and says it was sent", async () => {
    ecsMock.on(StopServiceDeploymentCommand).resolves({ serviceDeploymentArn: SD_ARN });
    await expect(stopWithRollback(ecs, SD_ARN)).resolves.toBe(true);
    expect(ecsMock.commandCalls(StopServiceDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { serviceDeploymentArn: SD_ARN, stopType: "ROLLBACK" },
    ]);
  });

  it("answers false when the deployment finished before the stop arrived (ConflictException)", async () => {
    ecsMock.on(StopServiceDeploymentCommand).rejects(named("ConflictException"));
    await expect(stopWithRollback(ecs, SD_ARN)).resolves.toBe(false);
  });

  it("passes any other error on", async () => {
    ecsMock.on(StopServiceDeploymentCommand).rejects(named("AccessDeniedException"));
    await expect(stopWithRollback(ecs, SD_ARN)).rejects.toMatchObject({ name: "AccessDeniedException" });
  });
});

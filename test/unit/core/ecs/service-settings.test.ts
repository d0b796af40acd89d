// Service settings a step may change: only the asked ones that differ from the service are sent, the
// ones ECS rolls out itself start no forced deployment, and the update carries nothing else.
import type { Service } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { decideServiceAction } from "../../../../packages/core/src/ecs/deploy-plan";
import { parseVolumeConfigurations } from "../../../../packages/core/src/ecs/ebs-volume";
import { resourceInitializationFix } from "../../../../packages/core/src/ecs/failure-explainer";
import { changedSettings, settingsRequest } from "../../../../packages/core/src/ecs/service-update";

const TD = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1";
const ROLE = "arn:aws:iam::123456789012:role/ecsInfrastructure";

function service(extra: Partial<Service> = {}): Service {
  return {
    serviceName: "web",
    desiredCount: 2,
    taskDefinition: TD,
    enableExecuteCommand: false,
    propagateTags: "NONE",
    enableECSManagedTags: false,
    deployments: [{ id: "d", status: "PRIMARY", taskDefinition: TD, rolloutState: "COMPLETED" }],
    ...extra,
  };
}

describe("changedSettings", () => {
  it("keeps only what differs from the service", () => {
    expect(
      changedSettings(service({ enableExecuteCommand: true }), {
        enableExecuteCommand: true,
        propagateTags: "SERVICE",
      }),
    ).toEqual({ propagateTags: "SERVICE" });
  });

  it("compares a volume configuration with the PRIMARY deployment's, members left out keeping theirs", () => {
    const volume = { name: "data", managedEBSVolume: { roleArn: ROLE, sizeInGiB: 20 } };
    const withVolume = service({
      deployments: [
        {
          id: "d",
          status: "PRIMARY",
          taskDefinition: TD,
          rolloutState: "COMPLETED",
          volumeConfigurations: [
            { name: "data", managedEBSVolume: { ...volume.managedEBSVolume, volumeType: "gp3" } },
          ],
        },
      ],
    });
    expect(changedSettings(withVolume, { volumeConfigurations: [volume] })).toEqual({});
    const bigger = [{ name: "data", managedEBSVolume: { roleArn: ROLE, sizeInGiB: 40 } }];
    expect(changedSettings(withVolume, { volumeConfigurations: bigger })).toEqual({
      volumeConfigurations: bigger,
    });
  });
});

describe("decideServiceAction with service settings", () => {
  const asked = (serviceSettings: Parameters<typeof changedSettings>[1]) => ({
    forceNewDeployment: false,
    serviceSettings,
  });

  it("sends an exec change on its own with forceNewDeployment, so the running tasks get it", () => {
    expect(decideServiceAction(service(), TD, asked({ enableExecuteCommand: true }))).toEqual({
      kind: "update",
      why: "service settings enableExecuteCommand",
      taskDefinition: false,
      forceNewDeployment: true,
      settings: { enableExecuteCommand: true },
    });
  });

  it("lets ECS start the deployment for a new volume configuration (no force)", () => {
    const volumeConfigurations = [{ name: "data", managedEBSVolume: { roleArn: ROLE, sizeInGiB: 20 } }];
    expect(decideServiceAction(service(), TD, asked({ volumeConfigurations }))).toMatchObject({
      kind: "update",
      forceNewDeployment: false,
    });
  });

  it("does nothing when every asked setting already holds", () => {
    expect(
      decideServiceAction(service(), TD, asked({ enableExecuteCommand: false, propagateTags: "NONE" })),
    ).toMatchObject({
      kind: "none",
    });
  });

  it("carries the settings with a new task definition", () => {
    expect(
      decideServiceAction(service(), `${TD.slice(0, -1)}2`, asked({ enableECSManagedTags: true })),
    ).toMatchObject({
      kind: "update",
      taskDefinition: true,
      forceNewDeployment: false,
      settings: { enableECSManagedTags: true },
    });
  });
});

describe("settingsRequest", () => {
  it("holds exactly the given settings", () => {
    expect(settingsRequest({ propagateTags: "TASK_DEFINITION" })).toEqual({
      propagateTags: "TASK_DEFINITION",
    });
    expect(settingsRequest(undefined)).toEqual({});
  });
});

describe("parseVolumeConfigurations", () => {
  it.each([
    [[{ name: "d", managedEBSVolume: { roleArn: ROLE } }], /needs "sizeInGiB"/],
    [[{ name: "d", managedEBSVolume: { sizeInGiB: 10 } }], /needs "roleArn"/],
    [[{ name: "d", managedEBSVolume: { roleArn: ROLE, sizeInGiB: 10, volumeType: "io2" } }], /needs "iops"/],
    [
      [{ name: "d", managedEBSVolume: { roleArn: ROLE, sizeInGiB: 10, volumeType: "gp2", iops: 3000 } }],
      /take no iops/,
    ],
    [[{ name: "d", managedEBSVolume: { roleArn: ROLE, sizeInGiB: 10, throughput: 2000 } }], /125-1000/],
    [[{ name: "d", managedEBSVolume: { roleArn: ROLE, sizeInGiB: 50, volumeType: "st1" } }], /125-16384/],
    [[{ name: "a", managedEBSVolume: { roleArn: ROLE, sizeInGiB: 1 } }, { name: "b" }], /one volume/],
  ])("refuses %j", (value, message) => {
    expect(() => parseVolumeConfigurations(value)).toThrow(message);
  });
});

describe("resourceInitializationFix", () => {
  const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf";
  it.each([
    [
      `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${arn} from secrets manager: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/exec/abc is not authorized to perform: secretsmanager:GetSecretValue on resource: ${arn} because no identity-based policy allows the secretsmanager:GetSecretValue action status code: 400, request id: x`,
      `Allow the execution role exec secretsmanager:GetSecretValue on ${arn}`,
    ],
    [
      `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${arn} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret. status code: 400, request id: x`,
      `The secret ${arn} does not exist`,
    ],
    [
      "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/exec/abc is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:eu-west-1:123456789012:parameter/shop/key because no identity-based policy allows the ssm:GetParameters action status code: 400, request id: x",
      "Allow the execution role exec ssm:GetParameters on arn:aws:ssm:eu-west-1:123456789012:parameter/shop/key (and kms:Decrypt",
    ],
    [
      "ResourceInitializationError: failed to download env files: file download command: non empty error stream: service call has been retried 5 time(s): AccessDenied: Access Denied status code: 403, request id: x",
      "s3:GetObject on the environment files",
    ],
  ])("names the fix for %s", (reason, fix) => {
    expect(resourceInitializationFix(reason)).toContain(fix);
  });

  it("has nothing to say about other stopped reasons", () => {
    expect(resourceInitializationFix("Essential container in task exited")).toBeUndefined();
  });
});

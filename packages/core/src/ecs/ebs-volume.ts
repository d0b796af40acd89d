// The EBS volume configurations a service attaches to its tasks at launch (UpdateService's
// volumeConfigurations), checked as ECS checks them before anything is sent: the volume must be one
// the task definition marks configuredAtLaunch, with a role, and a size, IOPS and throughput the
// volume type allows.
import type { ServiceVolumeConfiguration, TaskDefinition } from "@aws-sdk/client-ecs";
import { ROLE_ARN } from "./arns";
import type { TaskDefinitionInput } from "./task-definition";

interface VolumeTypeLimits {
  size: [number, number];
  iops?: [number, number];
  iopsRequired?: boolean;
  throughput?: [number, number];
}

/** Per volume type: size in GiB, IOPS and throughput (MiB/s) where the type takes them. */
export const EBS_VOLUME_TYPES: Readonly<Record<string, VolumeTypeLimits>> = {
  gp3: { size: [1, 16384], iops: [3000, 16000], throughput: [125, 1000] },
  gp2: { size: [1, 16384] },
  io1: { size: [4, 16384], iops: [100, 64000], iopsRequired: true },
  io2: { size: [4, 16384], iops: [100, 256000], iopsRequired: true },
  st1: { size: [125, 16384] },
  sc1: { size: [125, 16384] },
  standard: { size: [1, 1024] },
};

const SNAPSHOT = /^snap-[0-9a-f]{8,17}$/;
const FILESYSTEMS = ["ext3", "ext4", "xfs", "ntfs"];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function inRange(value: unknown, [low, high]: [number, number]): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= low && value <= high;
}

/**
 * Checks the shape of volume configurations; returns them typed, or throws an Error saying what is
 * wrong (the inputs layer names the input).
 */
export function parseVolumeConfigurations(value: unknown): ServiceVolumeConfiguration[] {
  if (!Array.isArray(value)) throw new Error("it must be a JSON list of volume configurations.");
  if (value.length > 1) throw new Error("ECS attaches one volume configured at launch per task; give one.");
  for (const [i, entry] of value.entries()) {
    const at = `[${i}]`;
    if (!isRecord(entry) || typeof entry.name !== "string" || entry.name === "")
      throw new Error(`${at} needs a "name": the task definition volume it configures.`);
    const ebs = entry.managedEBSVolume;
    if (!isRecord(ebs))
      throw new Error(`${at} needs "managedEBSVolume" (ECS manages only EBS volumes here).`);
    const unknown = Object.keys(ebs).filter(
      (k) =>
        ![
          "encrypted",
          "kmsKeyId",
          "volumeType",
          "sizeInGiB",
          "snapshotId",
          "volumeInitializationRate",
          "iops",
          "throughput",
          "tagSpecifications",
          "roleArn",
          "filesystemType",
        ].includes(k),
    );
    if (unknown.length > 0)
      throw new Error(`${at}.managedEBSVolume has unknown fields ${unknown.join(", ")}.`);
    if (typeof ebs.roleArn !== "string" || !ROLE_ARN.test(ebs.roleArn))
      throw new Error(
        `${at}.managedEBSVolume needs "roleArn", the infrastructure role ECS manages the volume with.`,
      );
    const type = ebs.volumeType === undefined ? "gp3" : String(ebs.volumeType);
    const limits = EBS_VOLUME_TYPES[type];
    if (!limits)
      throw new Error(
        `${at}.managedEBSVolume.volumeType "${type}" is not one of ${Object.keys(EBS_VOLUME_TYPES).join(", ")}.`,
      );
    if (
      ebs.snapshotId !== undefined &&
      (typeof ebs.snapshotId !== "string" || !SNAPSHOT.test(ebs.snapshotId))
    )
      throw new Error(`${at}.managedEBSVolume.snapshotId is not a snapshot id (snap-...).`);
    if (ebs.sizeInGiB === undefined && ebs.snapshotId === undefined)
      throw new Error(`${at}.managedEBSVolume needs "sizeInGiB" (or a "snapshotId" to size it from).`);
    if (ebs.sizeInGiB !== undefined && !inRange(ebs.sizeInGiB, limits.size))
      throw new Error(
        `${at}.managedEBSVolume.sizeInGiB must be ${limits.size[0]}-${limits.size[1]} for ${type}.`,
      );
    if (ebs.iops !== undefined && !limits.iops)
      throw new Error(`${at}.managedEBSVolume: ${type} volumes take no iops.`);
    if (ebs.iops !== undefined && limits.iops && !inRange(ebs.iops, limits.iops))
      throw new Error(`${at}.managedEBSVolume.iops must be ${limits.iops[0]}-${limits.iops[1]} for ${type}.`);
    if (ebs.iops === undefined && limits.iopsRequired)
      throw new Error(`${at}.managedEBSVolume needs "iops" for ${type} volumes.`);
    if (ebs.throughput !== undefined && !limits.throughput)
      throw new Error(`${at}.managedEBSVolume: only gp3 volumes take a throughput.`);
    if (ebs.throughput !== undefined && limits.throughput && !inRange(ebs.throughput, limits.throughput))
      throw new Error(
        `${at}.managedEBSVolume.throughput must be ${limits.throughput[0]}-${limits.throughput[1]} MiB/s.`,
      );
    if (ebs.filesystemType !== undefined && !FILESYSTEMS.includes(String(ebs.filesystemType)))
      throw new Error(`${at}.managedEBSVolume.filesystemType must be one of ${FILESYSTEMS.join(", ")}.`);
    if (ebs.encrypted !== undefined && typeof ebs.encrypted !== "boolean")
      throw new Error(`${at}.managedEBSVolume.encrypted must be true or false.`);
  }
  return value as ServiceVolumeConfiguration[];
}

/**
 * Why the configurations do not fit the task definition, or undefined: each must name a volume the
 * definition marks configuredAtLaunch.
 */
export function volumeConfigurationProblem(
  configurations: readonly ServiceVolumeConfiguration[],
  definition: TaskDefinition | TaskDefinitionInput,
): string | undefined {
  const atLaunch = (definition.volumes ?? []).filter((v) => v.configuredAtLaunch).map((v) => v.name ?? "");
  for (const configuration of configurations) {
    if (!atLaunch.includes(configuration.name ?? "")) {
      return `volume "${configuration.name}" is not a volume the task definition configures at launch (${atLaunch.length > 0 ? atLaunch.join(", ") : "it has none with configuredAtLaunch: true"}).`;
    }
  }
  return undefined;
}

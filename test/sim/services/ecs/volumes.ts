// EBS volumes configured at deployment: a service's volumeConfigurations, checked as ECS checks them
// against the task definition (each volume marked configuredAtLaunch needs one, and each one a volume
// so marked) and against the ServiceManagedEBSVolumeConfiguration rules of the API reference (a role,
// a size within the volume type's range or a snapshot, IOPS and throughput only where the type takes
// them). The wording of the messages is an estimate.
import { invalidParameter } from "../../framework/errors";
import type { Shape, TaskDefinitionRecord } from "./model";

const SIZES: Record<string, [number, number]> = {
  gp2: [1, 16384],
  gp3: [1, 16384],
  io1: [4, 16384],
  io2: [4, 16384],
  st1: [125, 16384],
  sc1: [125, 16384],
  standard: [1, 1024],
};
const IOPS: Record<string, [number, number]> = { gp3: [3000, 16000], io1: [100, 64000], io2: [100, 256000] };

function within(value: unknown, [low, high]: [number, number]): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= low && value <= high;
}

/** Raises InvalidParameterException as ECS would for volume configurations that do not fit. */
export function validateVolumeConfigurations(configurations: Shape[], td: TaskDefinitionRecord): void {
  const volumes = (td.body.volumes as Shape[] | undefined) ?? [];
  const atLaunch = volumes.filter((v) => v.configuredAtLaunch === true).map((v) => String(v.name));
  if (configurations.length > 1)
    throw invalidParameter("Only one volume configuration is supported per service.");
  for (const configuration of configurations) {
    const name = String(configuration.name ?? "");
    if (!atLaunch.includes(name)) {
      throw invalidParameter(
        `The volume configuration ${name} does not match a volume that is configured at launch in the task definition ${td.family}:${td.revision}.`,
      );
    }
    const ebs = configuration.managedEBSVolume as Shape | undefined;
    if (!ebs) throw invalidParameter(`The volume configuration ${name} must specify managedEBSVolume.`);
    if (typeof ebs.roleArn !== "string" || !/^arn:aws[a-z-]*:iam::\d{12}:role\//.test(ebs.roleArn))
      throw invalidParameter("managedEBSVolume.roleArn must be a valid IAM role ARN.");
    const type = String(ebs.volumeType ?? "gp3");
    const size = SIZES[type];
    if (!size) throw invalidParameter(`The volume type ${type} is not supported.`);
    if (ebs.sizeInGiB === undefined && ebs.snapshotId === undefined)
      throw invalidParameter(
        "managedEBSVolume.sizeInGiB must be specified when snapshotId is not specified.",
      );
    if (ebs.sizeInGiB !== undefined && !within(ebs.sizeInGiB, size))
      throw invalidParameter(`The size of a ${type} volume must be between ${size[0]} and ${size[1]} GiB.`);
    const iops = IOPS[type];
    if (ebs.iops !== undefined && !iops)
      throw invalidParameter(`IOPS cannot be specified for a ${type} volume.`);
    if (ebs.iops !== undefined && iops && !within(ebs.iops, iops))
      throw invalidParameter(`The IOPS of a ${type} volume must be between ${iops[0]} and ${iops[1]}.`);
    if (ebs.iops === undefined && (type === "io1" || type === "io2"))
      throw invalidParameter(`IOPS must be specified for a ${type} volume.`);
    if (ebs.throughput !== undefined && type !== "gp3")
      throw invalidParameter("Throughput can only be specified for a gp3 volume.");
    if (ebs.throughput !== undefined && !within(ebs.throughput, [125, 1000]))
      throw invalidParameter("The throughput of a gp3 volume must be between 125 and 1000 MiB/s.");
  }
  for (const name of atLaunch) {
    if (!configurations.some((c) => c.name === name)) {
      throw invalidParameter(
        `The task definition ${td.family}:${td.revision} has a volume ${name} that is configured at launch, but the service does not specify a volume configuration for it.`,
      );
    }
  }
}

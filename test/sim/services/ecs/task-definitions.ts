// ECS task definitions: revisions per family, the read-only fields AWS adds, deregistration and
// deletion, listing.
import {
  clientException,
  invalidParameter,
  objectList,
  optionalNumber,
  optionalString,
  requireString,
  SimError,
  stringList,
} from "../../framework/errors";
import type { EcsCore } from "./core";
import { nameFromArn, type Shape, type Tag, type TaskDefinitionRecord } from "./model";

const FAMILY = /^[a-zA-Z0-9_-]{1,255}$/;

/** Fields the caller sends that describe the task definition (tags travel separately). */
const REGISTERED_FIELDS = [
  "family",
  "taskRoleArn",
  "executionRoleArn",
  "networkMode",
  "containerDefinitions",
  "volumes",
  "placementConstraints",
  "requiresCompatibilities",
  "cpu",
  "memory",
  "pidMode",
  "ipcMode",
  "proxyConfiguration",
  "inferenceAccelerators",
  "ephemeralStorage",
  "runtimePlatform",
  "enableFaultInjection",
] as const;

export function readTags(input: Shape, key = "tags"): Tag[] {
  return objectList(input, key).map((t) => {
    if (typeof t.key !== "string") throw invalidParameter("Tag keys must be strings.");
    return { key: t.key, ...(typeof t.value === "string" ? { value: t.value } : {}) };
  });
}

export function containerDefinitions(td: TaskDefinitionRecord): Shape[] {
  return (td.body.containerDefinitions as Shape[] | undefined) ?? [];
}

export function isEssential(container: Shape): boolean {
  return container.essential !== false;
}

/** The capability attributes AWS derives from a task definition (what a container instance needs). */
function requiresAttributes(body: Shape): { name: string }[] {
  const names = new Set<string>();
  const containers = (body.containerDefinitions as Shape[] | undefined) ?? [];
  if (body.networkMode === "awsvpc") {
    names.add("com.amazonaws.ecs.capability.docker-remote-api.1.18");
    names.add("ecs.capability.task-eni");
  }
  if (body.taskRoleArn) names.add("com.amazonaws.ecs.capability.task-iam-role");
  for (const container of containers) {
    const log = container.logConfiguration as Shape | undefined;
    if (log?.logDriver === "awslogs") {
      names.add("com.amazonaws.ecs.capability.logging-driver.awslogs");
      names.add("com.amazonaws.ecs.capability.docker-remote-api.1.19");
      if (body.executionRoleArn) names.add("ecs.capability.execution-role-awslogs");
    }
    if (typeof container.image === "string" && /\.dkr\.ecr\.[^/]+\.amazonaws\.com\//.test(container.image)) {
      names.add("com.amazonaws.ecs.capability.ecr-auth");
      if (body.executionRoleArn) names.add("ecs.capability.execution-role-ecr-pull");
    }
    if (container.healthCheck) names.add("ecs.capability.container-health-check");
    if (Array.isArray(container.secrets) && container.secrets.length > 0)
      names.add("ecs.capability.secrets.asm.environment-variables");
  }
  return [...names].sort().map((name) => ({ name }));
}

function compatibilities(body: Shape): string[] {
  const out = ["EC2"];
  if (body.networkMode === "awsvpc" && body.cpu !== undefined && body.memory !== undefined)
    out.push("FARGATE");
  return out;
}

/** The full TaskDefinition shape, as DescribeTaskDefinition returns it. */
export function taskDefinitionShape(td: TaskDefinitionRecord): Shape {
  const containers = containerDefinitions(td).map((c) => ({
    // AWS fills these in on every container definition.
    cpu: 0,
    portMappings: [],
    essential: true,
    environment: [],
    mountPoints: [],
    volumesFrom: [],
    systemControls: [],
    ...c,
    ...(Array.isArray(c.portMappings)
      ? {
          portMappings: (c.portMappings as Shape[]).map((m) => ({
            protocol: "tcp",
            ...(td.body.networkMode === "awsvpc" || td.body.networkMode === "host"
              ? { hostPort: m.containerPort }
              : {}),
            ...m,
          })),
        }
      : {}),
    ...(c.healthCheck
      ? { healthCheck: { interval: 30, timeout: 5, retries: 3, ...(c.healthCheck as Shape) } }
      : {}),
  }));
  return {
    taskDefinitionArn: td.arn,
    enableFaultInjection: false,
    ...td.body,
    containerDefinitions: containers,
    family: td.family,
    revision: td.revision,
    volumes: td.body.volumes ?? [],
    status: td.status,
    requiresAttributes: requiresAttributes(td.body),
    placementConstraints: td.body.placementConstraints ?? [],
    compatibilities: compatibilities(td.body),
    registeredAt: new Date(td.registeredAt),
    registeredBy: td.registeredBy,
    ...(td.deregisteredAt !== undefined ? { deregisteredAt: new Date(td.deregisteredAt) } : {}),
  };
}

export class TaskDefinitions {
  constructor(private readonly core: EcsCore) {}

  register(input: Shape): TaskDefinitionRecord {
    const family = requireString(input, "family", "ClientException");
    if (!FAMILY.test(family)) {
      throw clientException(
        "Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.",
      );
    }
    const containers = objectList(input, "containerDefinitions");
    if (containers.length === 0) throw clientException("Container list cannot be empty.");
    const names = new Set<string>();
    for (const container of containers) {
      if (typeof container.name !== "string" || container.name === "")
        throw clientException("Container.name should not be null or empty.");
      if (typeof container.image !== "string" || container.image === "")
        throw clientException("Container.image should not be null or empty.");
      if (names.has(container.name))
        throw clientException(`Duplicate container name ${container.name} found in the task definition.`);
      names.add(container.name);
    }
    if (
      input.executionRoleArn === undefined &&
      containers.some((c) => Array.isArray(c.secrets) && c.secrets.length > 0)
    ) {
      throw clientException(
        "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.",
      );
    }
    if (!containers.some(isEssential))
      throw clientException("Task definition must have at least one essential container.");
    const requires = stringList(input, "requiresCompatibilities");
    if (requires.includes("FARGATE")) {
      if (input.networkMode !== "awsvpc")
        throw clientException("Fargate only supports network mode 'awsvpc'.");
      if (input.cpu === undefined)
        throw clientException("Fargate requires that 'cpu' be defined at the task level.");
      if (input.memory === undefined)
        throw clientException("Fargate requires that 'memory' be defined at the task level.");
    }
    const body: Shape = {};
    for (const field of REGISTERED_FIELDS) if (input[field] !== undefined) body[field] = input[field];
    const revisions = this.core.taskDefinitions.get(family) ?? [];
    const revision = revisions.length + 1;
    const record: TaskDefinitionRecord = {
      arn: this.core.arn(`task-definition/${family}:${revision}`),
      family,
      revision,
      status: "ACTIVE",
      body,
      tags: readTags(input),
      registeredAt: this.core.now(),
      registeredBy: this.core.callerArn,
    };
    revisions.push(record);
    this.core.taskDefinitions.set(family, revisions);
    return record;
  }

  /**
   * Finds a task definition by family (latest ACTIVE revision), family:revision or ARN, INACTIVE and
   * DELETE_IN_PROGRESS revisions too (AWS still describes them). Raises ClientException as AWS does
   * when it does not exist.
   */
  find(ref: string): TaskDefinitionRecord {
    const name = ref.startsWith("arn:") ? (ref.split(":task-definition/")[1] ?? "") : ref;
    const [family = "", revisionText] = name.split(":");
    const revisions = this.core.taskDefinitions.get(family) ?? [];
    let record: TaskDefinitionRecord | undefined;
    if (revisionText === undefined) {
      record = revisions.filter((r) => r.status === "ACTIVE").at(-1);
    } else {
      const revision = Number(revisionText);
      record = Number.isInteger(revision) ? revisions[revision - 1] : undefined;
    }
    if (!record) throw clientException("Unable to describe task definition.");
    return record;
  }

  /** A task definition that new tasks and deployments may use: it must be ACTIVE. */
  findDeployable(ref: string): TaskDefinitionRecord {
    const record = this.find(ref);
    if (record.status !== "ACTIVE") throw clientException(`TaskDefinition is inactive`);
    return record;
  }

  readonly operations = {
    RegisterTaskDefinition: (input: Shape) => {
      const record = this.register(input);
      return { taskDefinition: taskDefinitionShape(record), tags: record.tags };
    },
    DescribeTaskDefinition: (input: Shape) => {
      const record = this.find(requireString(input, "taskDefinition", "ClientException"));
      const include = stringList(input, "include");
      return {
        taskDefinition: taskDefinitionShape(record),
        ...(include.includes("TAGS") ? { tags: record.tags } : {}),
      };
    },
    DeregisterTaskDefinition: (input: Shape) => {
      const ref = requireString(input, "taskDefinition", "ClientException");
      const name = ref.startsWith("arn:") ? nameFromArn(ref) : ref;
      if (!name.includes(":")) {
        throw clientException("Revision must be specified: provide family:revision or the full ARN.");
      }
      const record = this.find(ref);
      if (record.status === "ACTIVE") {
        record.status = "INACTIVE";
        record.deregisteredAt = this.core.now();
      }
      return { taskDefinition: taskDefinitionShape(record) };
    },
    // A deleted revision stays DELETE_IN_PROGRESS: AWS removes it only once nothing uses it, at a
    // time of its own, and the simulator never does.
    DeleteTaskDefinitions: (input: Shape) => {
      const refs = stringList(input, "taskDefinitions");
      if (refs.length === 0 || refs.length > 10)
        throw invalidParameter("taskDefinitions must name between 1 and 10 task definitions.");
      const taskDefinitions: Shape[] = [];
      const failures: Shape[] = [];
      for (const ref of refs) {
        const name = ref.startsWith("arn:") ? nameFromArn(ref) : ref;
        if (!name.includes(":")) {
          throw clientException("Revision must be specified: provide family:revision or the full ARN.");
        }
        const record = this.find(ref);
        if (record.status === "ACTIVE") {
          failures.push({ arn: record.arn, reason: "The task definition is ACTIVE: deregister it first." });
          continue;
        }
        record.status = "DELETE_IN_PROGRESS";
        taskDefinitions.push(taskDefinitionShape(record));
      }
      return { taskDefinitions, failures };
    },
    ListTaskDefinitions: (input: Shape) => {
      const family = optionalString(input, "familyPrefix");
      const status = optionalString(input, "status") ?? "ACTIVE";
      if (!["ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"].includes(status))
        throw invalidParameter(`status must be ACTIVE, INACTIVE or DELETE_IN_PROGRESS.`);
      const sort = optionalString(input, "sort") ?? "ASC";
      if (sort !== "ASC" && sort !== "DESC") throw invalidParameter("sort must be ASC or DESC.");
      const all = [...this.core.taskDefinitions.entries()]
        // familyPrefix is, despite its name, the full family name.
        .filter(([name]) => family === undefined || name === family)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .flatMap(([, revisions]) => revisions.filter((r) => r.status === status))
        .map((r) => r.arn);
      if (sort === "DESC") all.reverse();
      return paginate(all, input, "taskDefinitionArns");
    },
    ListTaskDefinitionFamilies: (input: Shape) => {
      const prefix = optionalString(input, "familyPrefix") ?? "";
      const status = optionalString(input, "status") ?? "ACTIVE";
      const families = [...this.core.taskDefinitions.entries()]
        .filter(([name]) => name.startsWith(prefix))
        .filter(([, revisions]) => {
          const active = revisions.some((r) => r.status === "ACTIVE");
          return status === "ALL" || (status === "ACTIVE" ? active : !active);
        })
        .map(([name]) => name)
        .sort();
      return paginate(families, input, "families");
    },
  };
}

/** nextToken / maxResults paging as ECS list operations do it (max 100 per page). */
export function paginate(items: string[], input: Shape, key: string): Shape {
  const max = optionalNumber(input, "maxResults") ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 100)
    throw invalidParameter("maxResults must be between 1 and 100.");
  const token = optionalString(input, "nextToken");
  let start = 0;
  if (token) {
    start = Number(Buffer.from(token, "base64url").toString("utf8").replace(/^ecs:/, ""));
    if (!Number.isInteger(start) || start < 0)
      throw new SimError("InvalidParameterException", "Invalid nextToken.");
  }
  const page = items.slice(start, start + max);
  const next =
    start + max < items.length ? Buffer.from(`ecs:${start + max}`).toString("base64url") : undefined;
  return { [key]: page, ...(next ? { nextToken: next } : {}) };
}

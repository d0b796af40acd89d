// State and helpers shared by the ECS modules (task definitions, tasks, services, rollouts, circuit
// breaker, service deployments): lookups that raise AWS's errors, ids, service events, and optional
// access to the other simulated services (logs, elbv2, ecr) without depending on them.
import { SimError } from "../../framework/errors";
import type { SimRuntime, SimService } from "../../framework/types";
import type { Elbv2Service } from "../elbv2/service";
import type { LogsService } from "../logs/service";
import { BehaviourBook, digestInReference, syntheticDigest } from "./behaviour";
import {
  type ClusterRecord,
  defaultTimings,
  type EcsTimings,
  ecsArn,
  nameFromArn,
  type ServiceRecord,
  type TaskDefinitionRecord,
  type TaskRecord,
} from "./model";
import type { TaskRuntime } from "./task-runtime";

const MAX_EVENTS = 100;

export class EcsCore {
  readonly clusters = new Map<string, ClusterRecord>();
  /** family → revisions (index = revision - 1). */
  readonly taskDefinitions = new Map<string, TaskDefinitionRecord[]>();
  readonly tasks = new Map<string, TaskRecord>();
  readonly behaviours: BehaviourBook;
  /** Digests the scenario pins for images (`ecs.imageDigests`), besides the ones in `images`. */
  readonly digests = new Map<string, string>();
  timings: EcsTimings = { ...defaultTimings };
  /** Create missing awslogs groups instead of failing the task (AWS needs awslogs-create-group). */
  autoCreateLogGroups = false;
  taskRuntime: TaskRuntime | undefined;
  #ipCounter = 0;

  constructor(readonly runtime: SimRuntime) {
    this.behaviours = new BehaviourBook(() => ({
      crashAfterMs: this.timings.crashAfterMs,
      exitAfterMs: this.timings.exitAfterMs,
    }));
  }

  reset(): void {
    this.clusters.clear();
    this.taskDefinitions.clear();
    this.tasks.clear();
    this.behaviours.clear();
    this.digests.clear();
    this.timings = { ...defaultTimings };
    this.autoCreateLogGroups = false;
    this.#ipCounter = 0;
  }

  now(): number {
    return this.runtime.now();
  }

  arn(resource: string): string {
    return ecsArn(this.runtime, resource);
  }

  // ---- lookups -----------------------------------------------------------------------------------

  cluster(ref: string | undefined): ClusterRecord {
    const name = nameFromArn(ref ?? "default");
    const cluster = this.clusters.get(name);
    if (cluster?.status !== "ACTIVE") throw new SimError("ClusterNotFoundException", "Cluster not found.");
    return cluster;
  }

  addCluster(name: string, options: Partial<Omit<ClusterRecord, "arn" | "name">> = {}): ClusterRecord {
    const cluster: ClusterRecord = {
      arn: this.arn(`cluster/${name}`),
      name,
      status: "ACTIVE",
      createdAt: this.now(),
      tags: [],
      settings: [{ name: "containerInsights", value: "disabled" }],
      capacityProviders: [],
      defaultCapacityProviderStrategy: [],
      containerInstances: 0,
      ...options,
    };
    this.clusters.set(name, cluster);
    return cluster;
  }

  /** Services live on their cluster record; this finds one by name or ARN. */
  readonly services = new Map<string, ServiceRecord>();

  serviceKey(cluster: ClusterRecord, name: string): string {
    return `${cluster.name}/${name}`;
  }

  findService(cluster: ClusterRecord, ref: string): ServiceRecord | undefined {
    return this.services.get(this.serviceKey(cluster, nameFromArn(ref)));
  }

  serviceTasks(service: ServiceRecord): TaskRecord[] {
    return [...this.tasks.values()].filter((t) => t.service === service);
  }

  // ---- ids ---------------------------------------------------------------------------------------

  hex(length: number): string {
    return this.runtime.hexId(length);
  }

  digits(length: number): string {
    let out = String(1 + Math.floor(this.runtime.random() * 9));
    while (out.length < length) out += String(Math.floor(this.runtime.random() * 10));
    return out;
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** A private IPv4 address in 10.0.0.0/16 for a task's network interface. */
  nextIp(): string {
    this.#ipCounter++;
    return `10.0.${Math.floor(this.#ipCounter / 250) % 256}.${(this.#ipCounter % 250) + 4}`;
  }

  get callerArn(): string {
    return `arn:aws:iam::${this.runtime.accountId}:root`;
  }

  // ---- service events ----------------------------------------------------------------------------

  event(service: ServiceRecord, message: string): void {
    service.events.unshift({
      id: this.uuid(),
      createdAt: this.now(),
      message: `(service ${service.name}) ${message}`,
    });
    if (service.events.length > MAX_EVENTS) service.events.length = MAX_EVENTS;
  }

  readonly #batched = new WeakMap<ServiceRecord, Map<string, { id: string; items: string[] }>>();

  /**
   * An event about a batch of things ("has stopped 2 running tasks: (task a) (task b)."): more of the
   * same kind at the same moment join the existing event, as ECS reports a batch.
   */
  batchedEvent(
    service: ServiceRecord,
    key: string,
    items: string[],
    render: (items: string[]) => string,
  ): void {
    const now = this.now();
    const batches = this.#batched.get(service) ?? new Map<string, { id: string; items: string[] }>();
    this.#batched.set(service, batches);
    const previous = batches.get(key);
    const event = previous && service.events.find((e) => e.id === previous.id && e.createdAt === now);
    if (previous && event) {
      previous.items.push(...items);
      event.message = `(service ${service.name}) ${render(previous.items)}`;
      return;
    }
    this.event(service, render(items));
    const created = service.events[0];
    if (created) batches.set(key, { id: created.id, items: [...items] });
  }

  // ---- other simulated services (optional) -------------------------------------------------------

  optional<T extends SimService>(name: string): T | undefined {
    try {
      return this.runtime.service<T>(name);
    } catch {
      return undefined;
    }
  }

  logs(): LogsService | undefined {
    return this.optional<LogsService>("logs");
  }

  elb(): Elbv2Service | undefined {
    return this.optional<Elbv2Service>("elbv2");
  }

  /** The digest an image runs at, from what the simulator knows without asking ECR. */
  knownDigest(image: string): string {
    return (
      digestInReference(image) ??
      this.digests.get(image) ??
      this.behaviours.spec(image)?.digest ??
      syntheticDigest(image)
    );
  }

  /**
   * The digest an image runs at: a digest reference carries it; then the scenario; then the ECR
   * simulator when one is registered and holds the image; else a stable synthetic digest.
   */
  async resolveDigest(image: string): Promise<string> {
    const pinned = digestInReference(image) ?? this.digests.get(image) ?? this.behaviours.spec(image)?.digest;
    if (pinned) return pinned;
    const ecr = this.optional<SimService>("ecr");
    if (isEcrLike(ecr)) {
      const found = await ecr.resolveImage(image);
      if (found?.digest) return found.digest;
    }
    return syntheticDigest(image);
  }
}

/** The part of the ECR simulator ECS uses, checked at run time so ECS does not depend on it. */
interface EcrLike {
  resolveImage(image: string): Promise<{ digest: string } | undefined>;
}

function isEcrLike(value: unknown): value is EcrLike {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { resolveImage?: unknown }).resolveImage === "function"
  );
}

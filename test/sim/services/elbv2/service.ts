// Elastic Load Balancing v2 (query protocol): application load balancers and target groups from the
// scenario, and target health that follows the simulated ECS tasks (ECS owns each task's registration
// and its health check history; this service answers for it). Also the listener's forward weights
// that ECS blue/green, linear and canary deployments shift, and the listener rules whose weighted
// forward actions callers read and change (listener-rules.ts).
import { createHash } from "node:crypto";
import type { LoadBalancer, TargetGroup } from "@aws-sdk/client-elastic-load-balancing-v2";
import { SimError } from "../../framework/errors";
import { type Snapshot, snapshotOf } from "../../framework/snapshot";
import type { Shape, SimRuntime, SimService } from "../../framework/types";
import type { TargetRegistration, TargetState, TaskRecord } from "../ecs/model";
import type { TaskEndpoint } from "../ecs/task-runtime";
import { ListenerRules, type RuleRecord, type RuleScenario } from "./listener-rules";

export interface TargetGroupRecord {
  arn: string;
  name: string;
  protocol: string;
  port: number;
  vpcId: string;
  healthCheckPath: string;
  healthCheckIntervalSeconds: number;
  healthCheckTimeoutSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
  matcher: string;
  deregistrationDelaySeconds: number;
  loadBalancerArns: string[];
}

export interface LoadBalancerRecord {
  arn: string;
  name: string;
  dnsName: string;
  createdAt: number;
  targetGroupArns: string[];
  /** Forward weights of the production listener over time, oldest first. */
  weights: { at: number; weights: Record<string, number> }[];
}

/** Scenario section `elbv2`. */
export interface Elbv2Scenario {
  targetGroups?: (Partial<Omit<TargetGroupRecord, "loadBalancerArns">> & { name: string })[];
  loadBalancers?: {
    name: string;
    arn?: string;
    /** Names or ARNs of the target groups its listener forwards to. */
    targetGroups?: string[];
    /** Initial forward weights of the default rule by target group name or ARN (default: all to the first). */
    weights?: Record<string, number>;
    /** Listener rules beside the default one (their target groups must be among `targetGroups`). */
    rules?: RuleScenario[];
  }[];
}

/** What ELBv2 reads from ECS: every registration of a target group, with its task. */
export interface TargetSource {
  registrationsIn(targetGroupArn: string): { task: TaskRecord; registration: TargetRegistration }[];
}

/** A registered target of a target group as the inspection surface shows it, with its task. */
export interface TargetView {
  /** The task's IP address, the target id ELBv2 reports. */
  readonly id: string;
  readonly port: number;
  readonly state: TargetState;
  readonly reason?: string;
  readonly description?: string;
  readonly taskArn: string;
  readonly taskDefinitionArn: string;
  readonly registeredAt: number;
}

/** What tests and the demo see of the simulated ELBv2 (`sim.elbv2`). */
export interface Elbv2Surface {
  targetGroups(): Snapshot<TargetGroup>[];
  loadBalancers(): Snapshot<LoadBalancer>[];
  /** The targets registered in a target group now (draining ones included, deregistered ones gone). */
  targets(targetGroupArn: string): TargetView[];
  /** The listener's forward weights now, by target group ARN, of a load balancer (name or ARN). */
  weights(loadBalancer: string): Readonly<Record<string, number>>;
  /** Every change of those weights, oldest first (the first entry is the scenario's). */
  weightHistory(loadBalancer: string): readonly { at: number; weights: Readonly<Record<string, number>> }[];
  /** The listener rules of every load balancer, as DescribeRules answers them, with their tags. */
  rules(): Snapshot<ListenerRuleView>[];
  /**
   * Where a load balancer sends requests now: the healthy targets of its target groups (whatever
   * service registered them) with each one's share, by the traffic rule's weights, summing to 1.
   */
  servingTargets(loadBalancer: string): Snapshot<ServingTarget>[];
}

export interface ListenerRuleView {
  RuleArn: string;
  Priority: string;
  IsDefault: boolean;
  Actions: unknown[];
  Conditions: unknown[];
  Tags: { Key: string; Value: string }[];
  /** Whether the simulated users' requests match this rule. */
  traffic: boolean;
}

export interface ServingTarget {
  taskArn: string;
  taskDefinitionArn: string;
  targetGroupArn: string;
  endpoint: TaskEndpoint;
  weight: number;
}

const NAMESPACE = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";

function stableId(name: string): string {
  return createHash("sha256").update(name).digest("hex").slice(0, 16);
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export class Elbv2Service implements SimService {
  readonly definition = {
    name: "elbv2",
    signingName: "elasticloadbalancing",
    iamPrefix: "elasticloadbalancing",
    protocol: "query",
    queryVersion: "2015-12-01",
    xmlNamespace: NAMESPACE,
  } as const;
  readonly #targetGroups = new Map<string, TargetGroupRecord>();
  readonly #loadBalancers = new Map<string, LoadBalancerRecord>();

  // A field (not built in the constructor): `operations` below spreads its operations as it is built.
  readonly #rules = new ListenerRules({
    region: () => this.runtime.region,
    accountId: () => this.runtime.accountId,
    findGroupArn: (ref) => this.#findGroup(ref)?.arn,
    otherLoadBalancersOf: (arn, lbArn) =>
      (this.#targetGroups.get(arn)?.loadBalancerArns ?? []).filter((a) => a !== lbArn),
    recordShares: (lbArn, shares) => {
      const lb = this.#loadBalancers.get(lbArn);
      if (!lb) return;
      const weights: Record<string, number> = {};
      for (const arn of lb.targetGroupArns) weights[arn] = shares[arn] ?? 0;
      lb.weights.push({ at: this.runtime.now(), weights });
    },
  });

  /** The state tests and the demo read (`sim.elbv2`). */
  readonly surface: Elbv2Surface = {
    targetGroups: () =>
      [...this.#targetGroups.values()].map((g) => snapshotOf<TargetGroup>(this.#groupShape(g))),
    loadBalancers: () =>
      this.loadBalancers().map((lb) => snapshotOf<LoadBalancer>(this.#loadBalancerShape(lb))),
    targets: (targetGroupArn) =>
      this.registrations(targetGroupArn).map(({ task, registration }) =>
        snapshotOf<TargetView>({
          id: task.privateIp,
          port: registration.port,
          state: registration.state,
          reason: registration.reason,
          description: registration.description,
          taskArn: task.arn,
          taskDefinitionArn: task.taskDefinition.arn,
          registeredAt: registration.registeredAt,
        }),
      ),
    weights: (ref) => {
      const lb = this.loadBalancers().find((l) => l.arn === ref || l.name === ref);
      if (!lb) throw new Error(`the simulated ELBv2 has no load balancer ${ref}`);
      return Object.freeze({ ...this.weightsAt(lb, this.runtime.now()) });
    },
    weightHistory: (ref) => {
      const lb = this.loadBalancers().find((l) => l.arn === ref || l.name === ref);
      if (!lb) throw new Error(`the simulated ELBv2 has no load balancer ${ref}`);
      return lb.weights.map((w) => Object.freeze({ at: w.at, weights: Object.freeze({ ...w.weights }) }));
    },
    rules: () =>
      this.#rules.rules().map((rule) =>
        snapshotOf<ListenerRuleView>({
          ...this.#rules.ruleShape(rule),
          Tags: rule.tags,
          traffic: rule.traffic,
        }),
      ),
    servingTargets: (ref) => {
      const lb = this.loadBalancers().find((l) => l.arn === ref || l.name === ref);
      if (!lb) throw new Error(`the simulated ELBv2 has no load balancer ${ref}`);
      return this.#servingTargets(lb).map((t) => snapshotOf<ServingTarget>(t));
    },
  };

  constructor(private readonly runtime: SimRuntime) {}

  reset(): void {
    this.#targetGroups.clear();
    this.#loadBalancers.clear();
    this.#rules.reset();
  }

  load(section: unknown): void {
    const scenario = section as Elbv2Scenario;
    for (const group of scenario.targetGroups ?? []) this.addTargetGroup(group);
    for (const lb of scenario.loadBalancers ?? []) {
      const record = this.addLoadBalancer(lb.name, lb.arn);
      for (const ref of lb.targetGroups ?? []) {
        const group = this.#findGroup(ref);
        if (!group)
          throw new SimError(
            "InvalidScenario",
            `elbv2: load balancer ${lb.name} names unknown target group ${ref}`,
          );
        record.targetGroupArns.push(group.arn);
        group.loadBalancerArns.push(record.arn);
      }
      const weights: Record<string, number> = {};
      record.targetGroupArns.forEach((arn, index) => {
        const group = this.#targetGroups.get(arn);
        const given = lb.weights?.[arn] ?? (group ? lb.weights?.[group.name] : undefined);
        weights[arn] = given ?? (index === 0 ? 100 : 0);
      });
      record.weights = [{ at: this.runtime.now(), weights }];
      for (const rule of lb.rules ?? []) {
        for (const ref of Object.keys(rule.weights)) {
          const arn = this.#findGroup(ref)?.arn;
          if (!arn || !record.targetGroupArns.includes(arn))
            throw new SimError(
              "InvalidScenario",
              `elbv2: rule ${rule.priority} of ${lb.name} forwards to ${ref}, which is not one of its target groups`,
            );
        }
      }
      this.#rules.add(record, weights, lb.rules ?? []);
    }
  }

  addTargetGroup(
    spec: Partial<Omit<TargetGroupRecord, "loadBalancerArns">> & { name: string },
  ): TargetGroupRecord {
    const arn =
      spec.arn ??
      `arn:aws:elasticloadbalancing:${this.runtime.region}:${this.runtime.accountId}:targetgroup/${spec.name}/${stableId(`tg/${spec.name}`)}`;
    // Defaults are those of a new ALB target group.
    const record: TargetGroupRecord = {
      protocol: "HTTP",
      port: 80,
      vpcId: "vpc-0a1b2c3d4e5f60718",
      healthCheckPath: "/",
      healthCheckIntervalSeconds: 30,
      healthCheckTimeoutSeconds: 5,
      healthyThresholdCount: 5,
      unhealthyThresholdCount: 2,
      matcher: "200",
      deregistrationDelaySeconds: 300,
      ...spec,
      arn,
      loadBalancerArns: [],
    };
    this.#targetGroups.set(arn, record);
    return record;
  }

  addLoadBalancer(name: string, arn?: string): LoadBalancerRecord {
    const id = stableId(`lb/${name}`);
    const record: LoadBalancerRecord = {
      arn:
        arn ??
        `arn:aws:elasticloadbalancing:${this.runtime.region}:${this.runtime.accountId}:loadbalancer/app/${name}/${id}`,
      name,
      dnsName: `${name}-${Number.parseInt(id.slice(0, 8), 16)}.${this.runtime.region}.elb.amazonaws.com`,
      createdAt: this.runtime.now(),
      targetGroupArns: [],
      weights: [{ at: this.runtime.now(), weights: {} }],
    };
    this.#loadBalancers.set(record.arn, record);
    return record;
  }

  #findGroup(ref: string): TargetGroupRecord | undefined {
    return this.#targetGroups.get(ref) ?? [...this.#targetGroups.values()].find((g) => g.name === ref);
  }

  targetGroup(arn: string): TargetGroupRecord | undefined {
    return this.#targetGroups.get(arn);
  }

  loadBalancers(): LoadBalancerRecord[] {
    return [...this.#loadBalancers.values()];
  }

  /** The CloudWatch dimension value of a load balancer: "app/<name>/<id>". */
  static loadBalancerDimension(arn: string): string {
    return arn.split(":loadbalancer/")[1] ?? arn;
  }

  /** The CloudWatch dimension value of a target group: "targetgroup/<name>/<id>". */
  static targetGroupDimension(arn: string): string {
    const resource = arn.split(":").slice(5).join(":");
    return resource.startsWith("targetgroup/") ? resource : arn;
  }

  /** The listener forwards `percent` to the alternate group and the rest to production. */
  setForwardWeights(production: string, alternate: string, percent: number): void {
    for (const lb of this.#loadBalancers.values()) {
      if (!lb.targetGroupArns.includes(production) && !lb.targetGroupArns.includes(alternate)) continue;
      const current = { ...(lb.weights.at(-1)?.weights ?? {}) };
      current[production] = 100 - percent;
      current[alternate] = percent;
      lb.weights.push({ at: this.runtime.now(), weights: current });
      this.#rules.followShift(lb.arn, current);
    }
  }

  /** Healthy targets of the load balancer's groups, each with its share of the requests now. */
  #servingTargets(lb: LoadBalancerRecord): ServingTarget[] {
    const shares = this.weightsAt(lb, this.runtime.now());
    const total = Object.values(shares).reduce((sum, share) => sum + share, 0);
    const out: ServingTarget[] = [];
    for (const arn of lb.targetGroupArns) {
      const serving = this.registrations(arn).filter(
        (r) => r.registration.state === "healthy" && r.task.endpoint !== undefined,
      );
      const share = total > 0 ? (shares[arn] ?? 0) / total : 0;
      if (share === 0 || serving.length === 0) continue;
      for (const { task } of serving) {
        out.push({
          taskArn: task.arn,
          taskDefinitionArn: task.taskDefinition.arn,
          targetGroupArn: arn,
          endpoint: { ...(task.endpoint as TaskEndpoint) },
          weight: share / serving.length,
        });
      }
    }
    const sum = out.reduce((s, t) => s + t.weight, 0);
    return out.map((t) => ({ ...t, weight: sum > 0 ? t.weight / sum : 0 }));
  }

  #tagsOf(arn: string): { Key: string; Value: string }[] {
    const found = this.#rules.tagsOf(arn);
    if (found) return found;
    if (this.#loadBalancers.has(arn) || this.#targetGroups.has(arn)) return [];
    if (arn.includes(":listener-rule/")) throw new SimError("RuleNotFound", "One or more rules not found");
    if (arn.includes(":listener/")) throw new SimError("ListenerNotFound", "One or more listeners not found");
    if (arn.includes(":targetgroup/"))
      throw new SimError("TargetGroupNotFound", "One or more target groups not found");
    throw new SimError("LoadBalancerNotFound", "One or more load balancers not found");
  }

  weightsAt(lb: LoadBalancerRecord, at: number): Record<string, number> {
    let found = lb.weights[0]?.weights ?? {};
    for (const entry of lb.weights) {
      if (entry.at > at) break;
      found = entry.weights;
    }
    return found;
  }

  #targets(): TargetSource | undefined {
    try {
      const ecs = this.runtime.service<SimService>("ecs") as unknown as Partial<TargetSource>;
      return typeof ecs.registrationsIn === "function" ? (ecs as TargetSource) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Live registrations of a target group (draining ones included, deregistered ones gone). */
  registrations(targetGroupArn: string): { task: TaskRecord; registration: TargetRegistration }[] {
    return (this.#targets()?.registrationsIn(targetGroupArn) ?? []).filter(
      (r) => r.registration.removedAt === undefined,
    );
  }

  snapshot(): unknown {
    return {
      loadBalancers: this.loadBalancers().map((lb) => ({ arn: lb.arn, weights: lb.weights.at(-1)?.weights })),
      rules: this.#rules
        .rules()
        .map((r: RuleRecord) => ({ arn: r.arn, priority: r.priority, forward: r.forward })),
      targetGroups: [...this.#targetGroups.values()].map((g) => ({
        arn: g.arn,
        targets: this.registrations(g.arn).map((r) => ({
          id: r.task.privateIp,
          port: r.registration.port,
          state: r.registration.state,
        })),
      })),
    };
  }

  #groupShape(group: TargetGroupRecord): Shape {
    return {
      TargetGroupArn: group.arn,
      TargetGroupName: group.name,
      Protocol: group.protocol,
      Port: group.port,
      VpcId: group.vpcId,
      HealthCheckProtocol: group.protocol,
      HealthCheckPort: "traffic-port",
      HealthCheckEnabled: true,
      HealthCheckIntervalSeconds: group.healthCheckIntervalSeconds,
      HealthCheckTimeoutSeconds: group.healthCheckTimeoutSeconds,
      HealthyThresholdCount: group.healthyThresholdCount,
      UnhealthyThresholdCount: group.unhealthyThresholdCount,
      HealthCheckPath: group.healthCheckPath,
      Matcher: { HttpCode: group.matcher },
      LoadBalancerArns: group.loadBalancerArns,
      TargetType: "ip",
      ProtocolVersion: "HTTP1",
      IpAddressType: "ipv4",
    };
  }

  #loadBalancerShape(lb: LoadBalancerRecord): Shape {
    return {
      LoadBalancerArn: lb.arn,
      DNSName: lb.dnsName,
      CanonicalHostedZoneId: "Z32O12XQLNTSW2",
      CreatedTime: new Date(lb.createdAt),
      LoadBalancerName: lb.name,
      Scheme: "internet-facing",
      VpcId: "vpc-0a1b2c3d4e5f60718",
      State: { Code: "active" },
      // The ARN says the kind: loadbalancer/app/…, loadbalancer/net/…, loadbalancer/gwy/….
      Type: /:loadbalancer\/net\//.test(lb.arn)
        ? "network"
        : /:loadbalancer\/gwy\//.test(lb.arn)
          ? "gateway"
          : "application",
      IpAddressType: "ipv4",
    };
  }

  readonly operations = {
    ...this.#rules.operations,

    DescribeTags: (input: Shape) => {
      const arns = list(input.ResourceArns) as string[];
      if (arns.length === 0 || arns.length > 20)
        throw new SimError("ValidationError", "ResourceArns must name between 1 and 20 resources");
      return { TagDescriptions: arns.map((arn) => ({ ResourceArn: arn, Tags: this.#tagsOf(arn) })) };
    },

    DescribeTargetHealth: (input: Shape) => {
      const arn = String(input.TargetGroupArn ?? "");
      const group = this.#targetGroups.get(arn);
      if (!group) throw new SimError("TargetGroupNotFound", "One or more target groups not found");
      const live = this.registrations(arn);
      const describe = (r: { task: TaskRecord; registration: TargetRegistration }): Shape => ({
        Target: {
          Id: r.task.privateIp,
          Port: r.registration.port,
          AvailabilityZone: r.task.availabilityZone,
        },
        HealthCheckPort: String(r.registration.port),
        TargetHealth: {
          State: r.registration.state,
          Reason: r.registration.reason,
          Description: r.registration.description,
        },
      });
      const requested = list(input.Targets) as { Id?: string; Port?: string }[];
      if (requested.length === 0) return { TargetHealthDescriptions: live.map(describe) };
      return {
        TargetHealthDescriptions: requested.map((target) => {
          const port = target.Port !== undefined ? Number(target.Port) : group.port;
          const found = live.find((r) => r.task.privateIp === target.Id && r.registration.port === port);
          if (found) return describe(found);
          return {
            Target: { Id: target.Id, Port: port },
            HealthCheckPort: String(port),
            TargetHealth: {
              State: "unused",
              Reason: "Target.NotRegistered",
              Description: "Target is not registered to the target group",
            },
          };
        }),
      };
    },

    DescribeTargetGroups: (input: Shape) => {
      const arns = list(input.TargetGroupArns) as string[];
      const names = list(input.Names) as string[];
      const lbArn = input.LoadBalancerArn as string | undefined;
      if (lbArn && !this.#loadBalancers.has(lbArn)) {
        throw new SimError("LoadBalancerNotFound", "One or more load balancers not found");
      }
      let groups = [...this.#targetGroups.values()];
      if (arns.length > 0) groups = arns.map((a) => this.#targetGroups.get(a)).filter((g) => g !== undefined);
      if (names.length > 0) groups = groups.filter((g) => names.includes(g.name));
      if (lbArn) groups = groups.filter((g) => g.loadBalancerArns.includes(lbArn));
      if (groups.length < Math.max(arns.length, names.length)) {
        throw new SimError("TargetGroupNotFound", "One or more target groups not found");
      }
      return { TargetGroups: groups.map((g) => this.#groupShape(g)) };
    },

    DescribeTargetGroupAttributes: (input: Shape) => {
      const group = this.#targetGroups.get(String(input.TargetGroupArn ?? ""));
      if (!group) throw new SimError("TargetGroupNotFound", "One or more target groups not found");
      return {
        Attributes: [
          { Key: "deregistration_delay.timeout_seconds", Value: String(group.deregistrationDelaySeconds) },
          { Key: "stickiness.enabled", Value: "false" },
          { Key: "load_balancing.algorithm.type", Value: "round_robin" },
          { Key: "slow_start.duration_seconds", Value: "0" },
        ],
      };
    },

    DescribeLoadBalancers: (input: Shape) => {
      const arns = list(input.LoadBalancerArns) as string[];
      const names = list(input.Names) as string[];
      let lbs = this.loadBalancers();
      if (arns.length > 0) lbs = lbs.filter((lb) => arns.includes(lb.arn));
      if (names.length > 0) lbs = lbs.filter((lb) => names.includes(lb.name));
      if (lbs.length < Math.max(arns.length, names.length)) {
        throw new SimError("LoadBalancerNotFound", "One or more load balancers not found");
      }
      return { LoadBalancers: lbs.map((lb) => this.#loadBalancerShape(lb)) };
    },
  };
}

export const elbv2Service = (runtime: SimRuntime): Elbv2Service => new Elbv2Service(runtime);

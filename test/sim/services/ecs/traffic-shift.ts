// Native ECS blue/green, linear and canary deployments (deploymentConfiguration.strategy): the green
// revision scales up beside blue in the alternate target group, then production traffic shifts
// (all at once, in linear steps, or canary then the rest), a bake time passes with both running, and
// blue is cleaned up. Running counts reach the desired count long before the deployment finishes,
// which is why clients must wait on the service deployment's status.
import { SimError } from "../../framework/errors";
import type { EcsCore } from "./core";
import type { LifecycleStage, ServiceDeploymentRecord, ServiceRecord, Shape } from "./model";
import type { Rollouts, TrafficShifter } from "./rollout";
import { isTerminal, type ServiceDeployments } from "./service-deployments";
import type { Tasks } from "./tasks";

/** Stages that pass by themselves after the configured stage time. */
const NEXT_STAGE: Partial<Record<LifecycleStage, LifecycleStage>> = {
  PRE_SCALE_UP: "SCALE_UP",
  POST_SCALE_UP: "TEST_TRAFFIC_SHIFT",
  TEST_TRAFFIC_SHIFT: "POST_TEST_TRAFFIC_SHIFT",
  // PRE_PRODUCTION_TRAFFIC_SHIFT is a point at which a lifecycle hook can run, not a stage a service
  // deployment reports: after the test traffic shift comes the production traffic shift.
  POST_TEST_TRAFFIC_SHIFT: "PRODUCTION_TRAFFIC_SHIFT",
  POST_PRODUCTION_TRAFFIC_SHIFT: "BAKE_TIME",
};

const MINUTE = 60_000;

export class TrafficShift implements TrafficShifter {
  constructor(
    private readonly core: EcsCore,
    private readonly tasks: Tasks,
    private readonly serviceDeployments: ServiceDeployments,
    private readonly rollouts: Rollouts,
  ) {}

  manages(serviceDeployment: ServiceDeploymentRecord): boolean {
    return serviceDeployment.strategy !== "ROLLING" && serviceDeployment.sourceRevisions.length > 0;
  }

  begin(serviceDeployment: ServiceDeploymentRecord): void {
    this.#enter(serviceDeployment, "PRE_SCALE_UP");
  }

  #after(serviceDeployment: ServiceDeploymentRecord, delayMs: number, label: string, run: () => void): void {
    if (serviceDeployment.stageTimer !== undefined)
      this.core.runtime.scheduler.cancel(serviceDeployment.stageTimer);
    serviceDeployment.stageTimer = this.core.runtime.scheduler.after(
      delayMs,
      `${serviceDeployment.arn} ${label}`,
      () => {
        delete serviceDeployment.stageTimer;
        run();
      },
    );
  }

  #enter(serviceDeployment: ServiceDeploymentRecord, stage: LifecycleStage): void {
    if (isTerminal(serviceDeployment.status) || serviceDeployment.status.startsWith("ROLLBACK")) return;
    serviceDeployment.lifecycleStage = stage;
    serviceDeployment.updatedAt = this.core.now();
    const stageMs = this.core.timings.lifecycleStageMs;
    const next = NEXT_STAGE[stage];
    if (next) {
      this.#after(serviceDeployment, stageMs, next, () => this.#enter(serviceDeployment, next));
    }
    if (stage === "SCALE_UP") this.rollouts.schedule(serviceDeployment.service, 0);
    if (stage === "PRODUCTION_TRAFFIC_SHIFT") this.#shiftProduction(serviceDeployment);
    if (stage === "BAKE_TIME") {
      const bake =
        ((serviceDeployment.deploymentConfiguration.bakeTimeInMinutes as number | undefined) ?? 0) * MINUTE;
      this.#after(serviceDeployment, bake, "CLEAN_UP", () => this.#enter(serviceDeployment, "CLEAN_UP"));
    }
    if (stage === "CLEAN_UP") this.#cleanUp(serviceDeployment);
  }

  /** Moves production traffic to green as the strategy says, then on to POST_PRODUCTION_TRAFFIC_SHIFT. */
  #shiftProduction(serviceDeployment: ServiceDeploymentRecord): void {
    const config = serviceDeployment.deploymentConfiguration;
    const done = (): void => {
      this.#shift(serviceDeployment, 100);
      this.#after(
        serviceDeployment,
        this.core.timings.lifecycleStageMs,
        "POST_PRODUCTION_TRAFFIC_SHIFT",
        () => this.#enter(serviceDeployment, "POST_PRODUCTION_TRAFFIC_SHIFT"),
      );
    };
    if (serviceDeployment.strategy === "CANARY") {
      const canary = (config.canaryConfiguration as Shape | undefined) ?? {};
      this.#shift(serviceDeployment, (canary.canaryPercent as number | undefined) ?? 5);
      const bake = ((canary.canaryBakeTimeInMinutes as number | undefined) ?? 10) * MINUTE;
      this.#after(serviceDeployment, bake, "canary baked", done);
      return;
    }
    if (serviceDeployment.strategy === "LINEAR") {
      const linear = (config.linearConfiguration as Shape | undefined) ?? {};
      const step = (linear.stepPercent as number | undefined) ?? 10;
      const bake = ((linear.stepBakeTimeInMinutes as number | undefined) ?? 6) * MINUTE;
      const advance = (): void => {
        const next = Math.min(100, serviceDeployment.productionTrafficPercent + step);
        if (next >= 100) {
          done();
          return;
        }
        this.#shift(serviceDeployment, next);
        this.#after(serviceDeployment, bake, "linear step", advance);
      };
      advance();
      return;
    }
    done();
  }

  /** Sets the production listener weights: `percent` to green, the rest to blue. */
  #shift(serviceDeployment: ServiceDeploymentRecord, percent: number): void {
    serviceDeployment.productionTrafficPercent = percent;
    serviceDeployment.updatedAt = this.core.now();
    const service = serviceDeployment.service;
    const elb = this.core.elb();
    service.config.loadBalancers.forEach((entry, index) => {
      const pair = this.#pair(service, entry, index);
      if (pair) elb?.setForwardWeights(pair.production, pair.alternate, percent);
    });
  }

  #pair(
    service: ServiceRecord,
    entry: Shape,
    index: number,
  ): { production: string; alternate: string } | undefined {
    const advanced = (entry.advancedConfiguration as Shape | undefined) ?? {};
    const first = entry.targetGroupArn;
    const second = advanced.alternateTargetGroupArn;
    if (typeof first !== "string" || typeof second !== "string") return undefined;
    const production = service.productionTargetGroups.get(index) ?? first;
    return { production, alternate: production === first ? second : first };
  }

  /** Green becomes production; blue's tasks drain and stop. */
  #cleanUp(serviceDeployment: ServiceDeploymentRecord): void {
    const service = serviceDeployment.service;
    const green = serviceDeployment.deployment;
    service.config.loadBalancers.forEach((entry, index) => {
      const pair = this.#pair(service, entry, index);
      if (pair) service.productionTargetGroups.set(index, pair.alternate);
    });
    for (const deployment of service.deployments)
      deployment.targetGroupRole = deployment === green ? "production" : "alternate";
    const blue = this.rollouts.activeTasks(service).filter((t) => t.deployment !== green);
    this.rollouts.stopTasks(service, blue, green);
    this.rollouts.schedule(service);
  }

  reconcile(service: ServiceRecord, serviceDeployment: ServiceDeploymentRecord): void {
    const green = serviceDeployment.deployment;
    const desired = service.desiredCount;
    if (serviceDeployment.status.startsWith("ROLLBACK")) {
      if (this.rollouts.liveTasks(service, green).length === 0) {
        this.serviceDeployments.setStatus(serviceDeployment, "ROLLBACK_SUCCESSFUL");
        service.steady = false;
      }
      return;
    }
    if (serviceDeployment.status === "STOP_REQUESTED") return;
    const stage = serviceDeployment.lifecycleStage;
    if (green.rolloutState === "IN_PROGRESS" && stage !== "PRE_SCALE_UP" && stage !== undefined) {
      // Green scales to 100 % beside blue: maximumPercent does not limit it.
      this.rollouts.launchUpTo(service, green, desired, Number.POSITIVE_INFINITY);
    }
    const healthy = this.rollouts.activeTasks(service, green).filter((t) => this.tasks.isHealthy(t)).length;
    if (stage === "SCALE_UP" && healthy >= desired) this.#enter(serviceDeployment, "POST_SCALE_UP");
    if (stage === "CLEAN_UP") {
      const blueLive = service.deployments.filter(
        (d) => d !== green && this.rollouts.liveTasks(service, d).length > 0,
      );
      if (blueLive.length === 0 && healthy >= desired) {
        this.rollouts.complete(service, green);
        this.rollouts.schedule(service);
      }
    }
  }

  failed(
    serviceDeployment: ServiceDeploymentRecord,
    what: string,
    rollback: boolean,
    rolledBack: string,
  ): void {
    if (rollback) {
      this.#rollBack(serviceDeployment, "ROLLBACK_IN_PROGRESS", rolledBack);
      return;
    }
    if (serviceDeployment.stageTimer !== undefined)
      this.core.runtime.scheduler.cancel(serviceDeployment.stageTimer);
    delete serviceDeployment.stageTimer;
    if (serviceDeployment.productionTrafficPercent > 0) this.#shift(serviceDeployment, 0);
    this.serviceDeployments.setStatus(serviceDeployment, "STOPPED", `Service deployment failed: ${what}.`);
  }

  stop(serviceDeployment: ServiceDeploymentRecord, stopType: "ABORT" | "ROLLBACK"): void {
    if (serviceDeployment.lifecycleStage === "CLEAN_UP") {
      throw new SimError(
        "ConflictException",
        "The service deployment is cleaning up the source revision and cannot be stopped.",
      );
    }
    if (stopType === "ROLLBACK") {
      this.#rollBack(
        serviceDeployment,
        "ROLLBACK_REQUESTED",
        "Service deployment rolled back because of a user request.",
      );
      return;
    }
    const green = serviceDeployment.deployment;
    if (serviceDeployment.stageTimer !== undefined)
      this.core.runtime.scheduler.cancel(serviceDeployment.stageTimer);
    delete serviceDeployment.stageTimer;
    this.serviceDeployments.setStatus(
      serviceDeployment,
      "STOP_REQUESTED",
      "Service deployment stop requested by the user.",
    );
    this.core.runtime.scheduler.after(this.core.timings.schedulerDelayMs, `abort ${green.id}`, () => {
      if (green.rolloutState === "IN_PROGRESS") {
        green.rolloutState = "FAILED";
        green.rolloutStateReason = `ECS deployment ${green.id} stopped by user request.`;
      }
      this.serviceDeployments.setStatus(
        serviceDeployment,
        "STOPPED",
        "Service deployment stopped by the user.",
      );
    });
  }

  /** Production traffic back to blue, blue PRIMARY again, green's tasks stopped. */
  #rollBack(
    serviceDeployment: ServiceDeploymentRecord,
    status: "ROLLBACK_REQUESTED" | "ROLLBACK_IN_PROGRESS",
    reason: string,
  ): void {
    const service = serviceDeployment.service;
    const green = serviceDeployment.deployment;
    const now = this.core.now();
    if (serviceDeployment.stageTimer !== undefined)
      this.core.runtime.scheduler.cancel(serviceDeployment.stageTimer);
    delete serviceDeployment.stageTimer;
    const blue = service.deployments.find(
      (d) => d !== green && this.rollouts.liveTasks(service, d).length > 0,
    );
    this.serviceDeployments.setStatus(serviceDeployment, status, reason);
    const blueRevision = blue?.revision ?? serviceDeployment.sourceRevisions.at(-1);
    if (blueRevision)
      serviceDeployment.rollback = { reason, startedAt: now, serviceRevisionArn: blueRevision.arn };
    this.#shift(serviceDeployment, 0);
    if (green.rolloutState === "IN_PROGRESS") {
      green.rolloutState = "FAILED";
      green.rolloutStateReason = `ECS deployment ${green.id} rolled back: ${reason}`;
    }
    green.status = "ACTIVE";
    green.updatedAt = now;
    if (blue) {
      blue.status = "PRIMARY";
      blue.updatedAt = now;
      service.deployments = [blue, ...service.deployments.filter((d) => d !== blue)];
      service.config = structuredClone(blue.revision.config);
      this.core.event(
        service,
        `(deployment ${green.id}) rolling back: production traffic returned to deployment ${blue.id}.`,
      );
    }
    this.rollouts.stopTasks(service, this.rollouts.activeTasks(service, green), blue ?? green);
    this.rollouts.schedule(service);
  }
}

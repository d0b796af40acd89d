// Failing a deployment and rolling it back: what the circuit breaker or a deployment alarm does when it
// trips (rolloutState FAILED, then a rollout back to the last COMPLETED deployment when rollback is on,
// none on a first deployment), and StopServiceDeployment (ROLLBACK works without rollback configured).
import { SimError } from "../../framework/errors";
import type { EcsCore } from "./core";
import {
  type DeploymentRecord,
  type ServiceDeploymentRecord,
  type ServiceRecord,
  type ServiceRevisionRecord,
  type Shape,
  taskDefinitionLabel,
} from "./model";
import type { Rollouts } from "./rollout";
import type { ServiceDeployments } from "./service-deployments";
import type { TaskDefinitions } from "./task-definitions";

export interface FailureCause {
  /** "circuit breaker" or "alarm". */
  by: "circuit-breaker" | "alarm";
  /** AWS's wording of what failed, e.g. "tasks failed to start". */
  what: string;
}

export class Rollbacks {
  constructor(
    private readonly core: EcsCore,
    private readonly rollouts: Rollouts,
    private readonly taskDefinitions: TaskDefinitions,
    private readonly serviceDeployments: ServiceDeployments,
  ) {}

  /**
   * A failure detector (circuit breaker or alarm) failed the deployment: rolloutState FAILED; with
   * rollback on and an earlier COMPLETED deployment, a new deployment back to it; otherwise the
   * service deployment stops (the failed deployment launches no more tasks).
   */
  deploymentFailed(
    service: ServiceRecord,
    deployment: DeploymentRecord,
    cause: FailureCause,
    rollback: boolean,
  ): void {
    if (deployment.rolloutState !== "IN_PROGRESS") return;
    const now = this.core.now();
    const serviceDeployment = deployment.serviceDeployment;
    const detector = cause.by === "alarm" ? "ECS deployment alarm" : "ECS deployment circuit breaker";
    deployment.rolloutState = "FAILED";
    deployment.rolloutStateReason = `${detector}: ${cause.what}.`;
    deployment.updatedAt = now;
    this.core.event(service, `(deployment ${deployment.id}) deployment failed: ${cause.what}.`);
    const detectorName =
      cause.by === "alarm"
        ? "a CloudWatch alarm went into ALARM"
        : "the circuit breaker threshold was exceeded";
    const rolledBack = `Service deployment rolled back because ${detectorName}.`;
    if (this.rollouts.shifter?.manages(serviceDeployment) && deployment === serviceDeployment.deployment) {
      this.rollouts.shifter.failed(serviceDeployment, cause.what, rollback, rolledBack);
      return;
    }
    if (deployment === serviceDeployment.rollbackDeployment) {
      this.serviceDeployments.setStatus(
        serviceDeployment,
        "ROLLBACK_FAILED",
        `Service deployment rollback failed: ${cause.what}.`,
      );
      return;
    }
    const target = service.lastCompleted;
    if (rollback && target && target !== deployment) {
      this.rollback(serviceDeployment, target.revision, {
        status: "ROLLBACK_IN_PROGRESS",
        reason: rolledBack,
        rolloutReason: `${detector}: rolling back to deploymentId ${target.id}.`,
        rollbackTo: target,
      });
      return;
    }
    this.serviceDeployments.setStatus(
      serviceDeployment,
      "STOPPED",
      `Service deployment failed because ${detectorName}.`,
    );
  }

  /** Starts the rollout back to `revision` for a service deployment. */
  rollback(
    serviceDeployment: ServiceDeploymentRecord,
    revision: ServiceRevisionRecord,
    options: {
      status: "ROLLBACK_REQUESTED" | "ROLLBACK_IN_PROGRESS";
      reason: string;
      rolloutReason: string;
      rollbackTo?: DeploymentRecord;
    },
  ): DeploymentRecord {
    const service = serviceDeployment.service;
    this.serviceDeployments.setStatus(serviceDeployment, options.status, options.reason);
    serviceDeployment.rollback = {
      reason: options.reason,
      startedAt: this.core.now(),
      serviceRevisionArn: revision.arn,
    };
    const failed = serviceDeployment.deployment;
    const rollout = this.rollouts.startDeployment(service, revision, {
      rollbackOf: serviceDeployment,
      rolloutReason: options.rolloutReason,
    });
    const label = taskDefinitionLabel(this.taskDefinitions.find(revision.config.taskDefinitionArn));
    const to = options.rollbackTo ? ` (deployment ${options.rollbackTo.id})` : "";
    this.core.event(
      service,
      `(deployment ${rollout.id}) rolling back deployment ${failed.id} to task definition ${label}${to}.`,
    );
    return rollout;
  }

  /** StopServiceDeployment on a PENDING or IN_PROGRESS service deployment. */
  stopServiceDeployment(serviceDeployment: ServiceDeploymentRecord, stopType: "ABORT" | "ROLLBACK"): void {
    const service = serviceDeployment.service;
    if (this.rollouts.shifter?.manages(serviceDeployment)) {
      this.rollouts.shifter.stop(serviceDeployment, stopType);
      return;
    }
    const deployment = serviceDeployment.deployment;
    if (stopType === "ABORT") {
      this.serviceDeployments.setStatus(
        serviceDeployment,
        "STOP_REQUESTED",
        "Service deployment stop requested by the user.",
      );
      this.core.runtime.scheduler.after(this.core.timings.schedulerDelayMs, `abort ${deployment.id}`, () => {
        if (deployment.rolloutState === "IN_PROGRESS") {
          deployment.rolloutState = "FAILED";
          deployment.rolloutStateReason = `ECS deployment ${deployment.id} stopped by user request.`;
          deployment.updatedAt = this.core.now();
        }
        this.serviceDeployments.setStatus(
          serviceDeployment,
          "STOPPED",
          "Service deployment stopped by the user.",
        );
        this.core.event(service, `(deployment ${deployment.id}) deployment stopped by user request.`);
      });
      return;
    }
    const source = this.#rollbackSource(serviceDeployment);
    if (!source) {
      throw new SimError(
        "InvalidParameterException",
        "The service deployment has no source service revision to roll back to.",
      );
    }
    if (deployment.rolloutState === "IN_PROGRESS") {
      deployment.rolloutState = "FAILED";
      deployment.rolloutStateReason = `ECS deployment ${deployment.id} stopped: rollback requested by user.`;
      deployment.updatedAt = this.core.now();
    }
    const previous = service.lastCompleted?.revision === source ? service.lastCompleted : undefined;
    this.rollback(serviceDeployment, source, {
      status: "ROLLBACK_REQUESTED",
      reason: "Service deployment rolled back because of a user request.",
      rolloutReason: `ECS deployment rolling back to the previous service revision by user request.`,
      ...(previous ? { rollbackTo: previous } : {}),
    });
  }

  /** The revision a user-requested rollback returns to: the last completed one among the sources. */
  #rollbackSource(serviceDeployment: ServiceDeploymentRecord): ServiceRevisionRecord | undefined {
    const sources = serviceDeployment.sourceRevisions;
    const completed = serviceDeployment.service.lastCompleted?.revision;
    if (completed && sources.includes(completed)) return completed;
    return sources.at(-1);
  }

  /** Fails the PRIMARY deployment when one of its deployment alarms goes into ALARM. */
  triggerAlarm(service: ServiceRecord, alarmName: string): boolean {
    const primary = service.deployments[0];
    if (!primary) return false;
    const serviceDeployment = primary.serviceDeployment;
    const alarms = serviceDeployment.alarms;
    if (alarms.status !== "MONITORING" || !alarms.alarmNames.includes(alarmName)) return false;
    alarms.triggeredAlarmNames.push(alarmName);
    alarms.status = "TRIGGERED";
    const settings = (serviceDeployment.deploymentConfiguration.alarms as Shape | undefined) ?? {};
    this.deploymentFailed(
      service,
      serviceDeployment.deployment,
      { by: "alarm", what: `alarm ${alarmName} is in ALARM state` },
      settings.rollback === true,
    );
    return true;
  }
}

// ecs-deploy: read the services and the task definition, decide what changes (registering only a
// definition AWS does not already hold), record the rollback target, update the services, follow the
// rollouts to SUCCESSFUL, and explain a failure with events, stopped tasks and log tails.
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { type ContainerDefinition, ECSClient, type ServiceRevision } from "@aws-sdk/client-ecs";
import {
  awsSettingsFromInputs,
  createAwsClient,
  resolveRegion,
  warnIfBeyondSessionLife,
} from "@shipline/core/aws/clients";
import { awsUserError } from "@shipline/core/aws/errors";
import { failureFix } from "@shipline/core/ecs/failure-explainer";
import { pruneRevisions } from "@shipline/core/ecs/revision-hygiene";
import { ServiceDeploymentsApi } from "@shipline/core/ecs/service-deployments";
import { perServiceOutput } from "@shipline/core/ecs/services-input";
import { containerImages, familyOf, revisionLabel } from "@shipline/core/ecs/task-definition";
import { CancelledError, errorMessage, UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";
import { GitHubDeploymentRecord } from "./github-deployment";
import { type Inputs, inputSpec } from "./inputs";
import { outputSpec } from "./outputs";
import { reportPlan } from "./plan-mode";
import { type DeployPlan, prepareDeploy } from "./prepare";
import {
  type DeployReport,
  type DeployStatus,
  mixedState,
  overallStatus,
  serviceReport,
  writeSummary,
} from "./report";
import {
  type FollowSettings,
  followAll,
  handleCancellation,
  isCancellation,
  registerTaskDefinition,
  type ServiceOutcome,
  type StartedRollout,
  startRollout,
} from "./rollout-phase";
import { settingsFrom } from "./settings";

/** `image@digest` per container from the service revision that ran, else the definition's images. */
function imagesFrom(
  revision: ServiceRevision | undefined,
  definitionImages: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = { ...definitionImages };
  for (const c of revision?.containerImages ?? []) {
    if (!c.containerName || !c.image) continue;
    out[c.containerName] =
      c.image.includes("@") || !c.imageDigest
        ? c.image
        : `${c.image.replace(/:[^:/]+$/, "")}@${c.imageDigest}`;
  }
  return out;
}

export async function main(context: ActionContext): Promise<void> {
  const inputs = context.inputs(inputSpec);
  const settings = settingsFrom(inputs, context.env);
  const outputs = context.outputs(outputSpec);
  const { logger, clock } = context;
  const startedAt = clock.now();
  const aws = awsSettingsFromInputs(inputs);
  resolveRegion(aws, context.env);
  if (inputs.wait && !inputs.plan) warnIfBeyondSessionLife(inputs.waitTimeout, "wait-timeout", logger);
  const ecs = createAwsClient(ECSClient, aws, { logger });
  const logs = createAwsClient(CloudWatchLogsClient, aws, { logger });
  const api = new ServiceDeploymentsApi(ecs, logger);

  const plan: DeployPlan = await logger.group("Read the services and the task definition", () =>
    prepareDeploy(ecs, api, inputs, settings, logger),
  );
  const names = plan.services.map((s) => s.name);
  const report: DeployReport = {
    status: "planned",
    cluster: plan.cluster,
    taskDefinitionArn: plan.reuse?.arn,
    registered: false,
    rollbackTargets: Object.fromEntries(plan.services.map((s) => [s.name, s.rollbackTarget ?? null])),
    changes: plan.changes,
    services: plan.services.map((s) => ({
      name: s.name,
      action: s.action.kind,
      why: s.action.why,
      status: "planned",
      reason: s.action.why,
      serviceDeploymentArn: null,
    })),
    images: plan.reuse ? containerImages(plan.reuse.definition) : containerImages(plan.rendered),
    deregistered: [],
    githubDeploymentId: null,
    planCommentUrl: null,
    durationSeconds: 0,
  };
  const previous = Object.fromEntries(
    plan.services.map((s) => [s.name, s.rollbackTarget?.taskDefinitionArn]),
  );
  for (const s of plan.services) {
    logger.info(
      s.rollbackTarget
        ? `${s.name}: rollback target ${revisionLabel(s.rollbackTarget.taskDefinitionArn)} (${s.rollbackTarget.source}${s.rollbackTarget.images.length ? `; ${s.rollbackTarget.images.map((i) => `${i.container} ${i.digest ?? i.image}`).join(", ")}` : ""}).`
        : `${s.name}: no rollback target (${s.noRollbackTarget ?? "none found"}).`,
    );
  }
  let outcomes: ServiceOutcome[] = [];
  const publish = (status: DeployStatus): void => {
    report.status = status;
    report.durationSeconds = Math.round((clock.now() - startedAt) / 100) / 10;
    if (outcomes.length > 0) {
      report.services = outcomes.map((o) =>
        serviceReport(o, plan.services.find((s) => s.name === o.name)?.action.why ?? ""),
      );
    }
    outputs.setAll({
      "task-definition-arn": report.taskDefinitionArn ?? "",
      "previous-task-definition-arn": perServiceOutput(names, previous),
      "service-deployment-arn": perServiceOutput(
        names,
        Object.fromEntries(report.services.map((s) => [s.name, s.serviceDeploymentArn ?? undefined])),
      ),
      images: report.images,
      status,
      "duration-seconds": String(report.durationSeconds),
      report,
    });
  };

  if (inputs.plan) {
    // The plan is made even when the pull-request comment cannot be written: its outputs are set.
    try {
      const url = await logger.group("Plan", () => reportPlan(context, inputs, plan));
      report.planCommentUrl = url ?? null;
    } finally {
      publish("planned");
    }
    return;
  }

  /** The revision to deploy: the identical one AWS already holds, else one registered now. */
  const ensureRegistered = async (): Promise<{
    arn: string;
    containers: readonly ContainerDefinition[];
  }> => {
    if (plan.reuse)
      return { arn: plan.reuse.arn, containers: plan.reuse.definition.containerDefinitions ?? [] };
    const registered = await logger.group("Register the task definition", () =>
      registerTaskDefinition(ecs, plan.rendered, logger),
    );
    report.registered = true;
    report.taskDefinitionArn = registered.arn;
    return registered;
  };

  if (inputs.registerOnly) {
    // For a one-off task (a migration) that must run the new image before the services do. A later
    // ecs-deploy with the same inputs finds this revision (the family's newest, identical) and reuses it.
    const { arn } = await ensureRegistered();
    if (!report.registered) {
      logger.info(`AWS already holds this task definition as ${revisionLabel(arn)}: nothing registered.`);
    }
    logger.info(`register-only: ${names.join(", ")} not updated; they still run their current revisions.`);
    report.services = report.services.map((s) => ({
      ...s,
      status: "not updated",
      reason: "register-only: a later ecs-deploy step updates the services",
    }));
    publish("registered");
    writeSummary(context.summary, report, []);
    return;
  }

  const changing = plan.services.some((s) => s.action.kind !== "none");
  if (!changing) {
    logger.info(
      `Nothing to do: every service already runs ${revisionLabel(plan.reuse?.arn ?? "")} and its rollout is COMPLETED.`,
    );
    const revisionArn = plan.services[0]?.service.currentServiceRevisions?.[0]?.arn;
    report.images = imagesFrom(revisionArn ? await api.revision(revisionArn) : undefined, report.images);
    outcomes = plan.services.map((s) => ({
      name: s.name,
      action: "none",
      status: "unchanged",
      reason: s.action.why,
      serviceDeploymentArn: s.service.currentServiceDeployment,
    }));
    await hygiene(context, inputs, ecs, plan, report);
    publish("unchanged");
    writeSummary(context.summary, report, outcomes);
    return;
  }

  const { arn: deployedArn, containers } = await ensureRegistered();

  let record: GitHubDeploymentRecord | undefined;
  if (inputs.environment && inputs.githubToken) {
    record = await GitHubDeploymentRecord.start(
      context,
      inputs.githubToken,
      inputs.environment,
      inputs.environmentUrl,
      {
        cluster: plan.cluster,
        services: names,
        taskDefinitionArn: deployedArn,
        previousTaskDefinitionArn: Object.fromEntries(
          Object.entries(previous).filter((e): e is [string, string] => e[1] !== undefined),
        ),
        images: report.images,
      },
    );
    report.githubDeploymentId = record.id;
  }

  const follow: FollowSettings = {
    context,
    inputs,
    ecs,
    logs,
    api,
    containers,
    serviceDeployments: new Map(),
    finished: new Map(),
  };
  let started: StartedRollout[] = [];
  let refused: ServiceOutcome[] = [];
  let refusal: unknown;
  try {
    // allSettled: when ECS refuses one service's update the others may already have been updated;
    // they are followed (or reported) like any other, so the outcome says where every service is.
    const updates = await logger.group("Update the services", () =>
      Promise.allSettled(
        plan.services.map((s) => startRollout(ecs, plan.cluster, s, deployedArn, clock, logger)),
      ),
    );
    started = updates.flatMap((u) => (u.status === "fulfilled" ? [u.value] : []));
    refused = plan.services.flatMap((s, i) => {
      const update = updates[i];
      if (update?.status !== "rejected") return [];
      // An AWS failure the user can act on (throttled, denied) is reported per service like a refusal.
      const reason =
        update.reason instanceof UserError
          ? update.reason
          : (awsUserError(update.reason, "ecs-deploy") ?? update.reason);
      refusal ??= reason;
      return [
        {
          name: s.name,
          action: s.action.kind,
          status: "failed" as const,
          reason: errorMessage(reason),
          serviceDeploymentArn: undefined,
          ...(reason instanceof UserError && reason.fix ? { fix: reason.fix } : {}),
        },
      ];
    });
    // Nothing was changed: the refusal is the whole story.
    if (refusal !== undefined && !started.some((r) => r.watch)) throw refusal;
    if (!inputs.wait) {
      outcomes = started.map((r) => ({
        name: r.plan.name,
        action: r.plan.action.kind,
        status: r.watch ? "started" : "unchanged",
        reason: r.watch ? "UpdateService sent; not waiting (wait: false)." : r.plan.action.why,
        serviceDeploymentArn: r.watch
          ? r.watch.serviceDeploymentArn
          : r.plan.service.currentServiceDeployment,
      }));
    } else {
      outcomes = await logger.group(
        `Follow the rollout${names.length > 1 ? "s" : ""} (every ${inputs.pollInterval} ms, up to ${Math.round(inputs.waitTimeout / 60_000)} min)`,
        () => followAll(follow, started),
      );
      const revisionArn = outcomes.find((o) => o.status === "succeeded")?.rollout?.serviceDeployment
        ?.targetServiceRevision?.arn;
      if (revisionArn) report.images = imagesFrom(await api.revision(revisionArn), report.images);
    }
    outcomes = plan.services.flatMap((s) => [...outcomes, ...refused].filter((o) => o.name === s.name));
  } catch (error) {
    if (!isCancellation(error)) {
      await record?.set("error", "shipline ecs-deploy stopped with an error").catch(() => undefined);
      publish("failed");
      writeSummary(context.summary, report, outcomes);
      // AWS stopped answering after ECS took the update: say that the rollout goes on without us.
      const explained = awsUserError(error, "ecs-deploy");
      const sent = started.filter((r) => r.watch).map((r) => r.plan.name);
      if (explained && sent.length > 0) {
        throw new UserError(
          `ECS has the update of ${sent.join(", ")} to ${revisionLabel(deployedArn)} and carries on with it, but this step could not follow the rollout: ${explained.message}`,
          {
            fix: `${explained.fix ?? ""} Re-running the step follows the rollout in progress; it does not start another.`.trim(),
            cause: error,
          },
        );
      }
      throw error;
    }
    const cancelled = await handleCancellation(follow, started);
    outcomes = plan.services.map(
      (s): ServiceOutcome => ({
        ...(follow.finished.get(s.name) ?? {
          name: s.name,
          action: s.action.kind,
          status: "cancelled",
          reason: cancelled.actions[s.name] ?? "cancelled",
          serviceDeploymentArn:
            follow.serviceDeployments.get(s.name) ??
            started.find((r) => r.plan.name === s.name)?.watch?.serviceDeploymentArn,
        }),
        cancelAction: cancelled.actions[s.name] ?? "none",
      }),
    );
    await record
      ?.set(
        "error",
        inputs.rollbackOnCancel ? "Cancelled; ECS asked to roll back" : "Cancelled; ECS left rolling out",
      )
      .catch(() => undefined);
    publish("cancelled");
    writeSummary(context.summary, report, outcomes);
    throw new CancelledError(cancelled.message);
  }

  const status = overallStatus(outcomes);
  if (status === "succeeded" || status === "started" || status === "unchanged") {
    await hygiene(context, inputs, ecs, plan, report, deployedArn);
  }
  publish(status);
  writeSummary(context.summary, report, outcomes);
  const bad = outcomes.filter((o) => o.status === "failed" || o.status === "timed-out");
  if (record) {
    const description =
      bad.length > 0
        ? `${status}: ${bad.map((o) => `${o.name}: ${o.reason}`).join("; ")}`
        : `${revisionLabel(deployedArn)} ${status === "started" ? "rolling out" : "rolled out"} on ${names.join(", ")}`;
    await record.set(
      bad.length > 0 ? "failure" : status === "started" ? "in_progress" : "success",
      description,
    );
  }
  // An update refused for a reason neither the user's nor AWS's (a bug) is rethrown once the others
  // are accounted for.
  if (refusal !== undefined && !(refusal instanceof UserError)) throw refusal;
  if (bad.length > 0) {
    const first = bad[0] as ServiceOutcome;
    const mixed = mixedState(outcomes, deployedArn);
    throw new UserError(
      `The deployment of ${revisionLabel(deployedArn)} ${status === "timed-out" ? "did not finish" : "failed"}: ${bad.map((o) => `${o.name}: ${o.reason}`).join(" ")}${mixed ? ` ${mixed.what}` : ""}`,
      {
        fix: [
          first.fix ??
            (first.status === "timed-out"
              ? "Raise `wait-timeout` if the rollout is only slow (ECS carries on with it; the events above show where it is); if its tasks keep failing, read the stopped tasks above."
              : first.evidence
                ? failureFix(first.evidence)
                : "Look at the service's events in the ECS console."),
          mixed?.next,
        ]
          .filter(Boolean)
          .join(" "),
      },
    );
  }
}

async function hygiene(
  context: ActionContext,
  inputs: Inputs,
  ecs: ECSClient,
  plan: DeployPlan,
  report: DeployReport,
  deployedArn?: string,
): Promise<void> {
  const keep = inputs.keepRevisions;
  const arn = deployedArn ?? plan.reuse?.arn;
  if (keep === undefined || !arn) return;
  const protect = new Set<string>([arn]);
  for (const s of plan.services) {
    if (s.service.taskDefinition) protect.add(s.service.taskDefinition);
    for (const d of s.service.deployments ?? []) if (d.taskDefinition) protect.add(d.taskDefinition);
    if (s.rollbackTarget) protect.add(s.rollbackTarget.taskDefinitionArn);
  }
  const result = await context.logger.group(`Keep the newest ${keep} revisions of ${familyOf(arn)}`, () =>
    pruneRevisions(ecs, { family: familyOf(arn), keep, protect }, context.logger),
  );
  report.deregistered = result.deregistered;
}

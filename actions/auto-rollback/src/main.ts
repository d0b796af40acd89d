// auto-rollback: refuse when destructive migrations make it unsafe, find the bad revision and the
// one to return to, put it back (stopping the bad deployment with ROLLBACK while it is in flight),
// verify the service runs it with every task healthy, and report: GitHub deployment statuses, the
// step summary's timeline, and an incident issue.
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  awsSettingsFromInputs,
  createAwsClient,
  resolveRegion,
  warnIfBeyondSessionLife,
} from "@shipline/core/aws/clients";
import { awsUserError } from "@shipline/core/aws/errors";
import { ServiceDeploymentsApi } from "@shipline/core/ecs/service-deployments";
import { perServiceOutput } from "@shipline/core/ecs/services-input";
import { revisionLabel } from "@shipline/core/ecs/task-definition";
import { createGitHubClient, repoFromEnv, runUrl } from "@shipline/core/github/client";
import { CancelledError, errorMessage, isAbortError, UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";
import { markDeployments, upsertIncident } from "./github-report";
import { inputSpec } from "./inputs";
import { outputSpec } from "./outputs";
import {
  type Evidence,
  evidenceFromHealthReport,
  incidentBody,
  type RollbackReport,
  timelineOf,
  writeSummary,
} from "./report";
import { planRollbacks, restore, type ServiceRollbackPlan, type ServiceRollbackResult } from "./restore";
import { checkDatabaseSafety, settingsFrom } from "./settings";

export async function main(context: ActionContext): Promise<void> {
  const inputs = context.inputs(inputSpec);
  const settings = settingsFrom(inputs);
  const outputs = context.outputs(outputSpec);
  const { logger, clock } = context;
  const startedAt = clock.now();

  const fromReport = evidenceFromHealthReport(inputs.healthReport);
  const evidence: Evidence = {
    verdict: inputs.verdict ?? fromReport.verdict,
    reason: inputs.reason ?? fromReport.reason,
    failedChecks:
      fromReport.failedChecks.length > 0
        ? fromReport.failedChecks
        : (inputs.failedChecks ?? []).map((name) => ({ name, summary: "" })),
    healthReportFinishedAt: fromReport.healthReportFinishedAt,
    migrations: (inputs.migrations ?? []).map((m) => ({ file: m.file, destructive: m.destructive === true })),
    destructive: settings.destructive,
    forced: settings.destructive && inputs.force,
    snapshotId: inputs.snapshotId,
  };
  // Database safety first: a refused rollback reads and changes nothing.
  checkDatabaseSafety(settings, inputs, (message) => logger.warning(message));
  if (evidence.verdict === "pass") {
    logger.warning("The health verdict given is pass; rolling back anyway, as this step was run.");
  }

  const aws = awsSettingsFromInputs(inputs);
  resolveRegion(aws, context.env);
  warnIfBeyondSessionLife(inputs.waitTimeout, "wait-timeout", logger);
  const ecs = createAwsClient(ECSClient, aws, { logger });
  const elb = createAwsClient(ElasticLoadBalancingV2Client, aws, { logger });
  const api = new ServiceDeploymentsApi(ecs, logger);
  const github = inputs.githubToken ? createGitHubClient(inputs.githubToken, { logger }) : undefined;

  const plans: ServiceRollbackPlan[] = await logger.group(
    "Find the bad revision and the one to return to",
    async () => {
      const found = await planRollbacks(ecs, api, inputs, settings);
      for (const p of found) {
        logger.info(
          `${p.name}: bad ${p.bad ? revisionLabel(p.bad) : "unknown"}, target ${revisionLabel(p.target.taskDefinitionArn)} (${p.target.source}); ${p.action.why}.`,
        );
      }
      return found;
    },
  );
  const names = plans.map((p) => p.name);

  // allSettled: every follower has stopped before the step goes on, and a service whose rollback
  // could not even start (ECS refused it) is reported beside the others rather than hiding them.
  const settled = await logger.group("Roll back, follow and verify", () =>
    Promise.allSettled(plans.map((plan) => restore(context, ecs, elb, api, inputs, plan))),
  );
  if (
    settled.some(
      (s) => s.status === "rejected" && (s.reason instanceof CancelledError || isAbortError(s.reason)),
    )
  ) {
    throw new CancelledError(
      "The workflow run was cancelled while the rollback was followed. Nothing was stopped: ECS carries on with the rollback; check the service in the ECS console.",
    );
  }
  let unexpected: unknown;
  // What the user can do about AWS failures (throttling, denied calls) met while rolling back.
  const awsFixes = new Set<string>();
  const results: ServiceRollbackResult[] = settled.map((s, i) => {
    const plan = plans[i] as ServiceRollbackPlan;
    if (s.status === "fulfilled") return s.value;
    const explained = s.reason instanceof UserError ? undefined : awsUserError(s.reason, "auto-rollback");
    if (explained?.fix) awsFixes.add(explained.fix);
    if (!(s.reason instanceof UserError) && !explained) unexpected ??= s.reason;
    return {
      plan,
      action: plan.action.kind,
      rolledBack: false,
      reason: `${plan.name}: ${explained?.message ?? errorMessage(s.reason)}`,
      serviceDeploymentArn: undefined,
      rollbackStartedAt: undefined,
      restoredAt: undefined,
      verifiedAt: undefined,
    };
  });
  const rolledBack = results.every((r) => r.rolledBack);
  const report: RollbackReport = {
    rolledBack,
    cluster: inputs.cluster,
    services: results.map((r) => ({
      name: r.plan.name,
      from: r.plan.bad ?? null,
      to: r.plan.target.taskDefinitionArn,
      targetSource: r.plan.target.source,
      action: r.action,
      why: r.plan.action.why,
      rolledBack: r.rolledBack,
      reason: r.reason,
      serviceDeploymentArn: r.serviceDeploymentArn ?? null,
      verification: r.verification?.detail ?? null,
    })),
    evidence,
    timeline: timelineOf(results, evidence),
    githubDeployments: { failed: [], restored: null },
    incidentIssueUrl: null,
    durationSeconds: 0,
  };

  const problems: string[] = [];
  if (github) {
    const repo = repoFromEnv(context.env);
    const bad = [...new Set(plans.map((p) => p.bad).filter((b): b is string => Boolean(b)))];
    const target = plans[0]?.target.taskDefinitionArn ?? "";
    if (inputs.environment) {
      await logger.group(`Mark the GitHub deployments of ${inputs.environment}`, async () => {
        try {
          const marks = await markDeployments(github, repo, {
            environment: inputs.environment as string,
            env: context.env,
            bad,
            target,
            restored: rolledBack,
            description: `Rolled back to ${revisionLabel(target)} by auto-rollback${evidence.reason ? `: ${evidence.reason}` : ""}`,
          });
          report.githubDeployments = { failed: marks.failed, restored: marks.restored ?? null };
          logger.info(
            `Deployments marked failed: ${marks.failed.join(", ") || "none found for the bad revision"}; restored revision recorded: ${marks.restored ?? "no (already recorded, or not verified)"}.`,
          );
        } catch (error) {
          problems.push(`the GitHub deployment statuses could not be written (${(error as Error).message})`);
        }
      });
    }
    if (inputs.incidentIssue) {
      await logger.group("Open the incident issue", async () => {
        const title =
          inputs.incidentTitle ??
          `Rollback: ${names.join(", ")} ${inputs.environment ? `in ${inputs.environment}` : `in ${inputs.cluster}`} from ${bad.map(revisionLabel).join(", ") || "?"} to ${revisionLabel(target)}`;
        try {
          const issue = await upsertIncident(github, repo, {
            key: `incident:${inputs.cluster}:${names.join(",")}:${bad.map(revisionLabel).join(",")}`,
            title,
            labels: inputs.incidentLabels,
            body: incidentBody(report, {
              environment: inputs.environment,
              runUrl: runUrl(context.env),
              healthReport: inputs.healthReport,
            }),
          });
          report.incidentIssueUrl = issue.url;
          logger.info(
            `${issue.created ? "Opened" : "Updated"} incident issue #${issue.number}: ${issue.url}`,
          );
        } catch (error) {
          problems.push(`the incident issue could not be written (${(error as Error).message})`);
        }
      });
    }
  }

  report.durationSeconds = Math.round((clock.now() - startedAt) / 100) / 10;
  outputs.setAll({
    "rolled-back": rolledBack ? "true" : "false",
    "task-definition-arn": perServiceOutput(
      names,
      Object.fromEntries(plans.map((p) => [p.name, p.target.taskDefinitionArn])),
    ),
    "rolled-back-from": perServiceOutput(names, Object.fromEntries(plans.map((p) => [p.name, p.bad]))),
    "service-deployment-arn": perServiceOutput(
      names,
      Object.fromEntries(results.map((r) => [r.plan.name, r.serviceDeploymentArn])),
    ),
    action: perServiceOutput(names, Object.fromEntries(results.map((r) => [r.plan.name, r.action]))),
    "incident-issue-url": report.incidentIssueUrl ?? "",
    "duration-seconds": String(report.durationSeconds),
    report,
  });
  writeSummary(context.summary, report);

  // Neither a UserError nor an AWS failure the user can act on: a bug, raised once the rest is reported.
  if (unexpected !== undefined) throw unexpected;
  const failed = results.filter((r) => !r.rolledBack);
  if (failed.length > 0) {
    throw new UserError(`The rollback was not verified: ${failed.map((r) => r.reason).join(" ")}`, {
      fix: [
        "The service is not on a known good revision: look at its events and tasks in the ECS console now, and roll back by hand (aws ecs update-service --task-definition <good revision>) if needed.",
        ...awsFixes,
        ...(awsFixes.size > 0
          ? ["A re-run follows a rollback ECS already has in flight instead of starting another."]
          : []),
      ].join(" "),
    });
  }
  if (problems.length > 0) {
    throw new UserError(`The service was rolled back and verified, but ${problems.join("; ")}.`, {
      fix: "Give the job `deployments: write` and `issues: write` permissions (or remove `environment` / `incident-issue`).",
    });
  }
}

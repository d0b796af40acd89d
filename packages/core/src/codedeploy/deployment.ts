// CodeDeploy blue/green for services whose deployment controller is CODE_DEPLOY: the application and
// deployment group read and checked against the service, a deployment created with an AppSpec
// generated from the registered revision (or the one in progress for it followed, on a re-run),
// followed live through GetDeployment and the deployment target's lifecycle events and task sets,
// and the replacement task set judged with the health gate's evidence once it takes production
// traffic: a fail verdict stops the deployment with auto-rollback.
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type {
  CodeDeployClient,
  DeploymentInfo,
  DeploymentTarget,
  ECSTaskSet,
  GetDeploymentGroupCommandOutput,
  LifecycleEvent,
} from "@aws-sdk/client-codedeploy";
import type { Service } from "@aws-sdk/client-ecs";
import {
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { notAnAwsAnswer } from "../aws/errors";
import { applicationLoadBalancerDimension } from "../health/cloudwatch";
import type { HttpClient } from "../health/http";
import { judgeTargetGroup } from "../health/target-group-judge";
import type { HealthReport } from "../health/verdict";
import type { Clock } from "../runtime/clock";
import { CancelledError, errorMessage, UserError } from "../runtime/errors";
import type { Logger } from "../runtime/logger";
import { done, PollTimeoutError, pending, poll } from "../runtime/poller";
import { appSpecContent, appSpecTaskDefinition, type HookEvent } from "./appspec";

export interface CodeDeploySettings {
  application: string;
  deploymentGroup: string;
  /** Empty: the deployment group's own config. */
  deploymentConfig: string | undefined;
  hooks: Partial<Record<HookEvent, string>>;
  /** How long the replacement task set is judged once it takes production traffic (0: not judged). */
  judgeMs: number;
  errorRateThreshold: number;
  latencyP95ThresholdSeconds: number;
  minRequests: number;
}

export interface CodeDeployDeps {
  codedeploy: CodeDeployClient;
  elb: ElasticLoadBalancingV2Client;
  cloudwatch: CloudWatchClient;
  http: HttpClient;
  clock: Clock;
  /** AWS's clock (ServerClock), for the judging windows. */
  awsClock: Clock;
  logger: Logger;
  signal?: AbortSignal | undefined;
}

export interface CodeDeployPlan {
  cluster: string;
  service: string;
  containerName: string;
  containerPort: number;
  platformVersion: string | undefined;
  /** Target group name -> ARN, and the load balancer each one is behind. */
  targetGroups: Record<string, { arn: string; loadBalancerArn: string | undefined }>;
  terminationWaitMinutes: number | undefined;
  deploymentConfig: string;
}

export interface CodeDeployReport {
  deploymentId: string;
  status: string;
  deploymentConfig: string;
  /** Followed a deployment already in progress for this revision (a re-run) instead of creating one. */
  resumed: boolean;
  lifecycleEvents: { name: string; status: string }[];
  greenTargetGroup: string | undefined;
  /** The largest share of production traffic the replacement task set had, in percent. */
  exposurePercent: number;
  verdict: "pass" | "fail" | "inconclusive" | "not-judged";
  verdictReason: string;
  judgement?: HealthReport;
  stopped: boolean;
  rollbackDeploymentId: string | undefined;
  rollbackStatus: string | undefined;
  error: string | undefined;
}

const ACTIVE = ["Created", "Queued", "InProgress", "Baking", "Ready"] as const;
const TERMINAL = new Set(["Succeeded", "Failed", "Stopped"]);

function groupError(message: string, fix: string): UserError {
  return new UserError(message, { input: "codedeploy-deployment-group", fix });
}

function shortName(cluster: string): string {
  return cluster.split("/").at(-1) ?? cluster;
}

/** Reads the application, the deployment group and its target groups, and checks they fit the service. */
export async function planCodeDeploy(
  deps: Pick<CodeDeployDeps, "codedeploy" | "elb" | "logger">,
  cluster: string,
  service: Service,
  settings: CodeDeploySettings,
): Promise<CodeDeployPlan> {
  const { GetApplicationCommand, GetDeploymentGroupCommand } = await import("@aws-sdk/client-codedeploy");
  const name = service.serviceName ?? "";
  try {
    const app = await deps.codedeploy.send(
      new GetApplicationCommand({ applicationName: settings.application }),
    );
    if (app.application?.computePlatform !== "ECS") {
      throw new UserError(
        `CodeDeploy application ${settings.application} deploys to ${app.application?.computePlatform ?? "?"}, not ECS.`,
        { input: "codedeploy-application", fix: "Give the ECS application of the service." },
      );
    }
  } catch (error) {
    const odd = notAnAwsAnswer(error);
    if (odd)
      throw new UserError(
        `The endpoint answered CodeDeploy's GetApplication with ${odd}: it does not implement CodeDeploy.`,
        {
          input: "aws-endpoint-url",
          fix: "Deploy CODE_DEPLOY services against AWS itself (AWS-compatible endpoints often lack CodeDeploy), or remove the codedeploy-* inputs.",
          cause: error,
        },
      );
    if (error instanceof Error && error.name === "ApplicationDoesNotExistException")
      throw new UserError(`CodeDeploy has no application ${settings.application}.`, {
        input: "codedeploy-application",
        fix: "Give the name of the CodeDeploy application that deploys the service.",
      });
    throw error;
  }
  let group: GetDeploymentGroupCommandOutput;
  try {
    group = await deps.codedeploy.send(
      new GetDeploymentGroupCommand({
        applicationName: settings.application,
        deploymentGroupName: settings.deploymentGroup,
      }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === "DeploymentGroupDoesNotExistException")
      throw groupError(
        `CodeDeploy application ${settings.application} has no deployment group ${settings.deploymentGroup}.`,
        "Give the deployment group that deploys the service.",
      );
    throw error;
  }
  const info = group.deploymentGroupInfo;
  const ecs = info?.ecsServices ?? [];
  if (!ecs.some((s) => s.serviceName === name && s.clusterName === shortName(cluster))) {
    throw groupError(
      `Deployment group ${settings.deploymentGroup} deploys ${ecs.map((s) => `${s.clusterName}/${s.serviceName}`).join(", ") || "no ECS service"}, not ${shortName(cluster)}/${name}.`,
      "Give the deployment group of this service.",
    );
  }
  const names = (info?.loadBalancerInfo?.targetGroupPairInfoList?.[0]?.targetGroups ?? []).flatMap((t) =>
    t.name ? [t.name] : [],
  );
  const described = names.length
    ? ((await deps.elb.send(new DescribeTargetGroupsCommand({ Names: names }))).TargetGroups ?? [])
    : [];
  const targetGroups: CodeDeployPlan["targetGroups"] = {};
  for (const tg of described) {
    if (tg.TargetGroupName && tg.TargetGroupArn && names.includes(tg.TargetGroupName))
      targetGroups[tg.TargetGroupName] = {
        arn: tg.TargetGroupArn,
        loadBalancerArn: tg.LoadBalancerArns?.[0],
      };
  }
  const lb = service.loadBalancers?.[0];
  if (!lb?.containerName || lb.containerPort === undefined) {
    throw new UserError(`Service ${name} has no load balancer container and port for the AppSpec.`, {
      input: "services",
      fix: "Deploy a CodeDeploy blue/green service with its load balancer set (container name and port).",
    });
  }
  const wait =
    info?.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess
      ?.terminationWaitTimeInMinutes;
  if (settings.judgeMs > 0 && wait !== undefined && wait * 60_000 < settings.judgeMs) {
    deps.logger.warning(
      `Deployment group ${settings.deploymentGroup} terminates the original task set ${wait} min after the shift, before the ${Math.round(settings.judgeMs / 60_000)} min of judging end: a late fail verdict could no longer roll back. Raise terminationWaitTimeInMinutes.`,
    );
  }
  return {
    cluster,
    service: name,
    containerName: lb.containerName,
    containerPort: lb.containerPort,
    platformVersion: service.platformVersion,
    targetGroups,
    terminationWaitMinutes: wait,
    deploymentConfig:
      settings.deploymentConfig ?? info?.deploymentConfigName ?? "CodeDeployDefault.ECSAllAtOnce",
  };
}

/** A deployment of this group already in flight: ours to follow when it deploys this revision. */
async function deploymentInFlight(
  deps: CodeDeployDeps,
  settings: CodeDeploySettings,
  taskDefinitionArn: string,
): Promise<string | undefined> {
  const { ListDeploymentsCommand, GetDeploymentCommand } = await import("@aws-sdk/client-codedeploy");
  const listed = await deps.codedeploy.send(
    new ListDeploymentsCommand({
      applicationName: settings.application,
      deploymentGroupName: settings.deploymentGroup,
      includeOnlyStatuses: [...ACTIVE],
    }),
  );
  for (const id of listed.deployments ?? []) {
    const info = (await deps.codedeploy.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo;
    if (info?.deploymentId !== id || !ACTIVE.includes(info.status as (typeof ACTIVE)[number])) continue;
    const deploys = appSpecTaskDefinition(info.revision?.appSpecContent?.content);
    if (deploys === taskDefinitionArn) return id;
    throw groupError(
      `Deployment ${id} of ${settings.deploymentGroup} is in progress with ${deploys ?? "another revision"}; CodeDeploy runs one deployment of a group at a time.`,
      "Wait for it to finish (or stop it in the CodeDeploy console), then run the deploy again.",
    );
  }
  return undefined;
}

async function createDeployment(
  deps: CodeDeployDeps,
  plan: CodeDeployPlan,
  settings: CodeDeploySettings,
  taskDefinitionArn: string,
): Promise<string> {
  const { CreateDeploymentCommand } = await import("@aws-sdk/client-codedeploy");
  const content = appSpecContent({
    taskDefinitionArn,
    containerName: plan.containerName,
    containerPort: plan.containerPort,
    platformVersion: plan.platformVersion,
    hooks: settings.hooks,
  });
  try {
    const out = await deps.codedeploy.send(
      new CreateDeploymentCommand({
        applicationName: settings.application,
        deploymentGroupName: settings.deploymentGroup,
        deploymentConfigName: plan.deploymentConfig,
        revision: { revisionType: "AppSpecContent", appSpecContent: { content } },
        description: `shipline ecs-deploy of ${taskDefinitionArn.split("/").at(-1) ?? taskDefinitionArn}`,
      }),
    );
    if (!out.deploymentId) throw new Error("CreateDeployment returned no deploymentId");
    return out.deploymentId;
  } catch (error) {
    // A lost answer may have created it: the group's deployment in flight for this revision is it.
    const found = await deploymentInFlight(deps, settings, taskDefinitionArn).catch(() => undefined);
    if (found) return found;
    if (error instanceof Error && /Invalid|DoesNotExist|LimitExceeded/.test(error.name)) {
      throw new UserError(`CodeDeploy refused the deployment: ${error.message}`, {
        input: "codedeploy-deployment-group",
        fix: "Read CodeDeploy's message: the deployment config, the AppSpec's container and port, or a deployment already in progress.",
        cause: error,
      });
    }
    throw error;
  }
}

interface Observation {
  info: DeploymentInfo;
  target: DeploymentTarget | undefined;
}

function green(target: DeploymentTarget | undefined): ECSTaskSet | undefined {
  return target?.ecsTarget?.taskSetsInfo?.find((t) => t.taskSetLabel === "Green");
}

/** "d-X InProgress; AllowTraffic InProgress; green web-green 100 %" */
export function codeDeployProgress(observation: Observation): string {
  const events = observation.target?.ecsTarget?.lifecycleEvents ?? [];
  const current =
    events.find((e) => e.status === "InProgress") ??
    [...events].reverse().find((e) => e.status === "Succeeded");
  const set = green(observation.target);
  return [
    `${observation.info.deploymentId} ${observation.info.status}`,
    current ? `${current.lifecycleEventName} ${current.status}` : undefined,
    set ? `green ${set.targetGroup?.name ?? "?"} ${set.trafficWeight ?? 0} %` : undefined,
  ]
    .filter(Boolean)
    .join("; ");
}

async function observe(deps: CodeDeployDeps, id: string, targetIds: string[]): Promise<Observation> {
  const { GetDeploymentCommand, ListDeploymentTargetsCommand, BatchGetDeploymentTargetsCommand } =
    await import("@aws-sdk/client-codedeploy");
  const options = deps.signal ? { abortSignal: deps.signal } : {};
  const info = (await deps.codedeploy.send(new GetDeploymentCommand({ deploymentId: id }), options))
    .deploymentInfo;
  if (!info || info.deploymentId !== id) throw new Error(`GetDeployment answered without deployment ${id}`);
  if (targetIds.length === 0) {
    const listed = await deps.codedeploy.send(
      new ListDeploymentTargetsCommand({ deploymentId: id }),
      options,
    );
    targetIds.push(...(listed.targetIds ?? []));
  }
  if (targetIds.length === 0) return { info, target: undefined };
  const batch = await deps.codedeploy.send(
    new BatchGetDeploymentTargetsCommand({ deploymentId: id, targetIds: targetIds.slice(0, 1) }),
    options,
  );
  const target = batch.deploymentTargets?.find((t) => t.ecsTarget?.deploymentId === id);
  return { info, target };
}

function judge(
  deps: CodeDeployDeps,
  plan: CodeDeployPlan,
  settings: CodeDeploySettings,
  groupName: string,
  intervalMs: number,
) {
  const group = plan.targetGroups[groupName];
  if (!group) return undefined;
  const loadBalancer = group.loadBalancerArn
    ? applicationLoadBalancerDimension(group.loadBalancerArn)
    : undefined;
  if (group.loadBalancerArn && !loadBalancer)
    deps.logger.warning(
      `${groupName} is behind ${group.loadBalancerArn}, which is not an Application Load Balancer and publishes no HTTP error rate or latency: it is judged on its target health only.`,
    );
  const controller = new AbortController();
  deps.signal?.addEventListener("abort", () => controller.abort(), { once: true });
  const report = judgeTargetGroup(
    {
      targetGroupArn: group.arn,
      loadBalancer,
      judgeMs: settings.judgeMs,
      intervalMs,
      errorRateThreshold: settings.errorRateThreshold,
      latencyP95ThresholdSeconds: settings.latencyP95ThresholdSeconds,
      minRequests: settings.minRequests,
    },
    {
      http: deps.http,
      elb: deps.elb,
      cloudwatch: deps.cloudwatch,
      clock: deps.awsClock,
      logger: deps.logger,
      signal: controller.signal,
    },
  );
  return { report, controller };
}

export interface FollowSettings {
  pollIntervalMs: number;
  waitTimeoutMs: number;
  rollbackOnCancel: boolean;
}

function eventsOf(target: DeploymentTarget | undefined): { name: string; status: string }[] {
  return (target?.ecsTarget?.lifecycleEvents ?? []).map((e: LifecycleEvent) => ({
    name: e.lifecycleEventName ?? "?",
    status: e.status ?? "?",
  }));
}

/** Creates (or resumes) the deployment, follows it to its end and judges the replacement task set. */
export async function runCodeDeploy(
  deps: CodeDeployDeps,
  plan: CodeDeployPlan,
  settings: CodeDeploySettings,
  taskDefinitionArn: string,
  follow: FollowSettings,
): Promise<CodeDeployReport> {
  const { logger } = deps;
  const { StopDeploymentCommand, GetDeploymentCommand } = await import("@aws-sdk/client-codedeploy");
  const resumedId = await deploymentInFlight(deps, settings, taskDefinitionArn);
  const id = resumedId ?? (await createDeployment(deps, plan, settings, taskDefinitionArn));
  logger.info(
    resumedId
      ? `Following CodeDeploy deployment ${id}, already in progress for this revision.`
      : `CodeDeploy deployment ${id} created (${plan.deploymentConfig}).`,
  );
  const report: CodeDeployReport = {
    deploymentId: id,
    status: "Created",
    deploymentConfig: plan.deploymentConfig,
    resumed: resumedId !== undefined,
    lifecycleEvents: [],
    greenTargetGroup: undefined,
    exposurePercent: 0,
    verdict: "not-judged",
    verdictReason:
      settings.judgeMs > 0 ? "the replacement task set never took production traffic" : "judging is off",
    stopped: false,
    rollbackDeploymentId: undefined,
    rollbackStatus: undefined,
    error: undefined,
  };
  const targetIds: string[] = [];
  let judging: ReturnType<typeof judge>;
  let judgingBegun = false;
  let verdict: HealthReport | undefined;
  // Why the judging ended without a verdict (a denied metrics read, credentials gone). The caller
  // asked for a judged deployment and the original task set still stands by, so the deployment is
  // stopped with auto-rollback at the next poll rather than left to finish unjudged (fail closed,
  // as the health gate stops at a denied call).
  let judgingFailed: string | undefined;
  let last = "";
  const stop = async (why: string): Promise<void> => {
    if (report.stopped) return;
    report.stopped = true;
    await deps.codedeploy.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true }));
    logger.warning(`Stopped ${id} with auto-rollback: ${why}`);
  };
  try {
    await poll(
      {
        intervalMs: follow.pollIntervalMs,
        timeoutMs: follow.waitTimeoutMs,
        clock: deps.clock,
        ...(deps.signal ? { signal: deps.signal } : {}),
      },
      async () => {
        const seen = await observe(deps, id, targetIds);
        report.status = seen.info.status ?? "?";
        report.lifecycleEvents = eventsOf(seen.target);
        report.error = seen.info.errorInformation?.message;
        const set = green(seen.target);
        if (set?.targetGroup?.name) report.greenTargetGroup = set.targetGroup.name;
        report.exposurePercent = Math.max(report.exposurePercent, set?.trafficWeight ?? 0);
        const line = codeDeployProgress(seen);
        if (line !== last) logger.progress(line);
        last = line;
        if (
          !judgingBegun &&
          settings.judgeMs > 0 &&
          (set?.trafficWeight ?? 0) > 0 &&
          report.greenTargetGroup &&
          !report.stopped
        ) {
          judgingBegun = true;
          judging = judge(deps, plan, settings, report.greenTargetGroup, follow.pollIntervalMs);
          if (judging) {
            const { controller } = judging;
            judging.report.then(
              (r) => {
                verdict = r;
              },
              (error: unknown) => {
                // Our own stop (the deployment ended, or the run was cancelled) is no failure.
                if (controller.signal.aborted) return;
                judgingFailed = errorMessage(error);
              },
            );
            logger.info(
              `The replacement task set takes production traffic: judging ${report.greenTargetGroup}.`,
            );
          } else {
            judgingFailed = `target group ${report.greenTargetGroup} is not one of the deployment group's target groups`;
          }
        }
        if (judgingFailed && !TERMINAL.has(report.status))
          await stop(`the replacement task set could not be judged: ${judgingFailed}`);
        if (verdict?.verdict === "fail" && !TERMINAL.has(report.status)) await stop(verdict.reason);
        const rollbackId = seen.info.rollbackInfo?.rollbackDeploymentId;
        if (rollbackId) {
          report.rollbackDeploymentId = rollbackId;
          const rollback = (
            await deps.codedeploy.send(new GetDeploymentCommand({ deploymentId: rollbackId }))
          ).deploymentInfo;
          if (rollback?.deploymentId === rollbackId) report.rollbackStatus = rollback.status;
          return report.rollbackStatus && TERMINAL.has(report.rollbackStatus) ? done(true) : pending;
        }
        // A finished deployment still waits for the judging that began before its end.
        if (
          TERMINAL.has(report.status) &&
          (!judging || verdict || judgingFailed || report.status !== "Succeeded")
        )
          return done(true);
        return pending;
      },
    );
  } catch (error) {
    judging?.controller.abort();
    if (error instanceof PollTimeoutError) {
      report.error = `CodeDeploy deployment ${id} did not finish within wait-timeout; CodeDeploy carries on with it.`;
      return report;
    }
    if (error instanceof CancelledError || (error instanceof Error && error.name === "AbortError")) {
      if (follow.rollbackOnCancel && !TERMINAL.has(report.status))
        await stop("the workflow run was cancelled").catch((e: unknown) =>
          logger.warning(`Could not stop ${id}: ${errorMessage(e)}`),
        );
      throw error;
    }
    throw error;
  }
  if (judging && !verdict) judging.controller.abort();
  if (verdict) {
    report.judgement = verdict;
    report.verdict = verdict.verdict;
    report.verdictReason = verdict.reason;
  } else if (judgingFailed) {
    report.verdict = "inconclusive";
    report.verdictReason = `it could not be judged: ${judgingFailed}`;
  }
  return report;
}

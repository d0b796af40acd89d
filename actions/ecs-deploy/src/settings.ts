// ecs-deploy's inputs turned into validated settings, one function per kind of check, all before
// anything is read from or written to AWS or GitHub.
import { isAbsolute, resolve } from "node:path";
import { type AwsSettings, awsSettingsFromInputs, resolveRegion } from "@shipline/core/aws/clients";
import { HOOK_EVENTS, isHookEvent } from "@shipline/core/codedeploy/appspec";
import type { CodeDeploySettings } from "@shipline/core/codedeploy/deployment";
import type { DeployOptions } from "@shipline/core/ecs/deploy-execute";
import type { DeployRequest, TaskDefinitionSource } from "@shipline/core/ecs/deploy-plan";
import { shortName } from "@shipline/core/ecs/services-input";
import { stepJudgeSettingsFrom, strategyRequestFrom } from "@shipline/core/ecs/strategy";
import { FAMILY_REVISION, TASK_DEFINITION_ARN } from "@shipline/core/ecs/task-definition";
import { checkTrafficSteps, type TrafficStepsSettings } from "@shipline/core/ecs/weighted-steps";
import type { RecordedMigration, RecordedOverride } from "@shipline/core/github/deployment-record";
import { inputError } from "@shipline/core/runtime/inputs";
import { definitionChanges, serviceSettingsFrom } from "./definition-inputs";
import type { Inputs } from "./inputs";

/** deploy: update the services; preview: the pull-request dry run; register-only: register, update nothing. */
export type Mode = "deploy" | "preview" | "register-only";

/** The GitHub deployment to record, when `environment` is given. */
export interface DeploymentSettings {
  token: string;
  environment: string;
  environmentUrl: string | undefined;
  /** Recorded in the deployment's payload. */
  migrations: RecordedMigration[] | undefined;
  override: RecordedOverride | undefined;
}

export interface Settings {
  mode: Mode;
  request: DeployRequest;
  follow: DeployOptions;
  /** Keep the newest N revisions of the family after a deploy; undefined keeps every one. */
  keepRevisions: number | undefined;
  /** The token for the plan comment and the deployment record. */
  githubToken: string | undefined;
  deployment: DeploymentSettings | undefined;
  /** Shipline-driven traffic steps (`traffic-rule`), when asked for. */
  traffic: TrafficStepsSettings | undefined;
  /** A CodeDeploy blue/green deployment (`codedeploy-application`), when asked for. */
  codeDeploy: CodeDeploySettings | undefined;
  aws: AwsSettings;
}

export function taskDefinitionSource(value: string | undefined, workspace: string): TaskDefinitionSource {
  if (!value) return { kind: "current" };
  if (value.startsWith("arn:")) {
    if (!TASK_DEFINITION_ARN.test(value)) {
      throw inputError(
        "task-definition",
        `"${value}" is not a task-definition ARN.`,
        "Give arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>, a family:revision, or a path to a JSON or YAML file.",
      );
    }
    return { kind: "registered", ref: value };
  }
  if (FAMILY_REVISION.test(value)) return { kind: "registered", ref: value };
  return { kind: "file", path: isAbsolute(value) ? value : resolve(workspace, value) };
}

/** Splits `web.LOG_LEVEL=debug` lines into per-container upserts. */
export function environmentUpserts(
  lines: Record<string, string> | undefined,
): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [key, value] of Object.entries(lines ?? {})) {
    const dot = key.indexOf(".");
    const container = key.slice(0, dot);
    const name = key.slice(dot + 1);
    out[container] = { ...(out[container] ?? {}), [name]: value };
  }
  return out;
}

/** `environment` records a GitHub deployment: it needs a token, and `environment-url` needs it. */
function deploymentSettings(inputs: Inputs): DeploymentSettings | undefined {
  if (inputs.environment && !inputs.githubToken) {
    throw inputError(
      "environment",
      "it records a GitHub deployment, which needs a token.",
      "Pass the workflow token as `github-token` (with `deployments: write` permission), or remove `environment`.",
    );
  }
  if (inputs.environmentUrl && !inputs.environment) {
    throw inputError(
      "environment-url",
      "it is shown on the GitHub deployment, so it needs `environment`.",
      "Set `environment` too, or remove `environment-url`.",
    );
  }
  for (const name of ["migrations", "preflightOverride"] as const) {
    if (inputs[name] !== undefined && !inputs.environment) {
      const input = name === "migrations" ? "migrations" : "preflight-override";
      throw inputError(
        input,
        "it is recorded in the GitHub deployment, so it needs `environment`.",
        `Set \`environment\` too, or remove \`${input}\`.`,
      );
    }
  }
  if (!inputs.environment || !inputs.githubToken) return undefined;
  return {
    token: inputs.githubToken,
    environment: inputs.environment,
    environmentUrl: inputs.environmentUrl,
    migrations: inputs.migrations,
    override: inputs.preflightOverride,
  };
}

/** `plan` and `register-only` exclude each other, and a registration records no deployment. */
function modeOf(inputs: Inputs): Mode {
  if (inputs.registerOnly && inputs.plan) {
    throw inputError(
      "register-only",
      "`plan` changes nothing, and `register-only` registers a task definition: they cannot both be true.",
      "Use `plan` for the pull-request check and `register-only` in the deploy job, in separate steps.",
    );
  }
  if (inputs.registerOnly && inputs.environment) {
    throw inputError(
      "environment",
      "`register-only` deploys nothing, so there is no GitHub deployment to record.",
      "Give `environment` to the ecs-deploy step that updates the services, not to the one that only registers.",
    );
  }
  return inputs.plan ? "preview" : inputs.registerOnly ? "register-only" : "deploy";
}

/** `traffic-rule` and its companions: one service, a distinct canary, steps that end at 100 %. */
export function trafficSettings(inputs: Inputs): TrafficStepsSettings | undefined {
  if (!inputs.trafficRule) {
    if (inputs.canaryService) {
      throw inputError(
        "canary-service",
        "it is the canary of traffic steps, which need `traffic-rule`.",
        "Give `traffic-rule` (the listener rule to shift), or remove `canary-service`.",
      );
    }
    return undefined;
  }
  const fix = (what: string) => `${what}, or remove \`traffic-rule\` to deploy without traffic steps.`;
  if (!inputs.canaryService)
    throw inputError(
      "canary-service",
      "traffic steps need the service behind the rule's second target group.",
      fix("Name it"),
    );
  if (inputs.services.length !== 1)
    throw inputError("services", "traffic steps shift one service's traffic.", fix("Give one service"));
  if (shortName(inputs.services[0] ?? "") === inputs.canaryService)
    throw inputError(
      "canary-service",
      "it is the service being deployed.",
      fix("Give the other service, the one in the second target group"),
    );
  if (!inputs.wait)
    throw inputError(
      "wait",
      "traffic steps are judged while the step waits, so `wait: false` cannot be kept.",
      fix("Remove `wait: false`"),
    );
  if (inputs.registerOnly)
    throw inputError(
      "traffic-rule",
      "`register-only` updates no service, so there is no traffic to shift.",
      "Remove `traffic-rule` from the register-only step.",
    );
  if (inputs.strategy && inputs.strategy !== "rolling")
    throw inputError(
      "strategy",
      `the ${inputs.strategy} strategy has ECS shift the traffic, and traffic steps have shipline shift it: one rule cannot take both.`,
      fix("Remove `strategy` (or set it to `rolling`)"),
    );
  const steps = inputs.trafficSteps.map(Number);
  const wrong = checkTrafficSteps(steps);
  if (wrong)
    throw inputError(
      "traffic-steps",
      `${wrong}.`,
      "Give increasing whole percentages ending at 100, e.g. `1,5,50,100`.",
    );
  return {
    ruleArn: inputs.trafficRule,
    canaryService: inputs.canaryService,
    steps,
    pauseMs: inputs.trafficStepPause,
    errorRateThreshold: inputs.trafficErrorRateThreshold,
    latencyP95ThresholdSeconds: inputs.trafficLatencyP95Threshold / 1000,
    minRequests: inputs.trafficMinRequests,
  };
}

/** `codedeploy-application` and its companions. */
export function codeDeploySettings(inputs: Inputs): CodeDeploySettings | undefined {
  const application = inputs.codedeployApplication;
  if (!application) {
    for (const [name, value] of [
      ["codedeploy-deployment-group", inputs.codedeployDeploymentGroup],
      ["codedeploy-deployment-config", inputs.codedeployDeploymentConfig],
      ["codedeploy-hooks", inputs.codedeployHooks],
    ] as const) {
      if (value !== undefined)
        throw inputError(
          name,
          "it configures a CodeDeploy deployment, which needs `codedeploy-application`.",
          "Give `codedeploy-application`, or remove it.",
        );
    }
    return undefined;
  }
  if (!inputs.codedeployDeploymentGroup)
    throw inputError(
      "codedeploy-deployment-group",
      "a CodeDeploy deployment needs its deployment group.",
      "Give the service's deployment group.",
    );
  if (inputs.services.length !== 1)
    throw inputError(
      "services",
      "a CodeDeploy deployment group deploys one service.",
      "Give one service per ecs-deploy step.",
    );
  if (inputs.trafficRule)
    throw inputError(
      "traffic-rule",
      "CodeDeploy shifts the traffic of a CODE_DEPLOY service itself.",
      "Remove `traffic-rule`, or the codedeploy-* inputs.",
    );
  if (!inputs.wait || inputs.registerOnly || inputs.desiredCount !== undefined || inputs.forceNewDeployment)
    throw inputError(
      !inputs.wait
        ? "wait"
        : inputs.registerOnly
          ? "register-only"
          : inputs.desiredCount !== undefined
            ? "desired-count"
            : "force-new-deployment",
      "a CodeDeploy deployment is followed and judged to its end, and changes only the task definition.",
      "Remove it from the step with `codedeploy-application`.",
    );
  const hooks: CodeDeploySettings["hooks"] = {};
  for (const [event, fn] of Object.entries(inputs.codedeployHooks ?? {})) {
    if (!isHookEvent(event))
      throw inputError(
        "codedeploy-hooks",
        `${event} is not a lifecycle event with a hook.`,
        `Use ${HOOK_EVENTS.join(", ")}.`,
      );
    hooks[event] = fn;
  }
  return {
    application,
    deploymentGroup: inputs.codedeployDeploymentGroup,
    deploymentConfig: inputs.codedeployDeploymentConfig,
    hooks,
    judgeMs: inputs.codedeployJudge,
    errorRateThreshold: inputs.trafficErrorRateThreshold,
    latencyP95ThresholdSeconds: inputs.trafficLatencyP95Threshold / 1000,
    minRequests: inputs.trafficMinRequests,
  };
}

function checkServices(services: readonly string[]): void {
  if (new Set(services.map(shortName)).size !== services.length) {
    throw inputError("services", "a service is named twice (by name and by ARN).", "Name each service once.");
  }
}

export function settingsFrom(inputs: Inputs, env: NodeJS.ProcessEnv): Settings {
  const deployment = deploymentSettings(inputs);
  const mode = modeOf(inputs);
  checkServices(inputs.services);
  const traffic = trafficSettings(inputs);
  const codeDeploy = codeDeploySettings(inputs);
  const environment = environmentUpserts(inputs.environmentVariables);
  const source = taskDefinitionSource(inputs.taskDefinition, env.GITHUB_WORKSPACE ?? process.cwd());
  const request: DeployRequest = {
    cluster: inputs.cluster,
    services: inputs.services,
    source,
    changes: {
      images: inputs.containers ?? {},
      environment,
      ...definitionChanges(inputs, environment),
    },
    desiredCount: inputs.desiredCount,
    forceNewDeployment: inputs.forceNewDeployment,
    codeDeploy: codeDeploy !== undefined,
    serviceSettings: serviceSettingsFrom(inputs),
    ...(source.kind === "file" ? { placeholderEnvironment: env } : {}),
  };
  const aws = awsSettingsFromInputs(inputs);
  resolveRegion(aws, env);
  return {
    mode,
    request,
    follow: {
      wait: inputs.wait,
      pollIntervalMs: inputs.pollInterval,
      waitTimeoutMs: inputs.waitTimeout,
      rollbackOnCancel: inputs.rollbackOnCancel,
      logTailLines: inputs.logTailLines,
      caller: "ecs-deploy",
      strategy: strategyRequestFrom(inputs),
      judge: stepJudgeSettingsFrom(inputs, inputs.pollInterval),
    },
    keepRevisions: inputs.keepRevisions,
    githubToken: inputs.githubToken,
    deployment,
    traffic,
    codeDeploy,
    aws,
  };
}

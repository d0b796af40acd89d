// ecs-deploy's inputs turned into validated settings, one function per kind of check, all before
// anything is read from or written to AWS or GitHub.
import { isAbsolute, resolve } from "node:path";
import { type AwsSettings, awsSettingsFromInputs, resolveRegion } from "@shipline/core/aws/clients";
import type { DeployOptions } from "@shipline/core/ecs/deploy-execute";
import type { DeployRequest, TaskDefinitionSource } from "@shipline/core/ecs/deploy-plan";
import { shortName } from "@shipline/core/ecs/services-input";
import { FAMILY_REVISION, TASK_DEFINITION_ARN } from "@shipline/core/ecs/task-definition";
import type { RecordedMigration, RecordedOverride } from "@shipline/core/github/deployment-record";
import { inputError } from "@shipline/core/runtime/inputs";
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

function checkServices(services: readonly string[]): void {
  if (new Set(services.map(shortName)).size !== services.length) {
    throw inputError("services", "a service is named twice (by name and by ARN).", "Name each service once.");
  }
}

export function settingsFrom(inputs: Inputs, env: NodeJS.ProcessEnv): Settings {
  const deployment = deploymentSettings(inputs);
  const mode = modeOf(inputs);
  checkServices(inputs.services);
  const request: DeployRequest = {
    cluster: inputs.cluster,
    services: inputs.services,
    source: taskDefinitionSource(inputs.taskDefinition, env.GITHUB_WORKSPACE ?? process.cwd()),
    changes: {
      images: inputs.containers ?? {},
      environment: environmentUpserts(inputs.environmentVariables),
    },
    desiredCount: inputs.desiredCount,
    forceNewDeployment: inputs.forceNewDeployment,
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
    },
    keepRevisions: inputs.keepRevisions,
    githubToken: inputs.githubToken,
    deployment,
    aws,
  };
}

// Cross-input rules of ecs-deploy and the settings derived from the inputs, checked before anything
// is read from or written to AWS or GitHub.
import { isAbsolute, resolve } from "node:path";
import { FAMILY_REVISION, type RenderChanges, TASK_DEFINITION_ARN } from "@shipline/core/ecs/task-definition";
import { inputError } from "@shipline/core/runtime/inputs";
import type { Inputs } from "./inputs";

/** Where the task definition to deploy comes from. */
export type TaskDefinitionSource =
  | { kind: "file"; path: string }
  | { kind: "registered"; ref: string }
  | { kind: "current" };

export interface Settings {
  source: TaskDefinitionSource;
  changes: RenderChanges;
  /** Whether anything is to be rendered (images or environment variables). */
  rendering: boolean;
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

export function settingsFrom(inputs: Inputs, env: NodeJS.ProcessEnv): Settings {
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
  const services = inputs.services;
  const unique = new Set(services.map((s) => s.split("/").pop()));
  if (unique.size !== services.length) {
    throw inputError("services", "a service is named twice (by name and by ARN).", "Name each service once.");
  }
  const source = taskDefinitionSource(inputs.taskDefinition, env.GITHUB_WORKSPACE ?? process.cwd());
  const environment = environmentUpserts(inputs.environmentVariables);
  const changes: RenderChanges = { images: inputs.containers ?? {}, environment };
  const rendering = Object.keys(changes.images ?? {}).length > 0 || Object.keys(environment).length > 0;
  return { source, changes, rendering };
}

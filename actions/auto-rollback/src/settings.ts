// Cross-input rules of auto-rollback, checked before anything is read or changed: per-service values
// from ecs-deploy's outputs, and the database-safety refusal when destructive migrations ran.
import { perServiceInput } from "@shipline/core/ecs/services-input";
import { TASK_DEFINITION_ARN } from "@shipline/core/ecs/task-definition";
import { UserError } from "@shipline/core/runtime/errors";
import { inputError } from "@shipline/core/runtime/inputs";
import type { Inputs } from "./inputs";

export interface Settings {
  /** Per service: the revision to return to, when given. */
  recorded: Record<string, string | undefined>;
  /** Per service: the bad service deployment, when given. */
  badServiceDeployment: Record<string, string | undefined>;
  destructiveMigrations: string[];
  destructive: boolean;
}

export function settingsFrom(inputs: Inputs): Settings {
  if (inputs.environment && !inputs.githubToken) {
    throw inputError(
      "environment",
      "marking the GitHub deployments needs a token.",
      "Pass the workflow token as `github-token` (with `deployments: write`), or remove `environment`.",
    );
  }
  if (inputs.incidentIssue && !inputs.githubToken) {
    throw inputError(
      "incident-issue",
      "opening an issue needs a token.",
      "Pass the workflow token as `github-token` (with `issues: write`), or set `incident-issue: false`.",
    );
  }
  const recorded = perServiceInput(
    "previous-task-definition-arn",
    inputs.previousTaskDefinitionArn,
    inputs.services,
    (v) => TASK_DEFINITION_ARN.test(v),
  );
  const badServiceDeployment = perServiceInput(
    "service-deployment-arn",
    inputs.serviceDeploymentArn,
    inputs.services,
    (v) => /:service-deployment\//.test(v),
  );
  const destructiveMigrations = (inputs.migrations ?? []).filter((m) => m.destructive).map((m) => m.file);
  const destructive = inputs.destructiveMigrations || destructiveMigrations.length > 0;
  return { recorded, badServiceDeployment, destructiveMigrations, destructive };
}

/** Refuses to roll back over destructive migrations unless forced; warns when forced. */
export function checkDatabaseSafety(
  settings: Settings,
  inputs: Inputs,
  warn: (message: string) => void,
): void {
  if (!settings.destructive) return;
  const which = settings.destructiveMigrations.length
    ? ` (${settings.destructiveMigrations.map((f) => `\`${f}\``).join(", ")})`
    : "";
  const snapshot = inputs.snapshotId
    ? ` The snapshot taken before they ran is \`${inputs.snapshotId}\`.`
    : "";
  if (inputs.force) {
    warn(
      `Rolling back although the migrations of this release were destructive${which}, because force is true. The previous revision must cope with the schema as it is now: what the migrations dropped stays dropped.${snapshot}`,
    );
    return;
  }
  throw new UserError(
    `Refusing to roll back: the migrations applied with this release were destructive${which}. The previous revision was written for the schema before them; putting it back does not bring back what they dropped, and it may fail or corrupt data against the new schema.${snapshot}`,
    {
      input: "destructive-migrations",
      fix: "Roll forward with a fix instead; or restore the database from the snapshot first and then roll back; or, if you have checked the previous revision works with the new schema, set `force: true`. If ECS has already rolled the service back on its own (circuit breaker or alarm), the previous revision is running against the new schema now: check it at once.",
    },
  );
}

// auto-rollback's inputs turned into validated settings, one function per kind of check, all before
// anything is read or changed: where the deploy to undo is described (ecs-deploy's deploy record, or
// its loose outputs), the evidence for the report, the GitHub records, and the database-safety
// refusal when destructive migrations ran.
import { type AwsSettings, awsSettingsFromInputs, resolveRegion } from "@shipline/core/aws/clients";
import type { DeployRecord, DeployRecordService } from "@shipline/core/ecs/deploy-record";
import type { RollbackOptions } from "@shipline/core/ecs/rollback-execute";
import type { RollbackRequest } from "@shipline/core/ecs/rollback-plan";
import { perServiceInput, shortName } from "@shipline/core/ecs/services-input";
import { revisionLabel, TASK_DEFINITION_ARN } from "@shipline/core/ecs/task-definition";
import { UserError } from "@shipline/core/runtime/errors";
import { inputError } from "@shipline/core/runtime/inputs";
import { type Inputs, required } from "./inputs";

export interface Evidence {
  verdict: string | undefined;
  reason: string | undefined;
  failedChecks: { name: string; summary: string }[];
  healthReportFinishedAt: string | undefined;
  migrations: { file: string; destructive: boolean }[];
  destructive: boolean;
  forced: boolean;
  snapshotId: string | undefined;
}

export interface GitHubSettings {
  token: string;
  /** Mark this environment's deployment of the bad revision failed, and record the restored one. */
  environment: string | undefined;
  /** Open (or update) an incident issue. */
  incident: { title: string | undefined; labels: string[] } | undefined;
}

export interface Settings {
  request: RollbackRequest;
  follow: RollbackOptions;
  evidence: Evidence;
  /** The health-gate report, shown in the incident as it was given. */
  healthReport: Record<string, unknown> | undefined;
  github: GitHubSettings | undefined;
  aws: AwsSettings;
}

/** What the request takes from ecs-deploy: its deploy record, or its loose outputs. */
type Targets = Omit<RollbackRequest, "explicitTarget">;

const RECORD = "deploy-record";

/** Reads the parts of a health-gate report an incident needs; anything missing is left out. */
export function evidenceFromHealthReport(
  report: Record<string, unknown> | undefined,
): Pick<Evidence, "reason" | "failedChecks" | "healthReportFinishedAt"> & { verdict?: string } {
  if (!report) return { reason: undefined, failedChecks: [], healthReportFinishedAt: undefined };
  const checks = Array.isArray(report.checks) ? (report.checks as Record<string, unknown>[]) : [];
  const failedChecks = checks
    .filter((c) => c.status === "fail")
    .map((c) => ({ name: String(c.name ?? "?"), summary: String(c.summary ?? "") }));
  return {
    ...(typeof report.verdict === "string" ? { verdict: report.verdict } : {}),
    reason: typeof report.reason === "string" ? report.reason : undefined,
    failedChecks,
    healthReportFinishedAt: typeof report.finishedAt === "string" ? report.finishedAt : undefined,
  };
}

function githubSettings(inputs: Inputs): GitHubSettings | undefined {
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
  if (!inputs.githubToken) return undefined;
  return {
    token: inputs.githubToken,
    environment: inputs.environment,
    incident: inputs.incidentIssue
      ? { title: inputs.incidentTitle, labels: inputs.incidentLabels }
      : undefined,
  };
}

/** Without a deploy record: ecs-deploy's loose outputs (any of them may be missing). */
function looseTargets(inputs: Inputs): Targets {
  const cluster = required(inputs.cluster, "cluster");
  const services = required(inputs.services, "services");
  return {
    cluster,
    services,
    recorded: perServiceInput(
      "previous-task-definition-arn",
      inputs.previousTaskDefinitionArn,
      services,
      (v) => TASK_DEFINITION_ARN.test(v),
    ),
    recordedInput: "previous-task-definition-arn",
    bad: inputs.taskDefinitionArn,
    badServiceDeployment: perServiceInput(
      "service-deployment-arn",
      inputs.serviceDeploymentArn,
      services,
      (v) => /:service-deployment\//.test(v),
    ),
  };
}

function contradiction(input: string, given: string, recorded: string): UserError {
  return inputError(
    input,
    `it says ${given}, but \`${RECORD}\` says ${recorded}.`,
    `Both must describe the same deploy: pass \`${RECORD}\` alone (it carries every value ecs-deploy recorded), or outputs of the same ecs-deploy step. To return to another revision than the recorded one, use \`task-definition\`.`,
  );
}

/** The record's entries for the services to roll back: all of them, or those `services` picks. */
function recordServices(
  record: DeployRecord,
  given: readonly string[] | undefined,
): [string, DeployRecordService][] {
  if (!given) return record.services.map((s) => [s.name, s]);
  return given.map((key) => {
    const entry = record.services.find((s) => s.name === shortName(key));
    if (!entry) {
      throw contradiction(
        "services",
        `"${key}"`,
        `the deploy was of ${record.services.map((s) => s.name).join(", ")}`,
      );
    }
    return [key, entry];
  });
}

/** A loose per-service input given beside the record must say what the record says. */
function checkAgrees(
  input: string,
  loose: Record<string, string | undefined>,
  recorded: Record<string, string | undefined>,
): void {
  for (const [key, value] of Object.entries(loose)) {
    if (value !== undefined && value !== recorded[key]) {
      throw contradiction(
        input,
        `${value} for ${key}`,
        recorded[key] ? `${recorded[key]}` : `none for ${key}`,
      );
    }
  }
}

/**
 * With a deploy record: its values are the ones used. `services` may pick some of its services;
 * every other loose input given beside it (cluster, task-definition-arn, previous-task-definition-arn,
 * service-deployment-arn) must agree with it, or the step refuses, naming both.
 */
function recordTargets(record: DeployRecord, inputs: Inputs): Targets {
  if (inputs.cluster && shortName(inputs.cluster) !== shortName(record.cluster)) {
    throw contradiction("cluster", `"${inputs.cluster}"`, `"${record.cluster}"`);
  }
  if (
    inputs.taskDefinitionArn &&
    revisionLabel(inputs.taskDefinitionArn) !== revisionLabel(record.taskDefinitionArn)
  ) {
    throw contradiction(
      "task-definition-arn",
      revisionLabel(inputs.taskDefinitionArn),
      revisionLabel(record.taskDefinitionArn),
    );
  }
  const entries = recordServices(record, inputs.services);
  const services = entries.map(([key]) => key);
  const recorded = Object.fromEntries(
    entries.map(([key, s]) => [key, s.previousTaskDefinitionArn ?? undefined]),
  );
  const badServiceDeployment = Object.fromEntries(
    entries.map(([key, s]) => [key, s.serviceDeploymentArn ?? undefined]),
  );
  const loose = looseTargets({ ...inputs, cluster: record.cluster, services });
  checkAgrees("previous-task-definition-arn", loose.recorded, recorded);
  checkAgrees("service-deployment-arn", loose.badServiceDeployment, badServiceDeployment);
  return {
    cluster: record.cluster,
    services,
    recorded,
    recordedInput: RECORD,
    bad: record.taskDefinitionArn,
    badServiceDeployment,
  };
}

function evidenceOf(inputs: Inputs, destructiveFiles: string[]): Evidence {
  const fromReport = evidenceFromHealthReport(inputs.healthReport);
  const destructive = inputs.destructiveMigrations || destructiveFiles.length > 0;
  return {
    verdict: inputs.verdict ?? fromReport.verdict,
    reason: inputs.reason ?? fromReport.reason,
    failedChecks:
      fromReport.failedChecks.length > 0
        ? fromReport.failedChecks
        : (inputs.failedChecks ?? []).map((name) => ({ name, summary: "" })),
    healthReportFinishedAt: fromReport.healthReportFinishedAt,
    migrations: (inputs.migrations ?? []).map((m) => ({ file: m.file, destructive: m.destructive === true })),
    destructive,
    forced: destructive && inputs.force,
    snapshotId: inputs.snapshotId,
  };
}

/** Refuses to roll back over destructive migrations unless forced; warns when forced. */
export function checkDatabaseSafety(evidence: Evidence, warn: (message: string) => void): void {
  if (!evidence.destructive) return;
  const files = evidence.migrations.filter((m) => m.destructive).map((m) => `\`${m.file}\``);
  const which = files.length ? ` (${files.join(", ")})` : "";
  const snapshot = evidence.snapshotId
    ? ` The snapshot taken before they ran is \`${evidence.snapshotId}\`.`
    : "";
  if (evidence.forced) {
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

/**
 * Every input checked, in the order a person fixes them: GitHub tokens, what the deploy was, then the
 * database-safety refusal (a refused rollback reads and changes nothing), then the AWS region.
 */
export function settingsFrom(
  inputs: Inputs,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): Settings {
  const github = githubSettings(inputs);
  const targets = inputs.deployRecord ? recordTargets(inputs.deployRecord, inputs) : looseTargets(inputs);
  const destructiveFiles = (inputs.migrations ?? []).filter((m) => m.destructive).map((m) => m.file);
  const evidence = evidenceOf(inputs, destructiveFiles);
  checkDatabaseSafety(evidence, warn);
  if (evidence.verdict === "pass")
    warn("The health verdict given is pass; rolling back anyway, as this step was run.");
  const aws = awsSettingsFromInputs(inputs);
  resolveRegion(aws, env);
  return {
    request: { ...targets, explicitTarget: inputs.taskDefinition },
    follow: {
      pollIntervalMs: inputs.pollInterval,
      waitTimeoutMs: inputs.waitTimeout,
      caller: "auto-rollback",
    },
    evidence,
    healthReport: inputs.healthReport,
    github,
    aws,
  };
}

// The inputs of auto-rollback; a contract test keeps this spec equal to action.yml. Names follow the
// outputs they are fed from: ecs-deploy (deploy-record, or task-definition-arn,
// previous-task-definition-arn, service-deployment-arn), migrate (destructive, migrations,
// snapshot-id), health-gate (verdict, report, failed-checks).
import { awsInputSpec } from "@shipline/core/aws/inputs";
import { type DeployRecord, parseDeployRecord } from "@shipline/core/ecs/deploy-record";
import { optionalServicesInputSpec } from "@shipline/core/ecs/services-input";
import { GITHUB_TOKEN, GITHUB_TOKEN_HINT } from "@shipline/core/github/token";
import { type InputSpec, type InputValues, input, inputError } from "@shipline/core/runtime/inputs";

const ARN_OR_MAP_HINT =
  "Give a task-definition ARN, or the JSON object keyed by service that ecs-deploy outputs for several services.";

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
    throw new Error(`${what} must be a JSON list of strings`);
  return value;
}

export const inputSpec = {
  // Required unless deploy-record names them (settings checks that).
  ...optionalServicesInputSpec,
  "deploy-record": input.json<DeployRecord>({
    validate: parseDeployRecord,
    hint: "Pass the `deploy-record` output of the ecs-deploy step unchanged.",
  }),
  "task-definition": input.string({
    pattern: /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/)?[a-zA-Z0-9_-]{1,255}:\d+$/,
    hint: "Give a task-definition ARN or family:revision.",
  }),
  "previous-task-definition-arn": input.string({
    pattern: /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[a-zA-Z0-9_-]{1,255}:\d+|\{[\s\S]*\})$/,
    hint: ARN_OR_MAP_HINT,
  }),
  "task-definition-arn": input.string({
    pattern: /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/)?[a-zA-Z0-9_-]{1,255}:\d+$/,
    hint: "Give ecs-deploy's `task-definition-arn` output: the revision being rolled back.",
  }),
  "service-deployment-arn": input.string({
    pattern: /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service-deployment\/\S+|\{[\s\S]*\})$/,
    hint: "Give ecs-deploy's `service-deployment-arn` output.",
  }),
  "destructive-migrations": input.boolean({ default: "false" }),
  migrations: input.json<{ file: string; destructive?: boolean }[]>({
    validate: (value) => {
      if (!Array.isArray(value)) throw new Error("it must be a JSON list");
      for (const item of value) {
        if (
          typeof item !== "object" ||
          item === null ||
          typeof (item as { file?: unknown }).file !== "string"
        ) {
          throw new Error('each entry needs a "file"');
        }
      }
      return value as { file: string; destructive?: boolean }[];
    },
    hint: 'Pass migrate\'s `migrations` output: [{"file": "...", "destructive": true}, ...].',
  }),
  "snapshot-id": input.string({
    // A manual or automated (rds:) snapshot id, or its ARN, as migrate's `snapshot-id` output gives it.
    pattern:
      /^(arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:(cluster-)?snapshot:)?([a-z]+:)?[A-Za-z][A-Za-z0-9-]{0,254}$/,
    hint: "Give the RDS snapshot id (migrate's `snapshot-id` output), such as shop-pre-migration-1001.",
  }),
  force: input.boolean({ default: "false" }),
  verdict: input.choice(["pass", "fail", "inconclusive"]),
  "health-report": input.json<Record<string, unknown>>({
    validate: (value) => {
      if (typeof value !== "object" || value === null || Array.isArray(value))
        throw new Error("it must be a JSON object");
      return value as Record<string, unknown>;
    },
    hint: "Pass health-gate's `report` output.",
  }),
  "failed-checks": input.json<string[]>({
    validate: (value) => stringList(value, "failed-checks"),
    hint: "Pass health-gate's `failed-checks` output (a JSON list of check names).",
  }),
  // Goes into the summary, the deployment status and the incident issue: a few sentences at most.
  reason: input.text({ maxLength: 1_000 }),
  "wait-timeout": input.duration({ default: "20m", min: "10s", max: "6h" }),
  "poll-interval": input.duration({ default: "5s", min: "100ms", max: "5m" }),
  "github-token": input.string({ secret: true, pattern: GITHUB_TOKEN, hint: GITHUB_TOKEN_HINT }),
  environment: input.string({
    pattern: /^[A-Za-z0-9][A-Za-z0-9 _./:-]{0,254}$/,
    hint: "Give the GitHub environment's name, such as production.",
  }),
  "incident-issue": input.boolean({ default: "false" }),
  // GitHub's limits: an issue title is at most 256 characters, a label 50.
  "incident-title": input.text({ maxLength: 256 }),
  "incident-labels": input.list({
    default: "incident",
    freeText: true,
    itemPattern: /^.{1,50}$/,
    itemHint: "Labels are at most 50 characters.",
  }),
  ...awsInputSpec,
} satisfies InputSpec;

export type Inputs = InputValues<typeof inputSpec>;

/** A value that ecs-deploy's deploy record names when it is given. */
export function required<T>(value: T | undefined, input: string): T {
  if (value !== undefined) return value;
  throw inputError(
    input,
    "it is required (unless `deploy-record` is given, which names it) but was not given.",
    `Add \`${input}:\` under the step's \`with:\`, or pass ecs-deploy's \`deploy-record\` output.`,
  );
}

/** The rules between inputs, checked before the rest of the action is loaded (and again by its settings). */
export function checkInputs(inputs: Inputs): void {
  if (inputs.deployRecord) return;
  required(inputs.cluster, "cluster");
  required(inputs.services, "services");
}

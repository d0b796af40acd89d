// The inputs of ecs-deploy; a contract test keeps this spec equal to action.yml.
import { awsInputSpec } from "@shipline/core/aws/inputs";
import { imageReferenceCheck } from "@shipline/core/docker/reference";
import { servicesInputSpec } from "@shipline/core/ecs/services-input";
import { strategyInputSpec } from "@shipline/core/ecs/strategy";
import { LISTENER_RULE_ARN } from "@shipline/core/elb/arns";
import { parseOverride, type RecordedOverride } from "@shipline/core/github/deployment-record";
import { GITHUB_TOKEN, GITHUB_TOKEN_HINT } from "@shipline/core/github/token";
import { type MigrationRecord, parseMigrations } from "@shipline/core/release-notes/deployment";
import { type InputSpec, type InputValues, input } from "@shipline/core/runtime/inputs";
import { definitionInputSpec } from "./definition-inputs";

const NAME = /^[a-zA-Z0-9_-]{1,255}$/;
/** A GitHub environment's name: letters, digits, spaces and `-_./:`, up to 255 characters. */
export const ENVIRONMENT = /^[A-Za-z0-9][A-Za-z0-9 _./:-]{0,254}$/;
/** A registered revision, deployed without reading a file: an ARN or family:revision. */
const REGISTERED = /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/)?[a-zA-Z0-9_-]{1,255}:\d+$/;

export const inputSpec = {
  ...servicesInputSpec,
  // An ARN that is not a task definition's falls through to a path and is refused by settings.
  "task-definition": input.path({ references: REGISTERED }),
  containers: input.keyValues({
    keyPattern: NAME,
    keyHint:
      "Write one `container=image` per line, e.g. `web=123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:...`.",
    valueCheck: imageReferenceCheck(),
  }),
  "environment-variables": input.keyValues({
    keyPattern: /^[a-zA-Z0-9_-]{1,255}\.[A-Za-z_][A-Za-z0-9_.-]{0,254}$/,
    keyHint:
      "Write one `container.NAME=value` per line, e.g. `web.LOG_LEVEL=debug` (names are letters, digits and `_`).",
    // Values are free text; those named like credentials (web.DATABASE_URL) are masked everywhere.
    maxLength: 65_536,
  }),
  ...definitionInputSpec,
  "desired-count": input.integer({ min: 0, max: 100_000 }),
  "force-new-deployment": input.boolean({ default: "false" }),
  wait: input.boolean({ default: "true" }),
  "wait-timeout": input.duration({ default: "30m", min: "10s", max: "6h" }),
  "poll-interval": input.duration({ default: "5s", min: "100ms", max: "5m" }),
  "rollback-on-cancel": input.boolean({ default: "false" }),
  ...strategyInputSpec,
  plan: input.boolean({ default: "false" }),
  "register-only": input.boolean({ default: "false" }),
  "keep-revisions": input.integer({ min: 1, max: 1000 }),
  "log-tail-lines": input.integer({ default: "30", min: 1, max: 500 }),
  "traffic-rule": input.string({
    pattern: LISTENER_RULE_ARN,
    hint: "Give the listener rule's ARN: arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/<lb>/<id>/<listener>/<rule>.",
  }),
  "canary-service": input.string({ pattern: NAME, hint: "Give the canary service's name (in `cluster`)." }),
  "traffic-steps": input.list({
    default: "1,5,50,100",
    itemPattern: /^\d{1,3}$/,
    itemHint: "Give whole percentages, e.g. `1,5,50,100`.",
  }),
  "traffic-step-pause": input.duration({ default: "2m", min: "10s", max: "1h" }),
  "traffic-error-rate-threshold": input.number({ default: "0.05", min: 0, max: 1 }),
  "traffic-latency-p95-threshold": input.duration({ default: "2s", min: "1ms", max: "1m" }),
  "traffic-min-requests": input.integer({ default: "20", min: 1, max: 1_000_000 }),
  "codedeploy-application": input.string({
    pattern: /^[A-Za-z0-9_.+-]{1,100}$/,
    hint: "Give the CodeDeploy application's name.",
  }),
  "codedeploy-deployment-group": input.string({
    pattern: /^[A-Za-z0-9_.+-]{1,100}$/,
    hint: "Give the deployment group's name.",
  }),
  "codedeploy-deployment-config": input.string({
    pattern: /^[A-Za-z0-9_.+-]{1,100}$/,
    hint: "Give a deployment config name, e.g. CodeDeployDefault.ECSCanary10Percent5Minutes.",
  }),
  "codedeploy-hooks": input.keyValues({
    keyPattern: /^[A-Za-z]{1,40}$/,
    keyHint:
      "Write one `LifecycleEvent=function` per line, e.g. `AfterAllowTestTraffic=arn:aws:lambda:...:function:smoke`.",
    valueCheck: (value) => {
      if (!/^[A-Za-z0-9_:.$-]{1,170}$/.test(value))
        throw new Error(`"${value}" is not a Lambda function name or ARN`);
    },
  }),
  "codedeploy-judge": input.duration({ default: "2m", max: "2h" }),
  "github-token": input.string({ secret: true, pattern: GITHUB_TOKEN, hint: GITHUB_TOKEN_HINT }),
  environment: input.string({
    pattern: ENVIRONMENT,
    hint: "Give the GitHub environment's name, such as staging.",
  }),
  // Shown to every reader of the repository on the deployment: a URL with credentials is refused.
  "environment-url": input.url({ credentials: "refuse" }),
  // Recorded in the GitHub deployment, for preflight and the release notes to read later.
  migrations: input.json<MigrationRecord[]>({
    validate: parseMigrations,
    hint: 'Pass the `migrations` output of migrate: [{"file": "...", "destructive": false}, ...].',
  }),
  "preflight-override": input.json<RecordedOverride>({
    validate: parseOverride,
    hint: 'Pass the `override` output of preflight: {"checks": ["window"], "reason": "...", ...}.',
  }),
  ...awsInputSpec,
} satisfies InputSpec;

export type Inputs = InputValues<typeof inputSpec>;

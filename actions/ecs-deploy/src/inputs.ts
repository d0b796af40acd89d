// The inputs of ecs-deploy; a contract test keeps this spec equal to action.yml.
import { awsInputSpec } from "@shipline/core/aws/clients";
import { servicesInputSpec } from "@shipline/core/ecs/services-input";
import { type InputSpec, type InputValues, input } from "@shipline/core/runtime/inputs";

const NAME = /^[a-zA-Z0-9_-]{1,255}$/;

export const inputSpec = {
  ...servicesInputSpec,
  "task-definition": input.string(),
  containers: input.keyValues({
    keyPattern: NAME,
    keyHint:
      "Write one `container=image` per line, e.g. `web=123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:...`.",
  }),
  "environment-variables": input.keyValues({
    keyPattern: /^[a-zA-Z0-9_-]{1,255}\.[^\s=]+$/,
    keyHint: "Write one `container.NAME=value` per line, e.g. `web.LOG_LEVEL=debug`.",
  }),
  "desired-count": input.integer({ min: 0, max: 100_000 }),
  "force-new-deployment": input.boolean({ default: "false" }),
  wait: input.boolean({ default: "true" }),
  "wait-timeout": input.duration({ default: "30m", min: "10s", max: "6h" }),
  "poll-interval": input.duration({ default: "5s", min: "100ms", max: "5m" }),
  "rollback-on-cancel": input.boolean({ default: "false" }),
  plan: input.boolean({ default: "false" }),
  "register-only": input.boolean({ default: "false" }),
  "keep-revisions": input.integer({ min: 1, max: 1000 }),
  "log-tail-lines": input.integer({ default: "30", min: 1, max: 500 }),
  "github-token": input.string({ secret: true }),
  environment: input.string({
    pattern: /^[^\s].{0,254}$/,
    hint: "Give the GitHub environment's name, such as staging.",
  }),
  "environment-url": input.url(),
  ...awsInputSpec,
} satisfies InputSpec;

export type Inputs = InputValues<typeof inputSpec>;

// The inputs of preflight; a contract test keeps this spec equal to action.yml.
import { awsInputSpec } from "@shipline/core/aws/inputs";
import { imageReferenceCheck } from "@shipline/core/docker/reference";
import { optionalServicesInputSpec } from "@shipline/core/ecs/services-input";
import { GITHUB_TOKEN, GITHUB_TOKEN_HINT } from "@shipline/core/github/token";
import { type InputSpec, type InputValues, input } from "@shipline/core/runtime/inputs";

const ENVIRONMENT = /^[A-Za-z0-9][A-Za-z0-9 _./:-]{0,254}$/;
const ENVIRONMENT_HINT = "Give the GitHub environment's name, such as staging.";

export const inputSpec = {
  "github-token": input.string({
    required: true,
    secret: true,
    pattern: GITHUB_TOKEN,
    hint: GITHUB_TOKEN_HINT,
  }),
  tag: input.string({
    pattern: /^[A-Za-z0-9][A-Za-z0-9._/+-]{0,254}$/,
    hint: "Give the version tag, such as v1.5.0.",
  }),
  image: input.string({ check: imageReferenceCheck({ digest: "required" }) }),
  "staging-environment": input.string({ default: "staging", pattern: ENVIRONMENT, hint: ENVIRONMENT_HINT }),
  "production-environment": input.string({
    default: "production",
    pattern: ENVIRONMENT,
    hint: ENVIRONMENT_HINT,
  }),
  "min-staging-age": input.duration({ default: "30m", max: "720h" }),
  ...optionalServicesInputSpec,
  "working-directory": input.path({ default: ".", mustExist: "directory" }),
  layout: input.choice(["auto", "prisma", "flyway", "golang-migrate", "alembic", "glob"], {
    default: "auto",
  }),
  "migrations-glob": input.globs({ relativeTo: "working-directory", mustExist: "directory" }),
  rules: input.keyValues({
    keyPattern: /^[a-z][a-z0-9-]{0,63}$/,
    keyHint: "Write one `rule-id=off|warn|error` per line; the rule ids are listed in the migrate README.",
  }),
  "allow-destructive": input.boolean({ default: "false" }),
  backup: input.choice(["never", "always", "if-destructive"], { default: "never" }),
  "deploy-windows": input.list({
    // One window per line: a window lists its days with commas ("Mon,Wed 10:00-12:00").
    separator: "newline",
    freeText: true,
    itemPattern: /^[A-Za-z,-]+ \d\d:\d\d-\d\d:\d\d$/,
    itemHint: 'Write one window per line, weekdays and hours, such as "Mon-Thu 09:00-16:00".',
  }),
  "time-zone": input.string({
    default: "UTC",
    pattern: /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/,
    hint: "Give an IANA time zone name, such as Europe/Berlin.",
  }),
  "freeze-periods": input.text({ maxLength: 8_192 }),
  "override-window": input.boolean({ default: "false" }),
  "override-reason": input.text({ maxLength: 500 }),
  "check-staging": input.boolean({ default: "true" }),
  "check-rollback-target": input.boolean({ default: "true" }),
  "check-migrations": input.boolean({ default: "true" }),
  "check-window": input.boolean({ default: "true" }),
  "check-release-notes": input.boolean({ default: "true" }),
  "fail-on-no-go": input.boolean({ default: "true" }),
  ...awsInputSpec,
} satisfies InputSpec;

export type Inputs = InputValues<typeof inputSpec>;

// The inputs of build-push; a contract test keeps this spec equal to action.yml.
import { awsInputSpec } from "@shipline/core/aws/inputs";
import { TAG_PATTERN } from "@shipline/core/docker/reference";
import { type InputSpec, type InputValues, input } from "@shipline/core/runtime/inputs";

const TAG_HINT = "Tags are 1 to 128 letters, digits, '_', '.' and '-', and do not start with '.' or '-'.";
/** A repository name or URI: its grammar is checked by the settings, shell syntax here. */
const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9._/:-]{0,511}$/;
const REPOSITORY_HINT = "Give the ECR repository's name (shop/web) or its URI.";

export const inputSpec = {
  repository: input.string({ required: true, pattern: REPOSITORY, hint: REPOSITORY_HINT }),
  "registry-id": input.string({ pattern: /^\d{12}$/, hint: "Give the 12-digit AWS account id." }),
  mode: input.choice(["build", "promote"], { default: "build" }),
  context: input.path({ default: "." }),
  dockerfile: input.path(),
  target: input.string({
    pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    hint: "Give a stage name from the Dockerfile.",
  }),
  "build-args": input.keyValues({
    keyPattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
    keyHint: "Build argument names are letters, digits and '_'.",
  }),
  secrets: input.keyValues({
    secret: true,
    keyPattern: /^[A-Za-z0-9_.-]+$/,
    keyHint: "Secret ids are letters, digits, '_', '.' and '-'.",
  }),
  platforms: input.list({
    itemPattern: /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/,
    itemHint: 'Platforms look like "linux/amd64" or "linux/arm64/v8".',
  }),
  network: input.string({
    pattern: /^[A-Za-z0-9_.:-]+$/,
    hint: 'Give a network mode such as "host" or "none".',
  }),
  labels: input.keyValues(),
  cache: input.boolean({ default: "true" }),
  "cache-repository": input.string({ pattern: REPOSITORY, hint: REPOSITORY_HINT }),
  "cache-tag": input.string({ default: "buildcache", pattern: TAG_PATTERN, hint: TAG_HINT }),
  provenance: input.boolean({ default: "false" }),
  "skip-existing": input.boolean({ default: "true" }),
  "create-repository": input.boolean({ default: "false" }),
  "tag-mutability": input.choice(["MUTABLE", "IMMUTABLE"], { default: "MUTABLE" }),
  "scan-on-push": input.boolean({ default: "true" }),
  commit: input.string({ pattern: /^[0-9a-f]{40}$/, hint: "Give the full 40-character commit SHA." }),
  "commit-tag": input.choice(["full", "short"], { default: "full" }),
  "branch-tag": input.boolean({ default: "true" }),
  environment: input.string({
    pattern: TAG_PATTERN,
    hint: `The environment name becomes a tag. ${TAG_HINT}`,
  }),
  version: input.string({
    pattern: /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/,
    hint: "Give a version such as v1.5.0.",
  }),
  "semver-tags": input.boolean({ default: "false" }),
  tags: input.list({ itemPattern: TAG_PATTERN, itemHint: TAG_HINT }),
  // A tag, a digest or an image reference; the settings check each part against ECR's grammar.
  // Checked against ECR's tag and digest grammar in settings, which says which part is wrong.
  source: input.text({ maxLength: 1024 }),
  "scan-severity-threshold": input.choice(["critical", "high", "medium", "low", "informational"]),
  "scan-allowed-findings": input.keyValues({
    keyPattern: /^(critical|high|medium|low|informational)$/i,
    keyHint: "Keys are severities: critical, high, medium, low, informational.",
  }),
  "scan-ignore": input.list(),
  "scan-timeout": input.duration({ default: "10m", min: "5s", max: "3h" }),
  "scan-poll-interval": input.duration({ default: "10s", min: "1s", max: "5m" }),
  ...awsInputSpec,
} satisfies InputSpec;

export type Inputs = InputValues<typeof inputSpec>;

// The inputs of release-notes; a contract test keeps this spec equal to action.yml.

import { imageReferenceCheck } from "@shipline/core/docker/reference";
import { GITHUB_TOKEN, GITHUB_TOKEN_HINT } from "@shipline/core/github/token";
import {
  DIGEST,
  type MigrationRecord,
  parseMigrations,
  TASK_DEFINITION_ARN,
} from "@shipline/core/release-notes/deployment";
import { type InputSpec, type InputValues, input } from "@shipline/core/runtime/inputs";

/** A tag name: letters, digits and `._/+@-`, as version tags are named (no shell syntax, no spaces). */
const TAG_NAME = /^[A-Za-z0-9][A-Za-z0-9._/+@-]{0,254}$/;

const taskDefinitionArn = {
  pattern: TASK_DEFINITION_ARN,
  hint: "Give a task definition ARN with its revision, as ecs-deploy outputs it: arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>.",
} as const;

export const inputSpec = {
  "github-token": input.string({
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the runner expands this default, as in action.yml.
    default: "${{ github.token }}",
    secret: true,
    pattern: GITHUB_TOKEN,
    hint: GITHUB_TOKEN_HINT,
  }),
  tag: input.string({ pattern: TAG_NAME, hint: "Give a tag name such as v1.5.0." }),
  "previous-tag": input.string({ pattern: TAG_NAME, hint: "Give a tag name such as v1.4.0." }),
  "tag-pattern": input.string({
    default: "v*",
    pattern: /^[A-Za-z0-9._/+@-]*\*[A-Za-z0-9._/+@-]*$/,
    hint: 'Write the tag name with one "*" where the version goes, such as "v*" or "api-v*".',
  }),
  "config-file": input.path({ default: ".github/shipline-release.yml", relativeTo: "working-directory" }),
  "working-directory": input.path({ default: "." }),
  "fetch-history": input.boolean({ default: "true" }),
  "release-name": input.text({ maxLength: 1_024 }),
  draft: input.boolean({ default: "false" }),
  "dry-run": input.boolean({ default: "false" }),
  image: input.string({ check: imageReferenceCheck({ digest: "required" }) }),
  digest: input.string({ pattern: DIGEST, hint: "Give a digest such as sha256:<64 hex digits>." }),
  "task-definition-arn": input.string(taskDefinitionArn),
  "previous-task-definition-arn": input.string(taskDefinitionArn),
  migrations: input.json<MigrationRecord[]>({
    validate: parseMigrations,
    hint: 'Pass the `migrations` output of migrate: [{"file": "...", "destructive": false}, ...].',
  }),
  verdict: input.choice(["pass", "fail", "inconclusive"]),
  "health-report": input.json<unknown>({ hint: "Pass the `report` output of health-gate (a JSON object)." }),
  "rollback-action": input.string({
    pattern: /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[\w./-]+$/,
    hint: "Write it as a `uses:` value: <owner>/shipline/actions/auto-rollback@v1.",
  }),
  "rollback-with": input.keyValues({
    keyPattern: /^[a-z][\w-]*$/,
    keyHint: "Keys are input names such as cluster.",
  }),
} satisfies InputSpec;

export type Inputs = InputValues<typeof inputSpec>;

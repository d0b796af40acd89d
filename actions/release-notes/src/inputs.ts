// The inputs of release-notes; a contract test keeps this spec equal to action.yml.

import {
  DIGEST,
  type MigrationRecord,
  parseMigrations,
  TASK_DEFINITION_ARN,
} from "@shipline/core/release-notes/deployment";
import { type InputSpec, type InputValues, input } from "@shipline/core/runtime/inputs";

const taskDefinitionArn = {
  pattern: TASK_DEFINITION_ARN,
  hint: "Give a task definition ARN with its revision, as ecs-deploy outputs it: arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>.",
} as const;

export const inputSpec = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the runner expands this default, as in action.yml.
  "github-token": input.string({ default: "${{ github.token }}", secret: true }),
  tag: input.string({ pattern: /^[^\s~^:?*[\\]+$/, hint: "Give a tag name such as v1.5.0." }),
  "previous-tag": input.string({ pattern: /^[^\s~^:?*[\\]+$/, hint: "Give a tag name such as v1.4.0." }),
  "tag-pattern": input.string({
    default: "v*",
    pattern: /^[^*\s]*\*[^*\s]*$/,
    hint: 'Write the tag name with one "*" where the version goes, such as "v*" or "api-v*".',
  }),
  "config-file": input.string({ default: ".github/shipline-release.yml" }),
  "working-directory": input.string({ default: "." }),
  "fetch-history": input.boolean({ default: "true" }),
  "release-name": input.string(),
  draft: input.boolean({ default: "false" }),
  "dry-run": input.boolean({ default: "false" }),
  image: input.string({
    pattern: /^[^\s@]+@sha256:[0-9a-f]{64}$/,
    hint: "Give the image as build-push outputs it: <repository>@sha256:<digest>.",
  }),
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

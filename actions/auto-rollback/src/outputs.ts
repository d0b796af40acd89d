// The outputs of auto-rollback; a contract test keeps this list equal to action.yml.
import { defineOutputs } from "@shipline/core/runtime/outputs";

export const outputSpec = defineOutputs([
  "rolled-back",
  "task-definition-arn",
  "rolled-back-from",
  "service-deployment-arn",
  "action",
  "incident-issue-url",
  "duration-seconds",
  "report",
]);

// The outputs of migrate; a contract test keeps this list equal to action.yml.
import { defineOutputs } from "@shipline/core/runtime/outputs";

export const outputSpec = defineOutputs([
  "migrations",
  "destructive",
  "pending",
  "applied",
  "snapshot-id",
  "task-arn",
  "report",
]);

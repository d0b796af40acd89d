// The outputs of run-task; a contract test keeps this list equal to action.yml.
import { defineOutputs } from "@shipline/core/runtime/outputs";

export const outputSpec = defineOutputs(["task-arn", "task-arns", "exit-code", "log-url", "report"]);

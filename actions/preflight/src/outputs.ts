// The outputs of preflight; a contract test keeps this list equal to action.yml.
import { defineOutputs } from "@shipline/core/runtime/outputs";

export const outputSpec = defineOutputs(["verdict", "failed-checks", "report", "override"]);

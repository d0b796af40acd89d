// The outputs of build-push; a contract test keeps this list equal to action.yml.
import { defineOutputs } from "@shipline/core/runtime/outputs";

export const outputSpec = defineOutputs(["image", "digest", "tags", "registry", "built", "report"]);

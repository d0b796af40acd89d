// The outputs of release-notes; a contract test keeps this list equal to action.yml.
import { defineOutputs } from "@shipline/core/runtime/outputs";

export const outputSpec = defineOutputs(["release-url", "release-id", "notes", "previous-tag", "report"]);

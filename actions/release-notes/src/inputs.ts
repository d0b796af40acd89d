// The inputs of release-notes; a contract test keeps this spec equal to action.yml.
import type { InputSpec, InputValues } from "@shipline/core/inputs";

export const inputSpec = {} satisfies InputSpec;

export type Inputs = InputValues<typeof inputSpec>;

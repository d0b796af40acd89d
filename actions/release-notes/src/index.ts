// Entry point of the release-notes bundle: nothing imports this file.
import { afterInputs, run } from "@shipline/core/runtime/run";
import { inputSpec } from "./inputs";

await run(afterInputs(inputSpec, () => import("./main")));

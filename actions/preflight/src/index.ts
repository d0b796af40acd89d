// Entry point of the preflight bundle: nothing imports this file.
import { explainAwsErrors } from "@shipline/core/aws/errors";
import { afterInputs, run } from "@shipline/core/runtime/run";
import { inputSpec } from "./inputs";

// An AWS failure the user can act on (denied, expired, throttled, missing) is reported as theirs.
await run(
  explainAwsErrors(
    "preflight",
    afterInputs(inputSpec, () => import("./main")),
  ),
);

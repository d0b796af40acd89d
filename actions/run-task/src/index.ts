// Entry point of the run-task bundle: nothing imports this file.
import { explainAwsErrors } from "@shipline/core/aws/errors";
import { afterInputs, run } from "@shipline/core/runtime/run";
import { checkInputs, inputSpec } from "./inputs";

// An AWS failure the user can act on (denied, expired, throttled, missing) is reported as theirs.
await run(
  explainAwsErrors(
    "run-task",
    afterInputs(inputSpec, () => import("./main"), checkInputs),
  ),
);

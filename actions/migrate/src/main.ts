import { UserError } from "@shipline/core/errors";
import type { ActionContext } from "@shipline/core/run";
import { inputSpec } from "./inputs";

export async function main(context: ActionContext): Promise<void> {
  context.inputs(inputSpec);
  throw new UserError("migrate is not implemented yet.", {
    fix: "This action is being built; pin an earlier shipline release or remove the step for now.",
  });
}

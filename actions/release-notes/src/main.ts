// release-notes: the notes of a version tag from local git history and the pull requests GitHub
// knows, with what was deployed, written into the tag's GitHub release between shipline's markers.
import { createGitHubClient } from "@shipline/core/github/client";
import { Git } from "@shipline/core/github/git";
import type { ActionContext } from "@shipline/core/runtime/run";
import { inputSpec } from "./inputs";
import { collect } from "./phases/collect";
import { render } from "./phases/render";
import { resolve } from "./phases/resolve";
import { write } from "./phases/write";
import { publish } from "./report";
import { settingsFromInputs } from "./settings";

export async function main(context: ActionContext): Promise<void> {
  const inputs = context.inputs(inputSpec);
  const settings = settingsFromInputs(inputs, context.env, context.logger);
  const git = new Git({ cwd: settings.directory, logger: context.logger });

  const range = await resolve(context, settings, git);
  const github = createGitHubClient(settings.token, {
    logger: context.logger,
    clock: context.clock,
    signal: context.signal,
  });
  const { lookup, changes } = await collect(context, settings, { git, github }, range);
  const rendered = await render(context, settings, github, range, changes);
  const written = await write(context, settings, github, range, rendered);

  publish(context, {
    range,
    changes,
    notes: rendered.notes,
    lookup,
    configSource: settings.configSource,
    existing: rendered.existing,
    write: written,
  });
  // The notes were handed over above; a refused write still fails the step.
  if (written.status === "failed") throw written.error;
}

// The post step: log docker out of the registry the main step logged in to.
import { DockerCli } from "@shipline/core/docker/cli";
import { dockerLogout } from "@shipline/core/docker/login";
import type { ActionContext } from "@shipline/core/runtime/run";
import { REGISTRY_STATE } from "./push";

export async function logout(context: ActionContext): Promise<void> {
  const registry = context.state.get(REGISTRY_STATE);
  if (!registry) {
    context.logger.info("No registry login to undo.");
    return;
  }
  await context.logger.group("Registry logout", async () => {
    await dockerLogout(new DockerCli(context.logger), registry);
    context.logger.info(`Logged out of ${registry}.`);
  });
}

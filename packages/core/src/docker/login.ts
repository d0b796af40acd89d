// docker login / logout against a registry; the password goes through stdin only.
import { UserError } from "../runtime/errors";
import { type DockerCli, DockerCommandError } from "./cli";

export async function dockerLogin(
  docker: DockerCli,
  registry: string,
  username: string,
  password: string,
): Promise<void> {
  // The password must already be a registered secret; it is never an argument.
  const result = await docker.run(["login", "--username", username, "--password-stdin", registry], {
    input: password,
  });
  if (result.exitCode !== 0) {
    throw new UserError(
      `docker login to ${registry} failed: ${new DockerCommandError(["login"], result).message}`,
      {
        fix: "Check that the job's AWS role may call ecr:GetAuthorizationToken and that the runner reaches the registry.",
      },
    );
  }
}

export async function dockerLogout(docker: DockerCli, registry: string): Promise<void> {
  await docker.check(["logout", registry]);
}

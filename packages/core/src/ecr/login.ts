// ECR login: an authorization token from GetAuthorizationToken, registered as a secret before anything
// can print it, for `docker login --password-stdin`.
import { type ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import type { Logger } from "../runtime/logger";

export interface RegistryLogin {
  username: string;
  password: string;
  /** https://<account>.dkr.ecr.<region>.amazonaws.com */
  proxyEndpoint: string;
  expiresAt: Date | undefined;
}

/** Fetches registry credentials; the token and the password are masked from here on. */
export async function getRegistryLogin(client: ECRClient, logger: Logger): Promise<RegistryLogin> {
  const out = await client.send(new GetAuthorizationTokenCommand({}));
  const data = out.authorizationData?.[0];
  const token = data?.authorizationToken;
  if (!token || !data?.proxyEndpoint) throw new Error("GetAuthorizationToken returned no authorization data");
  logger.secrets.add(token);
  const decoded = Buffer.from(token, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) throw new Error("the ECR authorization token is not of the form user:password");
  const password = decoded.slice(colon + 1);
  logger.secrets.add(password);
  return {
    username: decoded.slice(0, colon),
    password,
    proxyEndpoint: data.proxyEndpoint,
    expiresAt: data.expiresAt,
  };
}

/** The registry host of an endpoint or URI: "https://x.dkr.ecr..." -> "x.dkr.ecr...". */
export function registryHost(endpoint: string): string {
  return endpoint.replace(/^[a-z]+:\/\//, "").replace(/\/.*$/, "");
}

// One factory for every AWS SDK v3 client: region, endpoint override (LocalStack, the test
// simulator), retry mode and attempts, request timeouts, the proxies of the environment (through
// Node's own proxy support, as fetch: runtime/proxy.ts) and the shipline user agent.
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { UserError } from "../runtime/errors";
import type { Logger } from "../runtime/logger";
import { proxyAgentOptions } from "../runtime/proxy";
import { SHIPLINE_VERSION } from "../runtime/version";
import type { AwsSettings } from "./inputs";

export { type AwsSettings, awsInputSpec, awsSettingsFromInputs } from "./inputs";

export function resolveRegion(settings: AwsSettings, env: NodeJS.ProcessEnv = process.env): string {
  const region = settings.region || env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new UserError("No AWS region is set.", {
      input: "aws-region",
      fix: "Set the `aws-region` input, or AWS_REGION (aws-actions/configure-aws-credentials sets it).",
    });
  }
  return region;
}

/** Attempts per call when neither the input nor AWS_MAX_ATTEMPTS says: a deploy outlives brief throttling. */
const DEFAULT_MAX_ATTEMPTS = 5;

// The SDK's standard variables, read here because the factory sets both values explicitly (which
// would otherwise hide them). A value the SDK would reject is ignored rather than failing the step.
function attemptsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const value = env.AWS_MAX_ATTEMPTS?.trim();
  if (!value || !/^\d+$/.test(value)) return undefined;
  const attempts = Number(value);
  return attempts >= 1 && attempts <= 20 ? attempts : undefined;
}

function retryModeFromEnv(env: NodeJS.ProcessEnv): "standard" | "adaptive" | undefined {
  const mode = env.AWS_RETRY_MODE?.trim().toLowerCase();
  return mode === "standard" || mode === "adaptive" ? mode : undefined;
}

export interface AwsClientConfig {
  region: string;
  endpoint?: string;
  maxAttempts: number;
  retryMode: "standard" | "adaptive";
  customUserAgent: [string, string][];
  requestHandler: NodeHttpHandler;
}

export function awsClientConfig(
  settings: AwsSettings,
  env: NodeJS.ProcessEnv = process.env,
): AwsClientConfig {
  const agent = proxyAgentOptions();
  const config: AwsClientConfig = {
    region: resolveRegion(settings, env),
    maxAttempts: settings.maxAttempts ?? attemptsFromEnv(env) ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: settings.retryMode ?? retryModeFromEnv(env) ?? "standard",
    customUserAgent: [["shipline", SHIPLINE_VERSION]],
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5_000,
      requestTimeout: settings.requestTimeoutMs ?? 30_000,
      // Options, not agents: the handler builds them with its own keep-alive and socket limit.
      ...(agent ? { httpAgent: agent, httpsAgent: agent } : {}),
    }),
  };
  if (settings.endpoint) config.endpoint = settings.endpoint;
  return config;
}

/**
 * Builds a client of any modular SDK v3 service, e.g. createAwsClient(ECSClient, settings).
 * The credentials in the environment are registered as secrets so no summary or output shows them.
 */
export function createAwsClient<Client extends object>(
  ClientClass: new (config: AwsClientConfig) => Client,
  settings: AwsSettings,
  options: { env?: NodeJS.ProcessEnv; logger?: Logger } = {},
): Client {
  const env = options.env ?? process.env;
  options.logger?.secrets.add(env.AWS_SECRET_ACCESS_KEY);
  options.logger?.secrets.add(env.AWS_SESSION_TOKEN);
  const config = awsClientConfig(settings, env);
  const client = new ClientClass(config);
  made.set(client, {
    make: () => new ClientClass({ ...config, maxAttempts: 1 }),
    attempts: config.maxAttempts,
  });
  return client;
}

/** How to make a one-attempt sibling of each client the factory built, and its own attempts. */
const made = new WeakMap<object, { make: () => object; attempts: number }>();
const oneAttempt = new WeakMap<object, object>();

/**
 * A sibling of a client from createAwsClient that makes one attempt per call (same region, endpoint,
 * credentials and HTTP handler), for mutations that must not be repeated blindly. A client built
 * elsewhere is returned as it is, with the attempts it may make unknown (1).
 */
export function singleAttemptClient<Client extends object>(
  client: Client,
): { client: Client; attempts: number } {
  const known = made.get(client);
  if (!known) return { client, attempts: 1 };
  let sibling = oneAttempt.get(client);
  if (!sibling) {
    sibling = known.make();
    oneAttempt.set(client, sibling);
  }
  return { client: sibling as Client, attempts: known.attempts };
}

/** Typical life of the session credentials that OIDC role assumption hands out. */
export const SESSION_CREDENTIAL_LIFE_MS = 60 * 60 * 1000;

/** Warns when a wait could outlive the job's AWS session credentials. */
export function warnIfBeyondSessionLife(waitMs: number, inputName: string, logger: Logger): void {
  if (waitMs > SESSION_CREDENTIAL_LIFE_MS) {
    logger.warning(
      `\`${inputName}\` allows ${Math.round(waitMs / 60_000)} minutes, longer than the usual one-hour life of assumed-role credentials; ` +
        "raise `role-duration-seconds` in configure-aws-credentials (and the role's maximum session duration), or expect the wait to end with an expired-token error.",
    );
  }
}

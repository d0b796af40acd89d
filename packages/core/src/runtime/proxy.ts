// Proxies, for a runner whose way out is an HTTP proxy: every HTTP request a step makes honours
// HTTPS_PROXY, HTTP_PROXY and NO_PROXY through Node's own proxy support (Node 24.14 and later), one
// mechanism for both HTTP stacks of a bundle. The run wrapper points fetch at the proxies (Octokit,
// the health checks) with http.setGlobalProxyFromEnv, and the AWS client factory gives the SDK's
// node:https handler agents built with the same variables (`proxyEnv`). Setting NODE_USE_ENV_PROXY
// once the process runs does nothing (Node reads it at start), hence the explicit calls.
//
// What Node is given is cleaned first, so the two stacks read the same thing: a proxy written without
// a scheme (`proxy.corp:3128`, which curl and @actions/http-client take as http://) gets `http://`;
// one that is not a URL is left out with a warning instead of failing the step; and the loopback
// names are added to NO_PROXY, as the toolkit's client did for GitHub calls and Go does for all: a
// proxy cannot reach the runner's own localhost (a LocalStack endpoint, a service container).
import type { AgentOptions } from "node:https";
import type { Logger } from "./logger";

/** The variables Node's proxy support reads, in the one spelling Node is given. */
export interface ProxyEnvironment {
  HTTPS_PROXY?: string;
  HTTP_PROXY?: string;
  NO_PROXY: string;
}

interface ProxySettings {
  /** What Node is given; undefined when no proxy is set (requests go direct, as without this). */
  env: ProxyEnvironment | undefined;
  /** Variables that are set but cannot be used, said without their values (they may hold a password). */
  problems: string[];
}

/**
 * Never through a proxy. Both spellings of ::1: fetch (undici) matches NO_PROXY against the URL's
 * host with its brackets, Node's agents without them. `localhost` gets its dot form like any domain.
 */
const LOOPBACK = ["localhost", "127.0.0.1", "::1", "[::1]"];

function proxyUrl(name: string, value: string | undefined, problems: string[]): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  const url = trimmed.includes("://") ? trimmed : `http://${trimmed}`;
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || !/^https?:$/.test(parsed.protocol) || !parsed.hostname) {
    problems.push(`${name} is not an http:// or https:// proxy URL; requests it would carry go direct.`);
    return undefined;
  }
  return url;
}

/**
 * NO_PROXY written so that fetch and Node's agents read it alike. They do not on their own: for
 * `amazonaws.com`, fetch (undici) skips the proxy for every subdomain and Node's agents only for that
 * exact host, so GitHub and AWS calls would part ways. A leading dot means the domain and its
 * subdomains to both, so each domain entry (`example.com`, `.example.com`, `*.example.com`) is given
 * as `example.com,.example.com`, which is what curl makes of any of them. IP addresses, `host:port`
 * entries (one port of that host) and `*` (no proxy at all) are given as they are.
 */
function noProxyEntries(value: string): string[] {
  const entries: string[] = [];
  const add = (entry: string): void => {
    if (!entries.includes(entry)) entries.push(entry);
  };
  for (const raw of value.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    const domain = entry.replace(/^\*?\./, "");
    const literal = entry === "*" || entry.includes(":") || /^\d+(\.\d+){3}$/.test(entry);
    if (literal || !domain) {
      add(entry);
    } else {
      add(domain);
      add(`.${domain}`);
    }
  }
  return entries;
}

/** The proxies the environment sets, lower-case names first as curl reads them. */
export function proxySettings(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const problems: string[] = [];
  const https = proxyUrl("HTTPS_PROXY", env.https_proxy || env.HTTPS_PROXY, problems);
  const plain = proxyUrl("HTTP_PROXY", env.http_proxy || env.HTTP_PROXY, problems);
  if (!https && !plain) return { env: undefined, problems };
  const noProxy = noProxyEntries(`${env.no_proxy || env.NO_PROXY || ""},${LOOPBACK.join(",")}`).join(",");
  return {
    env: {
      ...(https ? { HTTPS_PROXY: https } : {}),
      ...(plain ? { HTTP_PROXY: plain } : {}),
      NO_PROXY: noProxy,
    },
    problems,
  };
}

type SetGlobalProxy = (env: ProxyEnvironment) => unknown;

/**
 * Node's http.setGlobalProxyFromEnv (24.14 and later), which @types/node 20 does not know. node:http
 * is loaded only where a proxy is set: at the start of every step it would cost 3 MiB.
 */
function nodeSetGlobalProxy(): SetGlobalProxy | undefined {
  const http = process.getBuiltinModule("node:http") as { setGlobalProxyFromEnv?: SetGlobalProxy };
  return http.setGlobalProxyFromEnv?.bind(http);
}

/**
 * What useProxies handed Node for fetch in this step, or undefined: the SDK's agents get exactly
 * that, so AWS and GitHub calls never part ways (a Node without proxy support, or settings it
 * refused, send both direct).
 */
let applied: ProxyEnvironment | undefined;

/** Agent options (for the SDK's handler): the proxies fetch goes through, if any. */
export function proxyAgentOptions(): AgentOptions | undefined {
  if (!applied) return undefined;
  const options: AgentOptions & { proxyEnv: ProxyEnvironment } = { proxyEnv: applied };
  return options;
}

/**
 * Sends fetch (and the global agents) through the proxies the environment sets, once at the start of
 * a step; a proxy variable it cannot use is a warning, not a failure.
 */
export function useProxies(
  env: NodeJS.ProcessEnv,
  logger: Pick<Logger, "warning" | "debug">,
  supported: () => SetGlobalProxy | undefined = nodeSetGlobalProxy,
): void {
  applied = undefined;
  const settings = proxySettings(env);
  for (const problem of settings.problems) logger.warning(problem);
  const proxy = settings.env;
  if (!proxy) return;
  const setGlobalProxy = supported();
  const through = [
    proxy.HTTPS_PROXY ? `https:// requests through ${proxy.HTTPS_PROXY}` : "",
    proxy.HTTP_PROXY ? `http:// requests through ${proxy.HTTP_PROXY}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  if (!setGlobalProxy) {
    logger.warning(
      `A proxy is set (${through}), but Node ${process.versions.node} has no built-in proxy support (24.14 and later have): every request goes direct.`,
    );
    return;
  }
  try {
    setGlobalProxy(proxy);
  } catch (error) {
    logger.warning(`The proxy settings were refused (${String(error)}): fetch requests go direct.`);
    return;
  }
  applied = proxy;
  // The logger redacts a password in a proxy URL (the job's environment is registered at start).
  logger.debug(`Proxies: ${through}; direct to ${proxy.NO_PROXY}.`);
}

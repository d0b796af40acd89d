import { describe, expect, it } from "vitest";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";
import {
  type ProxyEnvironment,
  proxyAgentOptions,
  proxySettings,
  useProxies,
} from "../../../../packages/core/src/runtime/proxy";

const LOOPBACK = "localhost,.localhost,127.0.0.1,::1,[::1]";

describe("proxySettings", () => {
  it("is nothing where no proxy is set, whatever NO_PROXY says", () => {
    expect(proxySettings({})).toEqual({ env: undefined, problems: [] });
    expect(proxySettings({ NO_PROXY: "*", HTTPS_PROXY: " " })).toEqual({ env: undefined, problems: [] });
  });

  it("gives Node one spelling of each variable, the lower-case one first as curl reads them", () => {
    expect(
      proxySettings({
        https_proxy: "http://lower:3128",
        HTTPS_PROXY: "http://upper:3128",
        HTTP_PROXY: "http://plain:8080",
        no_proxy: "internal.example.com",
        NO_PROXY: "ignored.example.com",
      }).env,
    ).toEqual({
      HTTPS_PROXY: "http://lower:3128",
      HTTP_PROXY: "http://plain:8080",
      NO_PROXY: `internal.example.com,.internal.example.com,${LOOPBACK}`,
    });
  });

  it("never sends the runner's own loopback through a proxy, and lists a host once", () => {
    expect(proxySettings({ HTTPS_PROXY: "http://p:1" }).env?.NO_PROXY).toBe(LOOPBACK);
    expect(proxySettings({ HTTPS_PROXY: "http://p:1", NO_PROXY: " .corp , localhost,," }).env?.NO_PROXY).toBe(
      `corp,.corp,${LOOPBACK}`,
    );
  });

  it("writes NO_PROXY so that fetch and Node's agents read a domain alike: it and its subdomains", () => {
    const noProxy = proxySettings({
      HTTPS_PROXY: "http://p:1",
      NO_PROXY: "amazonaws.com, *.Internal.example, .corp,git.corp:8443,10.0.0.7,fd00::1,*",
    }).env?.NO_PROXY;
    expect(noProxy?.split(",")).toEqual([
      "amazonaws.com",
      ".amazonaws.com",
      "internal.example",
      ".internal.example",
      "corp",
      ".corp",
      "git.corp:8443",
      "10.0.0.7",
      "fd00::1",
      "*",
      ...LOOPBACK.split(","),
    ]);
  });

  it("takes a proxy without a scheme as http://, as curl does", () => {
    expect(proxySettings({ HTTPS_PROXY: "proxy.corp:3128" }).env?.HTTPS_PROXY).toBe("http://proxy.corp:3128");
    expect(proxySettings({ HTTPS_PROXY: "https://user:pw@proxy.corp" }).env?.HTTPS_PROXY).toBe(
      "https://user:pw@proxy.corp",
    );
  });

  it("leaves out a proxy it cannot use, saying which without its value", () => {
    const settings = proxySettings({
      HTTPS_PROXY: "socks5://user:hunter2@p:1080",
      HTTP_PROXY: "http://ok:80",
    });
    expect(settings.env).toEqual({ HTTP_PROXY: "http://ok:80", NO_PROXY: LOOPBACK });
    expect(settings.problems).toEqual([
      "HTTPS_PROXY is not an http:// or https:// proxy URL; requests it would carry go direct.",
    ]);
    expect(proxySettings({ http_proxy: "http://" }).problems).toHaveLength(1);
  });
});

describe("useProxies", () => {
  it("points fetch at the proxies once, and says so in the debug log without the proxy's password", () => {
    const logger = new RecordingLogger();
    const given: ProxyEnvironment[] = [];
    useProxies(
      { HTTPS_PROXY: "http://ops:s3cret-proxy-pw@proxy.corp:3128", NO_PROXY: ".internal" },
      logger,
      () => (env) => given.push(env),
    );
    expect(given).toEqual([
      {
        HTTPS_PROXY: "http://ops:s3cret-proxy-pw@proxy.corp:3128",
        NO_PROXY: `internal,.internal,${LOOPBACK}`,
      },
    ]);
    expect(logger.text("debug")).toBe(
      `Proxies: https:// requests through http://ops:***@proxy.corp:3128; direct to internal,.internal,${LOOPBACK}.`,
    );
    expect(logger.text("warning")).toBe("");
  });

  it("does nothing where no proxy is set", () => {
    const logger = new RecordingLogger();
    const given: unknown[] = [];
    useProxies({ NO_PROXY: "x" }, logger, () => (env) => given.push(env));
    expect(given).toEqual([]);
    expect(logger.lines).toEqual([]);
  });

  it("warns, and sends nothing through a proxy, on a Node without built-in proxy support", () => {
    const logger = new RecordingLogger();
    useProxies({ HTTPS_PROXY: "http://proxy.corp:3128" }, logger, () => undefined);
    expect(logger.text("warning")).toMatch(
      /^A proxy is set \(https:\/\/ requests through http:\/\/proxy\.corp:3128\), but Node [\d.]+ has no built-in proxy support \(24\.14 and later have\): every request goes direct\.$/,
    );
    expect(proxyAgentOptions()).toBeUndefined();
  });

  it("warns instead of failing the step when Node refuses the settings", () => {
    const logger = new RecordingLogger();
    useProxies({ HTTP_PROXY: "http://proxy.corp:3128" }, logger, () => () => {
      throw new TypeError("Invalid proxy URL");
    });
    expect(logger.text("warning")).toBe(
      "The proxy settings were refused (TypeError: Invalid proxy URL): fetch requests go direct.",
    );
    // Nor does the SDK go through them: one route for every request of the step.
    expect(proxyAgentOptions()).toBeUndefined();
  });
});

describe("proxyAgentOptions", () => {
  const accepted = () => () => undefined;

  it("gives the SDK's handler agents the settings fetch was given", () => {
    useProxies(
      { HTTPS_PROXY: "proxy.corp:3128", NO_PROXY: "s3.amazonaws.com" },
      new RecordingLogger(),
      accepted,
    );
    expect(proxyAgentOptions()).toEqual({
      proxyEnv: {
        HTTPS_PROXY: "http://proxy.corp:3128",
        NO_PROXY: `s3.amazonaws.com,.s3.amazonaws.com,${LOOPBACK}`,
      },
    });
  });

  it("leaves the SDK's own agents alone where no proxy is set", () => {
    useProxies({}, new RecordingLogger(), accepted);
    expect(proxyAgentOptions()).toBeUndefined();
  });
});

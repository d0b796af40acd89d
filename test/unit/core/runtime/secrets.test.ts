import { describe, expect, it } from "vitest";
import {
  looksLikeCredential,
  Secrets,
  scrubUrlCredentials,
} from "../../../../packages/core/src/runtime/secrets";
import { SummaryBuilder } from "../../../../packages/core/src/runtime/summary";

describe("Secrets", () => {
  it("masks the value and its encoded forms, and redacts them from text", () => {
    const masked: string[] = [];
    const secrets = new Secrets({ mask: (v) => masked.push(v) });
    secrets.add("p@ss w0rd");
    expect(masked).toEqual(
      expect.arrayContaining(["p@ss w0rd", "p%40ss%20w0rd", Buffer.from("p@ss w0rd").toString("base64")]),
    );
    expect(secrets.redact("pw=p@ss w0rd enc=p%40ss%20w0rd")).toBe("pw=*** enc=***");
  });

  it("registers the password of a connection URL separately", () => {
    const secrets = new Secrets({ mask: () => {} });
    secrets.addUrl("postgres://app:s3cr%21t@db:5432/shop");
    expect(secrets.redact("password s3cr!t, url postgres://app:s3cr%21t@db:5432/shop")).toBe(
      "password ***, url ***",
    );
  });

  it("ignores values too short to mask without garbling the log", () => {
    const masked: string[] = [];
    const secrets = new Secrets({ mask: (v) => masked.push(v) });
    secrets.add("ab");
    secrets.add("");
    expect(masked).toEqual([]);
    expect(secrets.redact("ab")).toBe("ab");
  });

  it("masks each line of a multi-line secret", () => {
    const masked: string[] = [];
    new Secrets({ mask: (v) => masked.push(v) }).add("-----BEGIN KEY-----\nAAAA\n-----END KEY-----");
    expect(masked).toEqual(expect.arrayContaining(["-----BEGIN KEY-----", "AAAA", "-----END KEY-----"]));
  });

  it("redacts a secret in the escaped forms JSON and markdown tables give it", () => {
    const secrets = new Secrets({ mask: () => {} });
    const password = 'pa"ss\\wo|rd';
    secrets.add(password);
    const json = JSON.stringify({ url: `postgres://app:${password}@db/shop` });
    const table = new SummaryBuilder().table(["Password"], [[password]]).toMarkdown();
    expect(json).not.toContain(password);
    expect(secrets.redact(json)).toBe('{"url":"postgres://app:***@db/shop"}');
    expect(secrets.redact(table)).toBe("| Password |\n| --- |\n| *** |\n");
  });

  it("redacts each line of a multi-line secret, as the runner masks each line in the log", () => {
    const secrets = new Secrets({ mask: () => {} });
    secrets.add("-----BEGIN KEY-----\nMIIEvQIBADANBg\n-----END KEY-----");
    expect(secrets.redact("key body: MIIEvQIBADANBg")).toBe("key body: ***");
  });
});

describe("credentials by name", () => {
  it.each([
    "DATABASE_URL",
    "web.DATABASE_URL",
    "DB_PASSWORD",
    "db_pass",
    "API_KEY",
    "apiKey",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GITHUB_TOKEN",
    "INPUT_GITHUB-TOKEN",
    "STRIPE_SECRET",
    "SENTRY_DSN",
    "REDIS_URL",
    "MONGODB_URI",
    "ANALYTICS_CONNECTION_STRING",
    "BASIC_AUTH",
    "SSH_PRIVATE_KEY",
    "NPM_TOKEN",
  ])("%s names a credential", (name) => {
    expect(looksLikeCredential(name)).toBe(true);
  });

  it.each([
    "PWD",
    "OLDPWD",
    "TOKEN_TTL",
    "PASSWORD_MIN_LENGTH",
    "LOG_LEVEL",
    "KEYBOARD",
    "PUBLIC_URL",
    "HOME",
  ])("%s does not", (name) => {
    expect(looksLikeCredential(name)).toBe(false);
  });

  it("registers credential-named values, not short or boolean ones, and URL passwords under any name", () => {
    const secrets = new Secrets({ mask: () => {} });
    secrets.addEnvironment([
      ["DB_PASSWORD", "correct-horse-battery"],
      ["FEATURE_TOKEN", "true"],
      ["CACHE_KEY", "abc"],
      ["LOG_LEVEL", "debug-everything"],
      ["UPSTREAM", "https://svc:upstream-pw@api.internal/"],
    ]);
    expect(secrets.redact("pw correct-horse-battery flag true key abc level debug-everything")).toBe(
      "pw *** flag true key abc level debug-everything",
    );
    expect(secrets.redact("password upstream-pw")).toBe("password ***");
  });
});

describe("URL credentials in any text", () => {
  it.each([
    ["connecting to postgres://shop:s3cret@db:5432/shop", "connecting to postgres://shop:***@db:5432/shop"],
    [
      "redis://:p%40ss@cache:6379/0 and https://u:p@ss@host/x",
      "redis://:***@cache:6379/0 and https://u:***@host/x",
    ],
    ['{"url":"amqp://guest:guest-pw@mq/"}', '{"url":"amqp://guest:***@mq/"}'],
    ["https://example.com/path?user=a:b@c", "https://example.com/path?user=a:b@c"],
    ["no url here: user:pass@host", "no url here: user:pass@host"],
  ])("scrubs %j", (text, scrubbed) => {
    expect(scrubUrlCredentials(text)).toBe(scrubbed);
  });

  it("scrubs every redacted text, registered secrets or not", () => {
    const secrets = new Secrets({ mask: () => {} });
    expect(secrets.redact("CannotPullContainerError: https://bot:tok3n@registry.example.com/v2/")).toBe(
      "CannotPullContainerError: https://bot:***@registry.example.com/v2/",
    );
  });

  it("registers a URL's password as written and decoded, to mask it outside the URL too", () => {
    const masked: string[] = [];
    const secrets = new Secrets({ mask: (v) => masked.push(v) });
    secrets.addUrlCredentials("DATABASE_URL=postgres://app:p%40ss%2Fw0rd@db/shop");
    expect(masked).toEqual(expect.arrayContaining(["p%40ss%2Fw0rd", "p@ss/w0rd"]));
    expect(secrets.redact("auth failed for password p@ss/w0rd")).toBe("auth failed for password ***");
    // The basic-auth header a service may echo back: base64 of user:password.
    expect(secrets.redact(`Authorization: Basic ${Buffer.from("app:p@ss/w0rd").toString("base64")}`)).toBe(
      "Authorization: Basic ***",
    );
  });

  it("redacts every string of a request body, nested ones and keys included", () => {
    const secrets = new Secrets({ mask: () => {} });
    secrets.add("hunter2-secret");
    expect(
      secrets.redactDeep({ body: "x hunter2-secret", payload: { list: ["hunter2-secret", 3] }, n: 1 }),
    ).toEqual({ body: "x ***", payload: { list: ["***", 3] }, n: 1 });
  });
});

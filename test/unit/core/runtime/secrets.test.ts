import { describe, expect, it } from "vitest";
import { Secrets } from "../../../../packages/core/src/runtime/secrets";
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

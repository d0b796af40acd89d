import { describe, expect, it } from "vitest";
import { splitOfflineSql } from "../../../../packages/core/src/migrations/alembic";

describe("splitOfflineSql", () => {
  it("splits Alembic's offline SQL per revision and notes the open transaction", () => {
    const sql = [
      "BEGIN;",
      "",
      "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);",
      "",
      "-- Running upgrade  -> a1",
      "",
      "CREATE TABLE accounts (id SERIAL NOT NULL);",
      "",
      "-- Running upgrade a1 -> b2",
      "",
      "COMMIT;",
      "CREATE INDEX CONCURRENTLY i ON accounts (id);",
      "BEGIN;",
      "",
      "-- Running upgrade b2 -> c3",
      "ALTER TABLE accounts ADD COLUMN x int;",
      "COMMIT;",
    ].join("\n");
    const chunks = splitOfflineSql(sql);
    expect(chunks.map((c) => [c.revision, c.inTransaction])).toEqual([
      ["a1", true],
      ["b2", true],
      ["c3", true],
    ]);
    expect(chunks[0]?.sql).toContain("CREATE TABLE accounts");
    expect(chunks[0]?.sql).not.toContain("alembic_version");
    expect(chunks[1]?.sql.trim().split("\n")[0]).toBe("COMMIT;");
  });

  it("sees revisions that start outside a transaction (transaction_per_migration)", () => {
    const sql =
      "-- Running upgrade  -> a1\nBEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n-- Running upgrade a1 -> b2\nBEGIN;\nCOMMIT;\n";
    expect(splitOfflineSql(sql).map((c) => c.inTransaction)).toEqual([false, false]);
  });
});

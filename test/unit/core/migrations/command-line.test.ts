import { describe, expect, it } from "vitest";
import { splitCommandLine } from "../../../../packages/core/src/migrations/command-line";

describe("splitCommandLine", () => {
  it.each([
    ["npx prisma migrate deploy", ["npx", "prisma", "migrate", "deploy"]],
    ["  alembic   upgrade head ", ["alembic", "upgrade", "head"]],
    [
      `alembic -c "my dir/alembic.ini" upgrade head`,
      ["alembic", "-c", "my dir/alembic.ini", "upgrade", "head"],
    ],
    [`migrate -path 'db/it'"'"'s' up`, ["migrate", "-path", "db/it's", "up"]],
    [`echo a\\ b "" x`, ["echo", "a b", "", "x"]],
    [`say "a \\"quote\\""`, ["say", 'a "quote"']],
  ])("%s", (line, words) => {
    expect(splitCommandLine(line)).toEqual(words);
  });

  it.each([
    ["npm run migrate && echo done", /"&" needs a shell/],
    ["migrate | tee log", /"\|" needs a shell/],
    ["echo $DATABASE_URL", /"\$" needs a shell/],
    [`echo "unclosed`, /double quote is not closed/],
  ])("refuses %s", (line, message) => {
    expect(() => splitCommandLine(line)).toThrow(message);
  });
});

// Splits a command line the way a POSIX shell splits words (quotes and backslashes), without running
// a shell: `npx prisma migrate deploy` or `alembic -c "my dir/alembic.ini" upgrade head`.

export class CommandLineError extends Error {}

export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1] as string))
        word += line[++i];
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if ("|&;<>()$`".includes(c)) {
      throw new CommandLineError(
        `"${c}" needs a shell, and the command runs without one. Put shell syntax in a script and run the script.`,
      );
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new CommandLineError(`the ${quote === "'" ? "single" : "double"} quote is not closed.`);
  if (inWord) words.push(word);
  return words;
}

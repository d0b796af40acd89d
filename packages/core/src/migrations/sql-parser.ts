// PostgreSQL's own grammar (libpg_query compiled to WebAssembly, no native build) for migration
// files: splits a file into statements with 1-based lines, finds its comments, and turns a parse
// error into a located problem instead of an exception.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Node } from "libpg-query";

/** The parts of libpg-query this module uses; loaded lazily so only runs that parse SQL pay for it. */
interface PgQuery {
  loadModule(): Promise<void>;
  parseSync(sql: string): { stmts?: { stmt?: Node; stmt_location?: number; stmt_len?: number }[] };
  scanSync(sql: string): { tokens: { start: number; end: number; text: string; tokenName: string }[] };
}

let loading: Promise<PgQuery> | undefined;

/**
 * Loads the parser's WebAssembly module once per process. In a bundle the .wasm file sits beside
 * index.js (the build copies it there); under tsx/vitest it is read from node_modules.
 */
export function loadSqlParser(): Promise<SqlParser> {
  // The emscripten loader finds its .wasm through the CommonJS `__dirname`. In an ES-module bundle
  // that name is a free variable, so give it the bundle's own directory, where the build puts the
  // .wasm. Under Node's CommonJS loader (tests, tsx) the loader has its own and this changes nothing.
  const scope = globalThis as { __dirname?: string };
  if (typeof __dirname === "undefined" && scope.__dirname === undefined) {
    scope.__dirname = dirname(fileURLToPath(import.meta.url));
  }
  loading ??= import("libpg-query").then(async (module) => {
    const pg = module as unknown as PgQuery;
    await pg.loadModule();
    return pg;
  });
  return loading.then((pg) => new SqlParser(pg));
}

export interface SqlComment {
  text: string;
  /** 1-based lines of the comment's first and last character. */
  line: number;
  endLine: number;
  /** Byte offsets in the UTF-8 text. */
  start: number;
  end: number;
}

export interface ParsedStatement {
  node: Node;
  /** The statement's own text, without the terminating semicolon. */
  text: string;
  /** 1-based line of the statement's first token, and of its last character. */
  line: number;
  endLine: number;
  /** Byte offsets of the statement's first and last token in the UTF-8 text (end exclusive). */
  start: number;
  end: number;
  /** The 1-based line of a node `location` inside this statement (the statement's line without one). */
  lineAt(location: number | undefined): number;
}

export interface SqlSyntaxError {
  message: string;
  /** 1-based line and column of the token the parser stopped at. */
  line: number;
  column: number;
}

export interface ParsedSql {
  statements: ParsedStatement[];
  comments: SqlComment[];
  errors: SqlSyntaxError[];
}

/** Maps UTF-8 byte offsets (what libpg_query reports for statements) to 1-based lines. */
class ByteLines {
  readonly #lineStarts: number[] = [0];
  readonly bytes: Buffer;

  constructor(text: string) {
    this.bytes = Buffer.from(text, "utf8");
    for (let i = 0; i < this.bytes.length; i++) {
      if (this.bytes[i] === 0x0a) this.#lineStarts.push(i + 1);
    }
  }

  line(byteOffset: number): number {
    let low = 0;
    let high = this.#lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.#lineStarts[mid] as number) <= byteOffset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  }

  column(byteOffset: number): number {
    const lineStart = this.#lineStarts[this.line(byteOffset) - 1] as number;
    return this.bytes.subarray(lineStart, byteOffset).toString("utf8").length + 1;
  }

  slice(start: number, end: number): string {
    return this.bytes.subarray(start, end).toString("utf8");
  }
}

function syntaxErrorOf(error: unknown): { message: string; cursor: number | undefined } {
  if (error instanceof Error) {
    const details = (error as Error & { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const cursor = details?.cursorPosition;
    return { message: error.message, cursor: typeof cursor === "number" && cursor >= 0 ? cursor : undefined };
  }
  return { message: String(error), cursor: undefined };
}

/** 1-based line and column of a character (not byte) offset, which is what parse errors report. */
function charPosition(text: string, charOffset: number): { line: number; column: number } {
  const before = text.slice(0, charOffset);
  const line = before.split("\n").length;
  const column = charOffset - (before.lastIndexOf("\n") + 1) + 1;
  return { line, column };
}

const COMMENT_TOKENS = new Set(["SQL_COMMENT", "C_COMMENT"]);

const isSpace = (byte: number | undefined): boolean =>
  byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0c || byte === 0x0b;

/** The first byte at or after `from` that is neither white space nor inside a comment. */
function skipSpaceAndComments(bytes: Buffer, from: number, to: number): number {
  let i = from;
  while (i < to) {
    const byte = bytes[i];
    if (isSpace(byte)) {
      i++;
    } else if (byte === 0x2d && bytes[i + 1] === 0x2d) {
      while (i < to && bytes[i] !== 0x0a) i++;
    } else if (byte === 0x2f && bytes[i + 1] === 0x2a) {
      // Block comments nest in PostgreSQL.
      let depth = 0;
      do {
        if (bytes[i] === 0x2f && bytes[i + 1] === 0x2a) {
          depth++;
          i += 2;
        } else if (bytes[i] === 0x2a && bytes[i + 1] === 0x2f) {
          depth--;
          i += 2;
        } else {
          i++;
        }
      } while (depth > 0 && i < to);
    } else {
      break;
    }
  }
  return i;
}

/** The end of the range with trailing white space removed. */
function trimSpace(bytes: Buffer, from: number, to: number): number {
  let end = to;
  while (end > from && isSpace(bytes[end - 1])) end--;
  return end;
}

export class SqlParser {
  readonly #pg: PgQuery;

  constructor(pg: PgQuery) {
    this.#pg = pg;
  }

  /**
   * Parses a whole migration file. When the file does not parse as a whole, each statement (split at
   * top-level semicolons by PostgreSQL's own scanner) is parsed on its own, so one bad statement is
   * reported at its line and the others are still checked.
   */
  parse(text: string, options: { comments?: boolean } = {}): ParsedSql {
    const lines = new ByteLines(text);
    let result: ReturnType<PgQuery["parseSync"]> | undefined;
    let parseError: unknown;
    try {
      result = this.#pg.parseSync(text);
    } catch (error) {
      parseError = error;
    }
    if (result && !options.comments) {
      // The common case needs no scanner pass: statement ranges come from the parser, with leading
      // spaces and comments skipped by hand.
      const statements: ParsedStatement[] = [];
      for (const raw of result.stmts ?? []) {
        if (!raw.stmt) continue;
        const from = raw.stmt_location ?? 0;
        const to = raw.stmt_len ? from + raw.stmt_len : lines.bytes.length;
        const start = skipSpaceAndComments(lines.bytes, from, to);
        const end = trimSpace(lines.bytes, start, to);
        if (end > start) statements.push(this.#statement(raw.stmt, start, end, 0, lines));
      }
      return { statements, comments: [], errors: [] };
    }

    let tokens: { start: number; end: number; text: string; tokenName: string }[];
    try {
      tokens = this.#pg.scanSync(text).tokens;
    } catch (scanError) {
      // Only an unterminated quote or comment stops the scanner; nothing more can be split out. The
      // parser reports the same problem with its position, which the scanner does not.
      let problem = syntaxErrorOf(scanError);
      const parsed = syntaxErrorOf(parseError);
      if (parseError !== undefined && parsed.cursor !== undefined) problem = parsed;
      const at = charPosition(text, problem.cursor ?? 0);
      return { statements: [], comments: [], errors: [{ message: problem.message, ...at }] };
    }
    const comments: SqlComment[] = tokens
      .filter((t) => COMMENT_TOKENS.has(t.tokenName))
      .map((t) => ({
        text: t.text,
        start: t.start,
        end: t.end,
        line: lines.line(t.start),
        endLine: lines.line(Math.max(t.start, t.end - 1)),
      }));
    const codeTokens = tokens.filter((t) => !COMMENT_TOKENS.has(t.tokenName));

    if (result) {
      const statements: ParsedStatement[] = [];
      for (const raw of result.stmts ?? []) {
        if (!raw.stmt) continue;
        const from = raw.stmt_location ?? 0;
        const to = raw.stmt_len ? from + raw.stmt_len : lines.bytes.length;
        const statement = this.#locate(raw.stmt, from, to, 0, codeTokens, lines);
        if (statement) statements.push(statement);
      }
      return { statements, comments, errors: [] };
    }
    return { ...this.#parsePieces(text, codeTokens, lines, syntaxErrorOf(parseError)), comments };
  }

  #statement(
    node: Node,
    start: number,
    end: number,
    locationBase: number,
    lines: ByteLines,
  ): ParsedStatement {
    const line = lines.line(start);
    return {
      node,
      text: lines.slice(start, end),
      start,
      end,
      line,
      endLine: lines.line(end - 1),
      lineAt: (location) =>
        location === undefined || location < 0 ? line : lines.line(locationBase + location),
    };
  }

  /** Narrows a statement's byte range to its first and last code token (skipping comments, spaces). */
  #locate(
    node: Node,
    from: number,
    to: number,
    /** Where node locations count from: 0 when the whole file was parsed, else the piece's start. */
    locationBase: number,
    codeTokens: { start: number; end: number; text: string }[],
    lines: ByteLines,
  ): ParsedStatement | undefined {
    const inside = codeTokens.filter((t) => t.start >= from && t.end <= to && t.text !== ";");
    const first = inside[0];
    const last = inside[inside.length - 1];
    if (!first || !last) return undefined;
    return this.#statement(node, first.start, last.end, locationBase, lines);
  }

  #parsePieces(
    text: string,
    codeTokens: { start: number; end: number; text: string; tokenName: string }[],
    lines: ByteLines,
    wholeFileError: { message: string; cursor: number | undefined },
  ): { statements: ParsedStatement[]; errors: SqlSyntaxError[] } {
    const statements: ParsedStatement[] = [];
    const errors: SqlSyntaxError[] = [];
    let pieceStart: number | undefined;
    const pieces: [number, number][] = [];
    for (const token of codeTokens) {
      if (token.text === ";") {
        if (pieceStart !== undefined) pieces.push([pieceStart, token.start]);
        pieceStart = undefined;
      } else {
        pieceStart ??= token.start;
      }
    }
    const lastToken = codeTokens[codeTokens.length - 1];
    if (pieceStart !== undefined && lastToken) pieces.push([pieceStart, lastToken.end]);

    for (const [start, end] of pieces) {
      const pieceText = lines.slice(start, end);
      try {
        const result = this.#pg.parseSync(pieceText);
        const node = result.stmts?.[0]?.stmt;
        if (!node) continue;
        const statement = this.#locate(node, start, end, start, codeTokens, lines);
        if (statement) statements.push(statement);
      } catch (error) {
        const { message, cursor } = syntaxErrorOf(error);
        // The cursor counts characters within the piece; add the piece's own position in the file.
        const pieceCharStart = lines.slice(0, start).length;
        errors.push({ message, ...charPosition(text, pieceCharStart + (cursor ?? 0)) });
      }
    }
    if (errors.length === 0) {
      // Every piece parsed although the whole file did not (e.g. a split inside a BEGIN ATOMIC
      // body): report the parser's own error for the file rather than passing it silently.
      errors.push({
        message: wholeFileError.message,
        ...charPosition(text, wholeFileError.cursor ?? 0),
      });
    }
    return { statements, errors };
  }
}

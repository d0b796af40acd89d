// PostgreSQL's own grammar (libpg_query compiled to WebAssembly, no native build) for migration
// files: splits a file into statements with 1-based lines, finds its comments, and turns a parse
// error into a located problem instead of an exception.
import { availableParallelism } from "node:os";
import type { Node } from "libpg-query";
import {
  ParseWorker,
  type PgParseError,
  type PgParseResult,
  type PgQuery,
  type PgToken,
} from "./pg-query-wasm";

let loading: Promise<PgQuery> | undefined;

/** Loads the parser's WebAssembly module once per process, only when a run parses SQL. */
export function loadSqlParser(): Promise<SqlParser> {
  loading ??= import("./pg-query-wasm").then((wasm) => wasm.instantiatePgQuery());
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
  readonly text: string;
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

interface RawStatement {
  stmt?: Node;
  stmt_location?: number;
  stmt_len?: number;
}

/** Maps UTF-8 byte offsets (what libpg_query reports for statements) to 1-based lines. */
class ByteLines {
  readonly #lineStarts: number[] = [0];
  readonly bytes: Buffer;

  constructor(text: string) {
    this.bytes = Buffer.from(text, "utf8");
    for (let at = this.bytes.indexOf(0x0a); at >= 0; at = this.bytes.indexOf(0x0a, at + 1)) {
      this.#lineStarts.push(at + 1);
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

  slice(start: number, end: number): string {
    return this.bytes.toString("utf8", start, end);
  }
}

/** One statement; its text is decoded only when something reads it (most rules never do). */
class Statement implements ParsedStatement {
  #text: string | undefined;

  constructor(
    readonly node: Node,
    readonly start: number,
    readonly end: number,
    readonly line: number,
    readonly endLine: number,
    /** Where node locations count from: 0 when the whole file was parsed, else the piece's start. */
    readonly locationBase: number,
    readonly lines: ByteLines,
  ) {}

  get text(): string {
    this.#text ??= this.lines.slice(this.start, this.end);
    return this.#text;
  }

  lineAt(location: number | undefined): number {
    return location === undefined || location < 0 ? this.line : this.lines.line(this.locationBase + location);
  }
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
      const newline = bytes.indexOf(0x0a, i);
      i = newline < 0 || newline > to ? to : newline;
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

function rawStatements(json: string): RawStatement[] {
  return (JSON.parse(json) as { stmts?: RawStatement[] }).stmts ?? [];
}

/** Below this many files a worker thread (its start, its own compile) costs more than it saves. */
const PARSE_AHEAD_MIN_FILES = 2_000;
/** How many files the worker may parse ahead of the one being linted (bounds what waits in memory). */
const PARSE_AHEAD_WINDOW = 128;
/** Files per message to the worker: a message per file would cost more than the parse saves. */
const PARSE_AHEAD_BATCH = 32;

/** The files of a run, parsed ahead by a worker; `ready(i)` settles when file i's parse is in. */
export interface ParseAhead {
  ready(index: number): Promise<void>;
  stop(): void;
}

const RESOLVED = Promise.resolve();
const NOTHING_AHEAD: ParseAhead = { ready: () => RESOLVED, stop: () => undefined };

export class SqlParser {
  readonly #pg: PgQuery;
  /** Parses done ahead by the worker, by file text, until parse() takes them. */
  readonly #ahead = new Map<string, PgParseResult>();

  constructor(pg: PgQuery) {
    this.#pg = pg;
  }

  /**
   * Starts parsing these files (in the order they will be parsed) on a worker thread, when there are
   * enough of them and a second core to run it; parse() then takes the results. Without a worker, or
   * when it fails, parse() parses on this thread as before: the results are the same either way.
   */
  parseAhead(texts: readonly string[]): ParseAhead {
    if (texts.length < PARSE_AHEAD_MIN_FILES || availableParallelism() < 2) return NOTHING_AHEAD;
    const waiting = new Map<number, () => void>();
    const done = new Set<number>();
    const settle = (id: number): void => {
      done.add(id);
      waiting.get(id)?.();
      waiting.delete(id);
    };
    let failed = false;
    let sent = 0;
    let linting = 0;
    let worker: ParseWorker;
    const pump = (): void => {
      while (!failed && sent < texts.length && sent - linting < PARSE_AHEAD_WINDOW) {
        const batch = texts.slice(sent, sent + PARSE_AHEAD_BATCH);
        worker.send(sent, batch);
        sent += batch.length;
      }
    };
    try {
      worker = new ParseWorker(
        (id, result) => {
          const text = texts[id];
          if (result && text !== undefined) this.#ahead.set(text, result);
          settle(id);
          if (done.size === texts.length) worker.stop();
        },
        () => {
          failed = true;
          for (const id of [...waiting.keys()]) settle(id);
        },
      );
    } catch {
      return NOTHING_AHEAD;
    }
    pump();
    return {
      ready: (index) => {
        linting = index;
        pump();
        if (failed || done.has(index)) return RESOLVED;
        return new Promise<void>((resolve) => waiting.set(index, resolve));
      },
      stop: () => {
        failed = true;
        worker.stop();
        for (const id of [...waiting.keys()]) settle(id);
        this.#ahead.clear();
      },
    };
  }

  #parsedAhead = 0;

  /** How many parses so far came from the worker (the rest were done on this thread). */
  get parsedAhead(): number {
    return this.#parsedAhead;
  }

  #parseBytes(text: string, bytes: Uint8Array): PgParseResult {
    const ahead = this.#ahead.get(text);
    if (ahead) {
      this.#ahead.delete(text);
      this.#parsedAhead++;
      return ahead;
    }
    return this.#pg.parse(bytes);
  }

  /**
   * Parses a whole migration file. When the file does not parse as a whole, each statement (split at
   * top-level semicolons by PostgreSQL's own scanner) is parsed on its own, so one bad statement is
   * reported at its line and the others are still checked.
   */
  parse(text: string, options: { comments?: boolean } = {}): ParsedSql {
    const lines = new ByteLines(text);
    if (lines.bytes.length === 0) return { statements: [], comments: [], errors: [] };
    const parsed = this.#parseBytes(text, lines.bytes);
    const raws = "json" in parsed ? rawStatements(parsed.json) : undefined;

    if (raws && !options.comments) {
      // The common case needs no scanner pass: statement ranges come from the parser, with leading
      // spaces and comments skipped by hand.
      const statements: ParsedStatement[] = [];
      for (const raw of raws) {
        if (!raw.stmt) continue;
        const from = raw.stmt_location ?? 0;
        const to = raw.stmt_len ? from + raw.stmt_len : lines.bytes.length;
        const start = skipSpaceAndComments(lines.bytes, from, to);
        const end = trimSpace(lines.bytes, start, to);
        if (end > start) statements.push(this.#statement(raw.stmt, start, end, 0, lines));
      }
      return { statements, comments: [], errors: [] };
    }

    let tokens: PgToken[];
    try {
      tokens = this.#pg.scan(lines.bytes);
    } catch (scanError) {
      // Only an unterminated quote or comment stops the scanner; nothing more can be split out. The
      // parser reports the same problem with its position, which the scanner does not.
      const problem: PgParseError =
        "error" in parsed
          ? parsed.error
          : { message: scanError instanceof Error ? scanError.message : String(scanError), cursor: 0 };
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

    if (raws) {
      const statements: ParsedStatement[] = [];
      for (const raw of raws) {
        if (!raw.stmt) continue;
        const from = raw.stmt_location ?? 0;
        const to = raw.stmt_len ? from + raw.stmt_len : lines.bytes.length;
        const statement = this.#locate(raw.stmt, from, to, 0, codeTokens, lines);
        if (statement) statements.push(statement);
      }
      return { statements, comments, errors: [] };
    }
    const wholeFileError =
      "error" in parsed ? parsed.error : { message: "the SQL does not parse", cursor: 0 };
    return { ...this.#parsePieces(text, codeTokens, lines, wholeFileError), comments };
  }

  #statement(node: Node, start: number, end: number, locationBase: number, lines: ByteLines): Statement {
    return new Statement(node, start, end, lines.line(start), lines.line(end - 1), locationBase, lines);
  }

  /** Narrows a statement's byte range to its first and last code token (skipping comments, spaces). */
  #locate(
    node: Node,
    from: number,
    to: number,
    locationBase: number,
    codeTokens: PgToken[],
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
    codeTokens: PgToken[],
    lines: ByteLines,
    wholeFileError: PgParseError,
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
      const parsed = this.#pg.parse(lines.bytes.subarray(start, end));
      if ("json" in parsed) {
        const node = rawStatements(parsed.json)[0]?.stmt;
        if (!node) continue;
        const statement = this.#locate(node, start, end, start, codeTokens, lines);
        if (statement) statements.push(statement);
      } else {
        // The cursor counts characters within the piece; add the piece's own position in the file.
        const pieceCharStart = lines.slice(0, start).length;
        errors.push({
          message: parsed.error.message,
          ...charPosition(text, pieceCharStart + (parsed.error.cursor ?? 0)),
        });
      }
    }
    if (errors.length === 0) {
      // Every piece parsed although the whole file did not (e.g. a split inside a BEGIN ATOMIC
      // body): report the parser's own error for the file rather than passing it silently.
      errors.push({ message: wholeFileError.message, ...charPosition(text, wholeFileError.cursor ?? 0) });
    }
    return { statements, errors };
  }
}

// libpg_query compiled to WebAssembly, instantiated and fed by shipline itself: the file's UTF-8
// bytes go into the module's memory once, and the parse tree comes back as JSON decoded natively.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";

/** The parts of the emscripten module this file uses. */
interface EmscriptenModule {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  _wasm_parse_query_raw(query: number): number;
  _wasm_free_parse_result(result: number): void;
  _wasm_scan(query: number): number;
  _wasm_free_string(pointer: number): void;
}

type ModuleFactory = (options: { wasmBinary: Uint8Array }) => Promise<EmscriptenModule>;

export interface PgParseError {
  message: string;
  /** 0-based character offset in the text where the parser stopped, when it says. */
  cursor: number | undefined;
}

export interface PgToken {
  start: number;
  end: number;
  text: string;
  tokenName: string;
}

const WASM_FILE = "libpg-query.wasm";

/**
 * V8 first compiles WebAssembly with its baseline compiler and then recompiles the hot functions with
 * its optimising one. For this module (the PostgreSQL grammar is one huge function) that second
 * compile takes some 500 MB and a second of CPU, even for a lint of ten files, and the process waits
 * for it before exiting. The baseline code parses fast enough, so the optimising tier is turned off
 * before the module is compiled. The flags are V8's own; Node reads them per compile.
 */
const BASELINE_ONLY = ["--liftoff-only", "--no-wasm-tier-up", "--no-wasm-dynamic-tiering"];

/** The .wasm beside the bundle (the build copies it there), or the package's own copy from source. */
export function wasmPath(): string {
  const beside = join(dirname(fileURLToPath(import.meta.url)), WASM_FILE);
  if (existsSync(beside)) return beside;
  return createRequire(import.meta.url).resolve(`libpg-query/wasm/${WASM_FILE}`);
}

function useBaselineCompiler(): void {
  for (const flag of BASELINE_ONLY) setFlagsFromString(flag);
}

export async function instantiatePgQuery(): Promise<PgQuery> {
  // The emscripten loader reads the CommonJS `__dirname` when it starts. In an ES-module bundle that
  // name is a free variable; give it the bundle's directory (the binary is passed in, not looked up).
  const scope = globalThis as { __dirname?: string };
  if (typeof __dirname === "undefined" && scope.__dirname === undefined) {
    scope.__dirname = dirname(fileURLToPath(import.meta.url));
  }
  const path = wasmPath();
  const wasmBinary = readFileSync(path);
  useBaselineCompiler();
  const loaded = (await import("libpg-query/wasm/libpg-query.js")) as { default: ModuleFactory };
  return new PgQuery(await loaded.default({ wasmBinary }));
}

const decoder = new TextDecoder();

/** One instantiated parser. Calls are synchronous; each copies its input in and frees what it used. */
export class PgQuery {
  readonly #module: EmscriptenModule;

  constructor(module: EmscriptenModule) {
    this.#module = module;
  }

  /** Copies NUL-terminated bytes into the module's memory; the caller frees the pointer. */
  #input(bytes: Uint8Array): number {
    const pointer = this.#module._malloc(bytes.length + 1);
    if (!pointer) throw new Error("the SQL parser could not allocate memory for the file");
    // Read HEAPU8 after the allocation: growing the memory replaces the view.
    const heap = this.#module.HEAPU8;
    heap.set(bytes, pointer);
    heap[pointer + bytes.length] = 0;
    return pointer;
  }

  #string(pointer: number): string {
    const heap = this.#module.HEAPU8;
    const end = heap.indexOf(0, pointer);
    return decoder.decode(heap.subarray(pointer, end < 0 ? heap.length : end));
  }

  /** A 32-bit word of a C struct (wasm32 pointers and ints are 4 bytes, aligned). */
  #word(address: number): number {
    return this.#module.HEAPU32[address >>> 2] as number;
  }

  /** The parse tree as JSON text, or the parser's error. */
  parse(bytes: Uint8Array): { json: string } | { error: PgParseError } {
    const input = this.#input(bytes);
    let result = 0;
    try {
      result = this.#module._wasm_parse_query_raw(input);
      if (!result) throw new Error("the SQL parser could not allocate memory for its result");
      // struct PgQueryParseResult { char *parse_tree; char *stderr_buffer; PgQueryError *error; }
      const tree = this.#word(result);
      const error = this.#word(result + 8);
      if (error) {
        // struct PgQueryError { char *message; char *funcname; char *filename; int lineno; int cursorpos; ... }
        const message = this.#word(error);
        const cursor = this.#word(error + 16);
        return {
          error: {
            message: message ? this.#string(message) : "the SQL does not parse",
            cursor: cursor > 0 ? cursor - 1 : undefined,
          },
        };
      }
      if (!tree) throw new Error("the SQL parser returned no parse tree");
      return { json: this.#string(tree) };
    } finally {
      this.#module._free(input);
      if (result) this.#module._wasm_free_parse_result(result);
    }
  }

  /** PostgreSQL's own scanner: every token with its byte range, comments included. */
  scan(bytes: Uint8Array): PgToken[] {
    const input = this.#input(bytes);
    let result = 0;
    try {
      result = this.#module._wasm_scan(input);
      const text = result ? this.#string(result) : "";
      // Success is a JSON object; anything else is the scanner's error message.
      if (!text.startsWith("{")) throw new Error(text || "the SQL scanner failed");
      return (JSON.parse(text) as { tokens?: PgToken[] }).tokens ?? [];
    } finally {
      this.#module._free(input);
      if (result) this.#module._wasm_free_string(result);
    }
  }
}

export type PgParseResult = { json: string } | { error: PgParseError };

/**
 * The parser on a worker thread, for long runs: the linter sends it the files ahead of the one it
 * lints, so the second core parses while the first lints. Answers come back by id; when the worker
 * fails, `onFailure` is told once and the caller parses on its own thread instead.
 */
export class ParseWorker {
  readonly #worker: Worker;

  constructor(onResult: (id: number, result: PgParseResult | undefined) => void, onFailure: () => void) {
    useBaselineCompiler();
    this.#worker = new Worker(new URL("./pg-query-worker.cjs", import.meta.url), {
      workerData: { wasmPath: wasmPath() },
    });
    // It must never keep the process alive, whatever the caller forgets.
    this.#worker.unref();
    let failed = false;
    const fail = (): void => {
      if (failed) return;
      failed = true;
      onFailure();
      void this.#worker.terminate();
    };
    this.#worker.on(
      "message",
      (message: { first?: number; results?: (PgParseResult | null)[]; failed?: string }) => {
        if (message.failed !== undefined) fail();
        const { first, results } = message;
        if (first === undefined || !results) return;
        results.forEach((result, i) => {
          onResult(first + i, result ?? undefined);
        });
      },
    );
    this.#worker.on("error", fail);
    this.#worker.on("exit", fail);
  }

  /** Sends consecutive files, the first with id `first`; their answers come back by id. */
  send(first: number, texts: readonly string[]): void {
    this.#worker.postMessage({ first, texts });
  }

  stop(): void {
    this.#worker.removeAllListeners("exit");
    void this.#worker.terminate();
  }
}

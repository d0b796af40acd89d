// The PostgreSQL parser on a worker thread: parses the files the linter sends while it lints the ones
// before, and answers with the parse tree's JSON (or the parser's error). Plain CommonJS, so it runs
// the same from the source tree and from a bundle; it feeds the module as pg-query-wasm.ts does.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { parentPort, workerData } = require("node:worker_threads");

/** The emscripten loader: copied beside the bundle as libpg-query.cjs, or the package's own. */
function loadFactory() {
  try {
    return require(join(__dirname, "libpg-query.cjs"));
  } catch {
    return require("libpg-query/wasm/libpg-query.js");
  }
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function text(module, pointer) {
  const heap = module.HEAPU8;
  const end = heap.indexOf(0, pointer);
  return decoder.decode(heap.subarray(pointer, end < 0 ? heap.length : end));
}

function parse(module, bytes) {
  const input = module._malloc(bytes.length + 1);
  if (!input) throw new Error("the SQL parser could not allocate memory for the file");
  module.HEAPU8.set(bytes, input);
  module.HEAPU8[input + bytes.length] = 0;
  let result = 0;
  try {
    result = module._wasm_parse_query_raw(input);
    if (!result) throw new Error("the SQL parser could not allocate memory for its result");
    // struct PgQueryParseResult { char *parse_tree; char *stderr_buffer; PgQueryError *error; }
    const tree = module.HEAPU32[result >>> 2];
    const error = module.HEAPU32[(result + 8) >>> 2];
    if (error) {
      // struct PgQueryError { char *message; char *funcname; char *filename; int lineno; int cursorpos; ... }
      const message = module.HEAPU32[error >>> 2];
      const cursor = module.HEAPU32[(error + 16) >>> 2];
      return {
        error: {
          message: message ? text(module, message) : "the SQL does not parse",
          cursor: cursor > 0 ? cursor - 1 : undefined,
        },
      };
    }
    return { json: text(module, tree) };
  } finally {
    module._free(input);
    if (result) module._wasm_free_parse_result(result);
  }
}

const ready = loadFactory()({ wasmBinary: readFileSync(workerData.wasmPath) });
ready.then(
  (module) => {
    // A batch of files per message, answered in one.
    parentPort.on("message", ({ first, texts }) => {
      const results = texts.map((sql) => {
        try {
          return parse(module, encoder.encode(sql));
        } catch {
          // null, not undefined: it survives the message; the linter then parses this file itself.
          return null;
        }
      });
      parentPort.postMessage({ first, results });
    });
    parentPort.postMessage({ ready: true });
  },
  (error) => {
    parentPort.postMessage({ failed: error instanceof Error ? error.message : String(error) });
  },
);

// GitHub Actions expressions (`${{ ... }}`, `if:`) evaluated with GitHub's own parser and evaluator
// (@actions/expressions), plus the status functions the runner provides (success(), failure(), ...).
import { data, Evaluator, Lexer, Parser } from "@actions/expressions";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";
import { truthy } from "@actions/expressions/result";

export interface JobStatus {
  /** Whether a step (or, for a job's `if`, a needed job) has failed so far. */
  failed: boolean;
}

const CONTEXTS = ["github", "inputs", "secrets", "needs", "steps", "job", "jobs", "env", "runner", "vars"];

function statusFunctions(status: JobStatus): Map<string, FunctionDefinition> {
  const fn = (name: string, value: () => boolean): [string, FunctionDefinition] => [
    name,
    { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value()) },
  ];
  return new Map([
    fn("success", () => !status.failed),
    fn("failure", () => status.failed),
    fn("always", () => true),
    fn("cancelled", () => false),
  ]);
}

/** Plain JSON values as expression data. */
export function toData(value: unknown): data.Dictionary {
  return JSON.parse(JSON.stringify(value ?? {}), data.reviver) as data.Dictionary;
}

function evaluate(
  expression: string,
  context: Record<string, unknown>,
  status: JobStatus,
): data.ExpressionData {
  const lexed = new Lexer(expression).lex();
  const functions = statusFunctions(status);
  const parser = new Parser(lexed.tokens, CONTEXTS, [...functions.values()]);
  return new Evaluator(parser.parse(), toData(context), functions).evaluate();
}

/**
 * A `with:` value of a reusable-workflow call as GitHub passes it: a value that is one whole `${{ }}`
 * keeps the type of what the expression gives (a boolean stays a boolean, a number a number); any
 * other value with templates becomes a string.
 */
export function evaluateValue(
  value: string | number | boolean,
  context: Record<string, unknown>,
  status: JobStatus,
): string | number | boolean {
  if (typeof value !== "string") return value;
  const whole = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/.exec(value);
  if (!whole || (whole[1] ?? "").includes("}}")) return interpolate(value, context, status);
  const result = evaluate((whole[1] ?? "").trim(), context, status);
  if (result instanceof data.BooleanData) return result.value;
  if (result instanceof data.NumberData) return result.value;
  return result.coerceString();
}

/** Evaluates a value with `${{ }}` templates into the string an action input receives. */
export function interpolate(value: unknown, context: Record<string, unknown>, status: JobStatus): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "string" ? value : String(value);
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expression: string) =>
    evaluate(expression.trim(), context, status).coerceString(),
  );
}

/**
 * Evaluates an `if:` condition as the runner does: `${{ }}` is optional, and a condition without a
 * status function is `success() && (condition)`.
 */
export function condition(
  value: string | boolean | undefined,
  context: Record<string, unknown>,
  status: JobStatus,
): boolean {
  if (value === undefined) return !status.failed;
  if (typeof value === "boolean") return value && !status.failed;
  let expression = value.trim();
  const wrapped = /^\$\{\{([\s\S]*)\}\}$/.exec(expression);
  if (wrapped) expression = (wrapped[1] ?? "").trim();
  if (!/\b(success|failure|always|cancelled)\(\)/.test(expression))
    expression = `success() && (${expression})`;
  return truthy(evaluate(expression, context, status));
}

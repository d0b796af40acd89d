// CloudWatch metric math as the simulator evaluates it: + - * /, parentheses, numbers, other query ids
// and FILL(series, value) over series that combine on common timestamps.
import { SimError } from "../../framework/errors";

/** A metric's datapoints, oldest first, one per period. */
export interface Series {
  timestamps: number[];
  values: number[];
  periodMs: number;
}

interface MathContext {
  startMs: number;
  endMs: number;
  periodMs?: number;
}

type Value = number | Series;

/** Evaluates arithmetic over series (+ - * /, parentheses, numbers, ids, FILL(series, value)). */
export function evaluateExpression(
  expression: string,
  lookup: (id: string) => Series,
  context: MathContext,
): Series {
  const tokens = expression.match(/\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/(),]/g) ?? [];
  if (tokens.join("") !== expression.replace(/\s+/g, "")) {
    throw new SimError("InvalidParameterValueException", `The expression ${expression} is not valid.`);
  }
  let position = 0;
  const peek = () => tokens[position];
  const take = (expected?: string): string => {
    const token = tokens[position++];
    if (token === undefined || (expected !== undefined && token !== expected)) {
      throw new SimError("InvalidParameterValueException", `The expression ${expression} is not valid.`);
    }
    return token;
  };
  const sum = (): Value => {
    let left = product();
    while (peek() === "+" || peek() === "-") {
      const op = take();
      left = combine(left, product(), op);
    }
    return left;
  };
  const product = (): Value => {
    let left = unary();
    while (peek() === "*" || peek() === "/") {
      const op = take();
      left = combine(left, unary(), op);
    }
    return left;
  };
  const unary = (): Value => {
    if (peek() === "-") {
      take();
      return combine(-1, unary(), "*");
    }
    return primary();
  };
  const primary = (): Value => {
    const token = take();
    if (token === "(") {
      const inner = sum();
      take(")");
      return inner;
    }
    if (/^\d/.test(token)) return Number(token);
    if (token.toUpperCase() === "FILL" && peek() === "(") {
      take("(");
      const series = sum();
      take(",");
      const fill = sum();
      take(")");
      if (typeof series === "number" || typeof fill !== "number") {
        throw new SimError("InvalidParameterValueException", "FILL takes a series and a number.");
      }
      return fillSeries(series, fill, context);
    }
    if (peek() === "(")
      throw new SimError(
        "InvalidParameterValueException",
        `The function ${token} is not supported by the simulator.`,
      );
    return lookup(token);
  };
  const result = sum();
  if (position !== tokens.length)
    throw new SimError("InvalidParameterValueException", `The expression ${expression} is not valid.`);
  if (typeof result === "number") {
    const periodMs = context.periodMs ?? 60_000;
    return fillSeries({ timestamps: [], values: [], periodMs }, result, context);
  }
  return result;
}

function fillSeries(series: Series, value: number, context: MathContext): Series {
  const periodMs = context.periodMs ?? series.periodMs;
  const out: Series = { timestamps: [], values: [], periodMs };
  const known = new Map(series.timestamps.map((t, i) => [t, series.values[i] as number]));
  for (let t = Math.floor(context.startMs / periodMs) * periodMs; t < context.endMs; t += periodMs) {
    out.timestamps.push(t);
    out.values.push(known.get(t) ?? value);
  }
  return out;
}

function apply(a: number, b: number, op: string): number {
  if (op === "+") return a + b;
  if (op === "-") return a - b;
  if (op === "*") return a * b;
  return a / b;
}

function combine(left: Value, right: Value, op: string): Value {
  if (typeof left === "number" && typeof right === "number") return apply(left, right, op);
  const out: Series = {
    timestamps: [],
    values: [],
    periodMs: typeof left === "number" ? (right as Series).periodMs : left.periodMs,
  };
  const rightMap =
    typeof right === "number" ? undefined : new Map(right.timestamps.map((t, i) => [t, right.values[i]]));
  const timestamps = typeof left === "number" ? (right as Series).timestamps : left.timestamps;
  timestamps.forEach((t, i) => {
    const a = typeof left === "number" ? left : left.values[i];
    const b = typeof right === "number" ? right : rightMap?.get(t);
    if (a === undefined || b === undefined) return;
    const value = apply(a, b, op);
    // Metric math drops points that are not finite (division by zero).
    if (!Number.isFinite(value)) return;
    out.timestamps.push(t);
    out.values.push(value);
  });
  return out;
}

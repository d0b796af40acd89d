// The errors a simulated operation raises; the protocol layer encodes them as AWS does.

export class SimError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra members of the JSON error body, e.g. ECS ConflictException's resourceIds. */
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export const invalidParameter = (message: string): SimError =>
  new SimError("InvalidParameterException", message);
export const clientException = (message: string): SimError => new SimError("ClientException", message);

type Shape = Record<string, unknown>;

/** Reads a required string member, raising the service's validation error when absent. */
export function requireString(input: Shape, key: string, errorCode = "InvalidParameterException"): string {
  const value = input[key];
  if (typeof value !== "string" || value === "")
    throw new SimError(errorCode, `${key} is required and must be a string.`);
  return value;
}

export function optionalString(input: Shape, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidParameter(`${key} must be a string.`);
  return value;
}

export function optionalNumber(input: Shape, key: string): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value))
    throw invalidParameter(`${key} must be a number.`);
  return value;
}

export function optionalBoolean(input: Shape, key: string): boolean | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalidParameter(`${key} must be a boolean.`);
  return value;
}

export function stringList(input: Shape, key: string): string[] {
  const value = input[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw invalidParameter(`${key} must be a list of strings.`);
  }
  return value as string[];
}

export function objectList(input: Shape, key: string): Shape[] {
  const value = input[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "object" || v === null)) {
    throw invalidParameter(`${key} must be a list of objects.`);
  }
  return value as Shape[];
}

export function optionalObject(input: Shape, key: string): Shape | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw invalidParameter(`${key} must be an object.`);
  return value as Shape;
}

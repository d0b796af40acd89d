// The AWS protocols at the simulator's edge: which service and operation a request is for, and how
// an outcome is written back (JSON 1.0/1.1 bodies with `__type` errors, or query-protocol XML).
import type { IncomingHttpHeaders } from "node:http";
import { SimError } from "./errors";
import type { Shape, SimService, SimServiceDefinition } from "./types";
import { decodeQuery, queryErrorXml, queryResponseXml, toJsonValue } from "./wire";

export interface Route {
  service: SimService;
  operation: string;
  input: Shape;
}

/** An answer that is not an AWS-shaped body (e.g. an HTML error page of a proxy in front of a service). */
export class RawReply {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly contentType = "text/html",
  ) {}
}

/** What the handling of one call came to. */
export type Outcome =
  | { kind: "result"; value: unknown }
  | { kind: "error"; error: SimError }
  | { kind: "raw"; reply: RawReply };

export interface WireReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function signingNameOf(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization ?? "";
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1];
}

/**
 * The service and operation a request is for: by X-Amz-Target for the JSON protocols, else (query
 * protocol) by the SigV4 signing name, then the API version. The service registered last wins, so
 * a test can put its own stand-in over a built-in one.
 */
export function route(headers: IncomingHttpHeaders, body: string, services: readonly SimService[]): Route {
  const target = headers["x-amz-target"];
  if (typeof target === "string") {
    const dot = target.lastIndexOf(".");
    const prefix = target.slice(0, dot);
    const service = services.findLast((s) => s.definition.targetPrefix === prefix);
    if (!service) throw new SimError("UnknownOperationException", `No simulated service answers ${target}`);
    let input: Shape;
    try {
      input = body ? (JSON.parse(body) as Shape) : {};
    } catch {
      throw new SimError("SerializationException", "The request body is not valid JSON.");
    }
    return { service, operation: target.slice(dot + 1), input };
  }
  const contentType = headers["content-type"] ?? "";
  if (contentType.startsWith("application/x-www-form-urlencoded")) {
    const { action, version, input } = decodeQuery(body);
    const signing = signingNameOf(headers);
    const service =
      services.findLast((s) => s.definition.protocol === "query" && s.definition.signingName === signing) ??
      services.findLast((s) => s.definition.queryVersion === version);
    if (!service)
      throw new SimError("InvalidAction", `No simulated service answers ${action} (version ${version})`);
    return { service, operation: action, input };
  }
  throw new SimError("UnknownOperationException", "Cannot tell which AWS service the request is for");
}

const jsonType = (def: SimServiceDefinition): string =>
  `application/x-amz-json-${def.protocol === "json1.0" ? "1.0" : "1.1"}`;

/** Writes an outcome in the service's protocol. */
export function encode(
  def: SimServiceDefinition,
  operation: string,
  outcome: Outcome,
  requestId: string,
): WireReply {
  const headers: Record<string, string> = { "x-amzn-RequestId": requestId };
  if (outcome.kind === "raw") {
    return {
      status: outcome.reply.status,
      headers: { ...headers, "content-type": outcome.reply.contentType },
      body: outcome.reply.body,
    };
  }
  if (outcome.kind === "error") {
    const { error } = outcome;
    if (def.protocol === "query") {
      return {
        status: error.status,
        headers: { ...headers, "content-type": "text/xml" },
        body: queryErrorXml(error.code, error.message, requestId, error.status < 500),
      };
    }
    return {
      status: error.status,
      headers: { ...headers, "content-type": jsonType(def), "x-amzn-ErrorType": error.code },
      body: JSON.stringify({ ...error.fields, __type: error.code, message: error.message }),
    };
  }
  if (def.protocol === "query") {
    return {
      status: 200,
      headers: { ...headers, "content-type": "text/xml" },
      body: queryResponseXml(operation, def.xmlNamespace ?? "", outcome.value, requestId),
    };
  }
  return {
    status: 200,
    headers: { ...headers, "content-type": jsonType(def) },
    body: JSON.stringify(toJsonValue(outcome.value ?? {})),
  };
}

/** An error before any service was found (unknown target, bad body): JSON, as most callers speak it. */
export function routingError(error: SimError): WireReply {
  return {
    status: 400,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ __type: error.code, message: error.message }),
  };
}

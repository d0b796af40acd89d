// Wire formats of the AWS protocols the suite's SDK clients speak: JSON 1.0/1.1 (ECS, ECR, Logs,
// CloudWatch) and the query protocol (ELBv2, RDS: form-encoded requests, XML responses).

/** A list that the query protocol serialises with a named member element (RDS) instead of <member>. */
export class XmlList<T = unknown> {
  constructor(
    readonly memberName: string,
    readonly items: T[],
  ) {}
}

/** Dates become epoch seconds, as AWS JSON protocols send timestamps. */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (value instanceof XmlList) return value.items.map(toJsonValue);
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (Buffer.isBuffer(value)) return value.toString("base64");
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (inner !== undefined) out[key] = toJsonValue(inner);
    }
    return out;
  }
  return value;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function xmlValue(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof XmlList)
    return value.items.map((item) => `<${value.memberName}>${xmlValue(item)}</${value.memberName}>`).join("");
  if (Array.isArray(value)) return value.map((item) => `<member>${xmlValue(item)}</member>`).join("");
  if (value && typeof value === "object") {
    return Object.entries(value)
      .filter(([, inner]) => inner !== undefined && inner !== null)
      .map(([key, inner]) => `<${key}>${xmlValue(inner)}</${key}>`)
      .join("");
  }
  return escapeXml(String(value));
}

export function queryResponseXml(
  operation: string,
  namespace: string,
  result: unknown,
  requestId: string,
): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${operation}Response xmlns="${namespace}">` +
    `<${operation}Result>${xmlValue(result ?? {})}</${operation}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

export function queryErrorXml(code: string, message: string, requestId: string, sender: boolean): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${sender ? "Sender" : "Receiver"}</Type>` +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/**
 * Decodes a query-protocol body (`Targets.member.1.Id=a&Tags.Tag.2.Key=b`) into nested objects and
 * arrays: a list member name followed by a 1-based index becomes an array position. Values stay
 * strings; handlers convert what they need.
 */
export function decodeQuery(body: string): {
  action: string;
  version: string;
  input: Record<string, unknown>;
} {
  const params = new URLSearchParams(body);
  const input: Record<string, unknown> = {};
  for (const [key, value] of params) {
    if (key === "Action" || key === "Version") continue;
    const tokens = key.split(".");
    const path: (string | number)[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const next = tokens[i + 1];
      if (i > 0 && next !== undefined && /^\d+$/.test(next)) {
        path.push(Number(next) - 1);
        i++;
      } else {
        path.push(tokens[i] as string);
      }
    }
    let node: Record<string | number, unknown> = input;
    path.forEach((segment, index) => {
      if (index === path.length - 1) {
        node[segment] = value;
        return;
      }
      const nextIsIndex = typeof path[index + 1] === "number";
      node[segment] ??= nextIsIndex ? [] : {};
      node = node[segment] as Record<string | number, unknown>;
    });
  }
  return { action: params.get("Action") ?? "", version: params.get("Version") ?? "", input };
}

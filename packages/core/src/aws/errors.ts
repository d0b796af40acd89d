// What an AWS failure means for the person running the workflow. A denied call, an expired session,
// throttling that outlasted the retries, a missing resource or an unreachable endpoint is something
// they act on (a policy, role-duration-seconds, aws-max-attempts, a name); only what is left is a bug.

import { isAbortError, isUserError, UserError } from "../runtime/errors";
import type { ActionMain } from "../runtime/run";

/** The parts of an SDK v3 service exception (or a smithy transport error) this module reads. */
interface AwsFailure {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; attempts?: unknown; requestId?: unknown };
}

const DENIED = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
  "UnauthorizedException",
  "AuthorizationError",
  "NotAuthorized",
]);
const BAD_CREDENTIALS = new Set([
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "MissingAuthenticationToken",
]);
const EXPIRED = new Set(["ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"]);
const THROTTLED = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
]);
const UNAVAILABLE = new Set([
  "ServerException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalFailure",
  "InternalError",
  "InternalServerError",
]);
const UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE"]);

/**
 * An answer that was not an AWS answer at all (an HTML error page from an endpoint without the API,
 * which the SDK fails to parse), described by its HTTP status and content type instead of the
 * parser's complaint; undefined for any other failure.
 */
export function notAnAwsAnswer(error: unknown): string | undefined {
  const failure = (error ?? {}) as AwsFailure & {
    $response?: { statusCode?: unknown; headers?: Record<string, unknown> };
  };
  const response = failure.$response;
  const unparsed =
    text(failure.name) === "SyntaxError" || /Deserialization error/.test(text(failure.message) ?? "");
  if (!response || !unparsed) return undefined;
  const status =
    typeof response.statusCode === "number" ? response.statusCode : failure.$metadata?.httpStatusCode;
  const type = text(response.headers?.["content-type"]) ?? "no content type";
  return `HTTP ${String(status ?? "?")} with a body that is not an AWS answer (${type})`;
}

/** Whether AWS answered that it throttled the call (so it did not act on it). */
export function isThrottled(error: unknown): boolean {
  const failure = (error ?? {}) as AwsFailure;
  return THROTTLED.has(text(failure.name) ?? "") || THROTTLED.has(text(failure.code) ?? "");
}

/** Whether a call got no answer at all: a refused, reset or timed-out connection. */
export function isUnanswered(error: unknown): boolean {
  const failure = (error ?? {}) as AwsFailure;
  const name = text(failure.name) ?? "";
  return (
    UNREACHABLE.has(text(failure.code) ?? "") ||
    UNREACHABLE.has(name) ||
    ["TimeoutError", "RequestTimeout", "RequestTimeoutException"].includes(name) ||
    /socket hang up/i.test(text(failure.message) ?? "")
  );
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function attemptsOf(failure: AwsFailure): string {
  const attempts = failure.$metadata?.attempts;
  return typeof attempts === "number" && attempts > 1 ? ` after ${attempts} attempts` : "";
}

function requestIdOf(failure: AwsFailure): string {
  const id = text(failure.$metadata?.requestId);
  return id ? ` (request id ${id})` : "";
}

/**
 * True when retrying cannot help: the call was denied, or the job's credentials are missing, wrong
 * or expired. A check that keeps polling should stop on these instead of waiting out its window.
 */
export function isPermanentAwsFailure(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const name = text((error as AwsFailure).name) ?? "";
  return (
    DENIED.has(name) || BAD_CREDENTIALS.has(name) || EXPIRED.has(name) || name === "CredentialsProviderError"
  );
}

/**
 * The user error an AWS failure amounts to, or undefined when it is not one a user can act on
 * (then it stays a bug). `action` names the step in the messages, e.g. "ecs-deploy".
 */
export function awsUserError(error: unknown, action: string): UserError | undefined {
  if (typeof error !== "object" || error === null || isUserError(error) || isAbortError(error))
    return undefined;
  const failure = error as AwsFailure;
  const name = text(failure.name) ?? "";
  const message = text(failure.message) ?? name;
  const detail = `${name && name !== "Error" && !message.startsWith(name) ? `${name}: ` : ""}${message}${requestIdOf(failure)}`;
  const permissions = `the IAM actions ${action} needs are listed in its README under Permissions`;

  if (DENIED.has(name)) {
    return new UserError(`AWS denied a call ${action} needs: ${detail}`, {
      fix: `Allow the IAM action named above to the role the job assumes (${permissions}).`,
      cause: error,
    });
  }
  if (BAD_CREDENTIALS.has(name)) {
    return new UserError(`AWS did not accept the job's credentials: ${detail}`, {
      fix: "Configure credentials for this job before the step (aws-actions/configure-aws-credentials with an OIDC role), and check that they belong to the account and region used.",
      cause: error,
    });
  }
  if (EXPIRED.has(name)) {
    return new UserError(`The job's AWS credentials expired: ${detail}`, {
      fix: "Raise `role-duration-seconds` in aws-actions/configure-aws-credentials (and the role's maximum session duration), or shorten the waits of this step.",
      cause: error,
    });
  }
  if (name === "CredentialsProviderError") {
    return new UserError(`No AWS credentials were found: ${message}`, {
      fix: "Add aws-actions/configure-aws-credentials before this step (with `id-token: write` permission for OIDC).",
      cause: error,
    });
  }
  if (isThrottled(failure)) {
    return new UserError(`AWS kept throttling ${action}'s calls${attemptsOf(failure)}: ${detail}`, {
      input: "aws-max-attempts",
      fix: "Raise `aws-max-attempts` (each retry waits longer), or run fewer jobs against the same account and region at once; re-running the step is safe.",
      cause: error,
    });
  }
  if (UNAVAILABLE.has(name) || failure.$fault === "server") {
    return new UserError(`AWS failed to answer ${action}${attemptsOf(failure)}: ${detail}`, {
      input: "aws-max-attempts",
      fix: "This is on AWS's side: re-run the step (it is safe to), or raise `aws-max-attempts`; the AWS Health Dashboard shows ongoing incidents.",
      cause: error,
    });
  }
  if (/NotFound/.test(name) || name === "ResourceNotFoundException") {
    return new UserError(`AWS could not find a resource ${action} uses: ${detail}`, {
      fix: "Check the names and ARNs in the step's inputs and the task definition, and that `aws-region` (or AWS_REGION) is the region they are in.",
      cause: error,
    });
  }
  if (isUnanswered(failure)) {
    return new UserError(`${action} could not reach AWS: ${detail}`, {
      input: "aws-endpoint-url",
      fix: "Check `aws-region` and, when set, `aws-endpoint-url` (or AWS_ENDPOINT_URL), and that the runner can reach AWS; re-running the step is safe.",
      cause: error,
    });
  }
  return undefined;
}

/** The action's main, with every AWS failure the user can act on turned into a user error. */
export function explainAwsErrors(action: string, main: ActionMain): ActionMain {
  return async (context) => {
    try {
      await main(context);
    } catch (error) {
      throw awsUserError(error, action) ?? error;
    }
  };
}

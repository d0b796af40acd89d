// The AWS inputs every AWS-calling action declares, and the settings read from them. Free of any SDK
// import: an action checks these before the AWS SDK is loaded.
import { input } from "../runtime/inputs";

export interface AwsSettings {
  region?: string | undefined;
  /** Overrides every client's endpoint. Without it the SDK honours AWS_ENDPOINT_URL(_<SERVICE>). */
  endpoint?: string | undefined;
  maxAttempts?: number | undefined;
  retryMode?: "standard" | "adaptive" | undefined;
  /** Per-request socket timeout; a dropped connection is then retried instead of hanging. */
  requestTimeoutMs?: number | undefined;
}

/** The inputs every AWS-calling action declares, spread into its spec. */
export const awsInputSpec = {
  "aws-region": input.string({
    pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/,
    hint: 'Give a region code such as "eu-west-1".',
  }),
  "aws-endpoint-url": input.url(),
  // No default in action.yml, so the SDK's own AWS_MAX_ATTEMPTS still applies when the input is unset.
  "aws-max-attempts": input.integer({ min: 1, max: 20 }),
};

export function awsSettingsFromInputs(values: {
  awsRegion: string | undefined;
  awsEndpointUrl: string | undefined;
  awsMaxAttempts: number | undefined;
}): AwsSettings {
  return { region: values.awsRegion, endpoint: values.awsEndpointUrl, maxAttempts: values.awsMaxAttempts };
}

// The suite's version, sent in the AWS user agent (`shipline/<version>`). A test keeps it equal to
// the root package.json version.
export const SHIPLINE_VERSION = "0.1.0";

// The shape of a GitHub token input, checked before Octokit is loaded.

/** What a GitHub token looks like (ghp_, ghs_, github_pat_, a JWT, a GHES hex token): no spaces or shell syntax. */
export const GITHUB_TOKEN = /^[A-Za-z0-9_.=-]{1,1024}$/;
export const GITHUB_TOKEN_HINT =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, shown to the user as is.
  "Pass the token itself, e.g. `${{ github.token }}` or a secret; it has no spaces or quotes.";

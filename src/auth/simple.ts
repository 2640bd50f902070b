// `simple` authentication, as in Alluxio's proxy: the Authorization header (or
// a presigned URL's credential) names the user, and no signature is checked.
// Requests that name nobody act as the configured default user.

export interface Identity {
  user: string;
  /** True when the request named no user at all. */
  anonymous: boolean;
}

const SIGV2 = /^AWS\s+([^:\s]*):/;
const SIGV4 = /^AWS4-HMAC-SHA256\s+.*?Credential=([^/,\s]*)\//;

export function identifySimple(authorization: string | undefined, query: URLSearchParams, defaultUser: string): Identity {
  let named: string | undefined;
  if (authorization) {
    named = SIGV4.exec(authorization)?.[1] ?? SIGV2.exec(authorization)?.[1];
  } else {
    const credential = query.get('X-Amz-Credential');
    named = credential ? credential.split('/')[0] : (query.get('AWSAccessKeyId') ?? undefined);
  }
  return named ? { user: named, anonymous: false } : { user: defaultUser, anonymous: true };
}

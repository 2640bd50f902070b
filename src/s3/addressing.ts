// Request addressing: virtual-hosted style (`Host: bucket.<base-domain>`) as
// well as path style (`/bucket/key`). Turns a request's Host header and path
// into the path-style path the router understands.
// AWS: https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html

/** Parses the `baseDomain` setting: a comma-separated list, lower-cased, empty entries dropped. */
export function parseBaseDomains(setting: string): string[] {
  return setting.split(',').map((d) => d.trim().toLowerCase().replace(/\.$/, '')).filter((d) => d !== '');
}

/** The host name of a Host header value, lower-case, without the port or a trailing dot. */
export function hostName(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[')) {
    // An IPv6 literal never names a bucket; keep it whole so it matches nothing.
    const end = name.indexOf(']');
    return end < 0 ? name : name.slice(0, end + 1);
  }
  const colon = name.lastIndexOf(':');
  if (colon >= 0) name = name.slice(0, colon);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * The bucket a Host header names under one of the base domains, or undefined
 * for path style: no Host, a host outside every base domain, or the base
 * domain itself (where ListBuckets and path-style requests live). With
 * overlapping domains (`s3.local,local`) the longest match wins, so
 * `b.s3.local` is bucket `b`, not `b.s3`.
 */
export function bucketFromHost(host: string | undefined, baseDomains: readonly string[]): string | undefined {
  if (host === undefined || baseDomains.length === 0) return undefined;
  const name = hostName(host);
  let best: string | undefined;
  let bestLength = -1;
  for (const domain of baseDomains) {
    if (domain.length > bestLength && name.length > domain.length + 1 && name.endsWith(`.${domain}`)) {
      best = name.slice(0, name.length - domain.length - 1);
      bestLength = domain.length;
    }
  }
  return best;
}

export interface Addressed {
  /** The path-style path (`/bucket/key`, still percent-encoded) to route. */
  path: string;
  /** True when the bucket came from the Host header. */
  virtualHost: boolean;
}

/**
 * Maps a request to its path-style path. Virtual-hosted: the whole raw path is
 * the key (the API prefix does not apply there: a key may start with it).
 * Path style: the API prefix, when present, is stripped.
 */
export function addressRequest(host: string | undefined, rawPath: string, baseDomains: readonly string[], prefix: string): Addressed {
  const bucket = bucketFromHost(host, baseDomains);
  if (bucket !== undefined) {
    // Bucket names from a host are DNS labels; anything else (%, /, ...) is encoded so
    // splitPath decodes it back and bucket-name validation answers, not the router.
    return { path: `/${encodeURIComponent(bucket)}${rawPath.startsWith('/') ? rawPath : `/${rawPath}`}`, virtualHost: true };
  }
  return { path: stripPrefix(rawPath, prefix), virtualHost: false };
}

/** `/api/v1/s3/b/k` -> `/b/k`; the prefix alone is the service root. */
export function stripPrefix(path: string, prefix: string): string {
  if (prefix !== '' && (path === prefix || path.startsWith(`${prefix}/`))) return path.slice(prefix.length) || '/';
  return path;
}

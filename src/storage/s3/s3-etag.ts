// ETags as the S3 store's version tags (FileStatus.etag, WrittenVersion): S3
// sends them quoted (`"9b2cf535f27731c974343645a3985328"`, `"...-3"` for a
// multipart object); the adapter reports them unquoted, so a tag from a write
// and one from a stat compare equal, and quotes them again for If-Match.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html (ETag)

/** The tag an SDK response's ETag stands for; undefined when the store sent none. */
export function versionTag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  const tag = etag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  return tag === '' ? undefined : tag;
}

/** The If-Match header value that pins a request to `tag`. */
export function ifMatchHeader(tag: string): string {
  return `"${tag}"`;
}

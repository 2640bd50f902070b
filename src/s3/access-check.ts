// The authorization step of an S3 request, between authentication and the
// handler: the request's operation on its bucket and key (and, for copies,
// on the copy source exactly as the copy handler parses it), decided by
// src/auth/access.ts. Ops whose keys come from the body (DeleteObjects, POST
// Object) pass here and have each key checked by their handler.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html
import type { RequestContext } from './context.ts';
import { parseCopySource } from './operations/copy.ts';

const COPIES: ReadonlySet<string> = new Set(['CopyObject', 'UploadPartCopy']);

/** Throws AccessDenied unless the caller may run the request's operation. */
export async function authorizeRequest(ctx: RequestContext): Promise<void> {
  if (!ctx.access.enforced) return;
  let copySource: { bucket: string; key: string; versionId?: string } | undefined;
  if (COPIES.has(ctx.op)) {
    const parsed = parseCopySource(ctx);
    const header = ctx.header('x-amz-copy-source') ?? '';
    const q = header.indexOf('?');
    const versionId = q < 0 ? undefined : (new URLSearchParams(header.slice(q + 1)).get('versionId') ?? undefined);
    copySource = { bucket: parsed.bucket, key: parsed.key, versionId };
  }
  await ctx.access.require(ctx.accessAsk(ctx.op, ctx.key, { copySource }));
}

/** DeleteObjects: whether the caller may delete this one entry (the request itself passed as a whole). */
export function mayAccessKey(ctx: RequestContext, key: string, versionId?: string): Promise<boolean> {
  return ctx.access.allows(ctx.accessAsk(ctx.op, key, { versionId }));
}

// The sub-resources a write sets through its headers: x-amz-tagging and
// x-amz-acl / x-amz-grant-* on PutObject and CreateMultipartUpload, x-amz-acl /
// x-amz-grant-* on CreateBucket. Read and validated before the body is, so a
// bad header refuses the request before any data moves.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html#API_PutObject_RequestSyntax
import type { ObjectExtras, UploadExtras } from '../../meta/metadata-store.ts';
import { aclFromHeaders, type Acl } from '../acl-model.ts';
import type { RequestContext } from '../context.ts';
import { tagsFromHeader, validateTags } from '../tags.ts';

const ACL_HEADERS = ['x-amz-acl', 'x-amz-grant-full-control', 'x-amz-grant-read', 'x-amz-grant-read-acp', 'x-amz-grant-write', 'x-amz-grant-write-acp'];

/** The tags and ACL an object write's headers ask for (fields absent when not asked for). */
export async function objectExtrasFromHeaders(ctx: RequestContext): Promise<Pick<ObjectExtras & UploadExtras, 'tags' | 'acl'>> {
  const tagging = ctx.header('x-amz-tagging');
  const wantsAcl = ACL_HEADERS.some((name) => ctx.header(name) !== undefined);
  if (tagging === undefined && !wantsAcl) return {};
  // A missing bucket is NoSuchBucket before any header is judged; bucket-owner-* ACLs need its owner.
  const bucket = await ctx.ns.getBucket(ctx.bucket);
  const out: { tags?: Record<string, string>; acl?: Acl } = {};
  if (tagging !== undefined) {
    const tags = validateTags(tagsFromHeader(tagging), 'object');
    if (Object.keys(tags).length > 0) out.tags = tags;
  }
  const acl = aclFromHeaders((name) => ctx.header(name), ctx.user, bucket.owner, 'object');
  if (acl) out.acl = acl;
  return out;
}

/** The ACL CreateBucket's headers ask for, or undefined for the default. */
export function bucketAclFromHeaders(ctx: RequestContext): Acl | undefined {
  return aclFromHeaders((name) => ctx.header(name), ctx.user, ctx.user, 'bucket');
}

// ACL operations: Get/PutObjectAcl and Get/PutBucketAcl. A PUT takes exactly one
// of a canned ACL (x-amz-acl), grant headers (x-amz-grant-*) or an
// AccessControlPolicy body. Enforcing ACLs is the authorization layer's job
// (aclAllows in ../acl-model.ts); these operations store and report them.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html
import { aclFromHeaders, aclFromXml, aclXml, effectiveAcl, type Acl, type AclTarget } from '../acl-model.ts';
import type { Handler, RequestContext } from '../context.ts';
import { S3Error, isS3Error } from '../errors.ts';
import { readXmlBody, type XmlTree } from '../xml/parser.ts';
import { checkVersionId } from './common.ts';

/** An AccessControlPolicy of 100 grants fits easily. */
const MAX_ACL_BYTES = 64 * 1024;

function hasBody(ctx: RequestContext): boolean {
  return (ctx.contentLength ?? 0) > 0 || /chunked/i.test(ctx.header('transfer-encoding') ?? '');
}

/** An unparsable ACL document is MalformedACLError, not MalformedXML. */
async function aclDocument(ctx: RequestContext): Promise<XmlTree | undefined> {
  try {
    return await readXmlBody(ctx.body(), MAX_ACL_BYTES);
  } catch (err) {
    if (isS3Error(err) && err.code === 'MalformedXML') throw new S3Error('MalformedACLError');
    throw err;
  }
}

/**
 * The ACL a PutObjectAcl or PutBucketAcl request sets. Headers together with
 * a body is UnexpectedContent; neither is MissingSecurityHeader, as S3 answers.
 */
async function aclFromRequest(ctx: RequestContext, owner: string, bucketOwner: string, target: AclTarget): Promise<Acl> {
  const fromHeaders = aclFromHeaders((name) => ctx.header(name), owner, bucketOwner, target);
  const body = hasBody(ctx);
  if (fromHeaders) {
    if (body) throw new S3Error('UnexpectedContent');
    return fromHeaders;
  }
  const tree = body ? await aclDocument(ctx) : undefined;
  if (tree === undefined) throw new S3Error('MissingSecurityHeader', undefined, { MissingHeaderName: 'x-amz-acl' });
  return aclFromXml(tree, owner);
}

export const getObjectAcl: Handler = async (ctx) => {
  checkVersionId(ctx);
  const row = await ctx.ns.headObject(ctx.bucket, ctx.key);
  return { xml: aclXml(effectiveAcl(row.extras.acl, row.owner)) };
};

export const putObjectAcl: Handler = async (ctx) => {
  checkVersionId(ctx);
  const bucket = await ctx.ns.getBucket(ctx.bucket);
  const row = await ctx.ns.headObject(ctx.bucket, ctx.key);
  const acl = await aclFromRequest(ctx, row.owner, bucket.owner, 'object');
  await ctx.ns.updateObjectExtras(ctx.bucket, ctx.key, (extras) => ({ ...extras, acl }));
  return {};
};

export const getBucketAcl: Handler = async (ctx) => {
  const bucket = await ctx.ns.getBucket(ctx.bucket);
  return { xml: aclXml(effectiveAcl(bucket.extras.acl, bucket.owner)) };
};

export const putBucketAcl: Handler = async (ctx) => {
  const bucket = await ctx.ns.getBucket(ctx.bucket);
  const acl = await aclFromRequest(ctx, bucket.owner, bucket.owner, 'bucket');
  await ctx.ns.updateBucketExtras(ctx.bucket, (extras) => ({ ...extras, acl }));
  return {};
};

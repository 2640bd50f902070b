// Tagging operations: Put/Get/DeleteObjectTagging and Put/Get/DeleteBucketTagging.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketTagging.html
import type { Handler, RequestContext } from '../context.ts';
import { S3Error } from '../errors.ts';
import { tagsFromXml, taggingXml, validateTags, type TagTarget } from '../tags.ts';
import { readXmlBody } from '../xml/parser.ts';
import { checkVersionId } from './common.ts';

/** A Tagging document is small: 10 or 50 tags of at most 384 characters. */
const MAX_TAGGING_BYTES = 64 * 1024;

async function tagsFromBody(ctx: RequestContext, target: TagTarget): Promise<Record<string, string> | undefined> {
  const tree = await readXmlBody(ctx.body(), MAX_TAGGING_BYTES);
  if (tree === undefined) throw new S3Error('MalformedXML');
  const tags = validateTags(tagsFromXml(tree), target);
  // An empty tag set removes the tags ("Amazon S3 deletes the existing tag set").
  return Object.keys(tags).length > 0 ? tags : undefined;
}

export const putObjectTagging: Handler = async (ctx) => {
  checkVersionId(ctx);
  // Refuse a missing object before its body is read.
  await ctx.ns.headObject(ctx.bucket, ctx.key);
  const tags = await tagsFromBody(ctx, 'object');
  await ctx.ns.updateObjectExtras(ctx.bucket, ctx.key, (extras) => ({ ...extras, tags }));
  return {};
};

export const getObjectTagging: Handler = async (ctx) => {
  checkVersionId(ctx);
  const row = await ctx.ns.headObject(ctx.bucket, ctx.key);
  return { xml: taggingXml(row.extras.tags) };
};

export const deleteObjectTagging: Handler = async (ctx) => {
  checkVersionId(ctx);
  await ctx.ns.updateObjectExtras(ctx.bucket, ctx.key, (extras) => ({ ...extras, tags: undefined }));
  return { status: 204 };
};

export const putBucketTagging: Handler = async (ctx) => {
  await ctx.ns.getBucket(ctx.bucket);
  const tags = await tagsFromBody(ctx, 'bucket');
  await ctx.ns.updateBucketExtras(ctx.bucket, (extras) => ({ ...extras, tags }));
  return { status: 204 };
};

/** A bucket that never had tags (or had them deleted) is NoSuchTagSet, not an empty set. */
export const getBucketTagging: Handler = async (ctx) => {
  const bucket = await ctx.ns.getBucket(ctx.bucket);
  const tags = bucket.extras.tags;
  if (tags === undefined || Object.keys(tags).length === 0) throw new S3Error('NoSuchTagSet', undefined, { BucketName: ctx.bucket });
  return { xml: taggingXml(tags) };
};

export const deleteBucketTagging: Handler = async (ctx) => {
  await ctx.ns.updateBucketExtras(ctx.bucket, (extras) => ({ ...extras, tags: undefined }));
  return { status: 204 };
};

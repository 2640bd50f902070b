// Bucket operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation.
import type { Handler } from '../context.ts';
import { readXmlBody } from '../xml/parser.ts';
import { S3_XMLNS, el, elA } from '../xml/writer.ts';
import { isoDate, ownerXml } from './common.ts';
import { bucketAclFromHeaders } from './write-extras.ts';

/** Lists the buckets the requesting user owns; in sigv4 mode the root user (the administrator) sees them all. */
export const listBuckets: Handler = async (ctx) => {
  const buckets = await ctx.ns.listBuckets(ctx.identity.isRoot && ctx.access.enforced ? undefined : ctx.user);
  return {
    xml: elA('ListAllMyBucketsResult', { xmlns: S3_XMLNS },
      ownerXml(ctx.user),
      el('Buckets', buckets.map((b) => el('Bucket', el('Name', b.name), el('CreationDate', isoDate(b.createdAt)))))),
  };
};

export const createBucket: Handler = async (ctx) => {
  // x-amz-acl / x-amz-grant-* are judged before the body is read or anything is created.
  const acl = bucketAclFromHeaders(ctx);
  // A CreateBucketConfiguration body names a location; the gateway has one, so it only has to be well-formed.
  await readXmlBody(ctx.body(), 64 * 1024);
  await ctx.ns.createBucket(ctx.bucket, ctx.user, acl ? { acl } : {});
  return { headers: { Location: `/${ctx.bucket}` } };
};

export const deleteBucket: Handler = async (ctx) => {
  await ctx.ns.deleteBucket(ctx.bucket);
  return { status: 204 };
};

export const headBucket: Handler = async (ctx) => {
  await ctx.ns.getBucket(ctx.bucket);
  return { headers: { 'x-amz-bucket-region': ctx.settings.region } };
};

/** S3 answers an empty LocationConstraint for us-east-1. */
export const getBucketLocation: Handler = async (ctx) => {
  await ctx.ns.getBucket(ctx.bucket);
  const region = ctx.settings.region === 'us-east-1' ? '' : ctx.settings.region;
  return { xml: elA('LocationConstraint', { xmlns: S3_XMLNS }, region) };
};

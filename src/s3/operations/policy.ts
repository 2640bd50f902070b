// Bucket policy operations: Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus.
// The policy is stored as the client's text and answered as that text.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicyStatus.html
import { Readable } from 'node:stream';
import type { Handler } from '../context.ts';
import { S3Error } from '../errors.ts';
import { MAX_POLICY_BYTES, policyIsPublic, validatePolicy } from '../policy-doc.ts';
import { S3_XMLNS, el, elA } from '../xml/writer.ts';

/** Reads at most `limit` bytes of text; MalformedPolicy beyond it. */
async function readPolicyText(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new S3Error('MalformedPolicy', 'Policy exceeds the maximum allowed document size.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export const putBucketPolicy: Handler = async (ctx) => {
  await ctx.ns.getBucket(ctx.bucket);
  const text = await readPolicyText(ctx.body(), MAX_POLICY_BYTES);
  validatePolicy(text, ctx.bucket);
  await ctx.ns.updateBucketExtras(ctx.bucket, (extras) => ({ ...extras, policy: text }));
  return { status: 204 };
};

async function storedPolicy(ctx: Parameters<Handler>[0]): Promise<string> {
  const bucket = await ctx.ns.getBucket(ctx.bucket);
  if (bucket.extras.policy === undefined) throw new S3Error('NoSuchBucketPolicy', undefined, { BucketName: ctx.bucket });
  return bucket.extras.policy;
}

export const getBucketPolicy: Handler = async (ctx) => {
  const text = Buffer.from(await storedPolicy(ctx));
  return { headers: { 'Content-Type': 'application/json', 'Content-Length': text.length }, body: Readable.from([text]) };
};

export const deleteBucketPolicy: Handler = async (ctx) => {
  await ctx.ns.updateBucketExtras(ctx.bucket, (extras) => ({ ...extras, policy: undefined }));
  return { status: 204 };
};

export const getBucketPolicyStatus: Handler = async (ctx) => {
  const text = await storedPolicy(ctx);
  return { xml: elA('PolicyStatus', { xmlns: S3_XMLNS }, el('IsPublic', policyIsPublic(text))) };
};

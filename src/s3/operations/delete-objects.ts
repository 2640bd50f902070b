// DeleteObjects (POST /bucket?delete): up to 1000 keys in one request, each
// deleted on its own and answered on its own, so one bad key is an <Error> in
// the result, not a failed request. A missing key counts as deleted.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
// The body must carry an integrity check: S3 refuses the call without
// Content-MD5 or an x-amz-checksum-* header (or trailer), and verifies the one
// given (InvalidDigest / BadDigest; InvalidRequest for a malformed checksum).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { NULL_VERSION } from '../../meta/metadata-store.ts';
import { settleChecksum } from '../../namespace/body-checksum.ts';
import { createChecksum } from '../../util/checksums.ts';
import { mayAccessKey } from '../access-check.ts';
import type { Handler, RequestContext } from '../context.ts';
import { S3Error, S3_ERRORS, isS3Error } from '../errors.ts';
import { childrenOf, isTree, parseXml, textOf } from '../xml/parser.ts';
import { S3_XMLNS, el, elA, opt, type XmlElement } from '../xml/writer.ts';
import { requestChecksum } from './checksum-headers.ts';

/** "The request can contain a list of up to 1000 keys"; more is MalformedXML, as S3 answers. */
const MAX_KEYS = 1000;
/** 1000 keys of 1024 bytes, each character possibly written as a character reference, with room to spare. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Deletes in flight at once: enough to overlap storage round trips without flooding the lock table. */
const CONCURRENCY = 16;

interface Target {
  key: string;
  versionId?: string;
}

interface Outcome {
  target: Target;
  error?: { code: string; message: string };
}

async function readBody(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new S3Error('MalformedXML', `The XML you provided was larger than the maximum of ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads the body and checks it against the Content-MD5 / checksum the client sent (at least one is required). */
async function verifiedBody(ctx: RequestContext): Promise<Buffer> {
  const sent = requestChecksum(ctx);
  if (sent.checks.contentMd5 === undefined && sent.requested === undefined) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5 OR x-amz-checksum-*');
  }
  const raw = await readBody(sent.body());
  let computed: string | undefined;
  if (sent.checks.algorithm !== undefined && sent.checks.verified === undefined) {
    const checksum = createChecksum(sent.checks.algorithm);
    checksum.update(raw);
    computed = checksum.digest();
  }
  settleChecksum(sent.checks, {
    checksum: computed, md5Base64: () => createHash('md5').update(raw).digest('base64'), sha256Hex: () => createHash('sha256').update(raw).digest('hex'),
  });
  return raw;
}

function parseRequest(raw: Buffer): { quiet: boolean; targets: Target[] } {
  const tree = parseXml(raw.toString('utf8'));
  const root = tree.Delete;
  if (!isTree(root)) throw new S3Error('MalformedXML');
  const quietText = textOf(root.Quiet)?.trim().toLowerCase();
  if (quietText !== undefined && quietText !== 'true' && quietText !== 'false') throw new S3Error('MalformedXML');
  const objects = childrenOf(root, 'Object');
  // The schema needs at least one Object; S3 answers an empty list with MalformedXML too.
  if (objects.length === 0 || objects.length > MAX_KEYS) throw new S3Error('MalformedXML');
  const targets = objects.map((object): Target => {
    if (!isTree(object)) throw new S3Error('MalformedXML');
    const key = textOf(object.Key);
    if (key === undefined) throw new S3Error('MalformedXML');
    const versionId = textOf(object.VersionId);
    return versionId === undefined || versionId === '' ? { key } : { key, versionId };
  });
  return { quiet: quietText === 'true', targets };
}

async function deleteOne(ctx: RequestContext, target: Target): Promise<Outcome> {
  // Only the null version exists until versioning arrives (as DeleteObject's checkVersionId).
  if (target.versionId !== undefined && target.versionId !== NULL_VERSION) {
    return { target, error: { code: 'NoSuchVersion', message: S3_ERRORS.NoSuchVersion.message } };
  }
  // Each key is authorized on its own (sigv4 mode): a refused one is an AccessDenied entry, the others go on.
  if (!(await mayAccessKey(ctx, target.key, target.versionId))) {
    return { target, error: { code: 'AccessDenied', message: S3_ERRORS.AccessDenied.message } };
  }
  try {
    await ctx.ns.deleteObject(ctx.bucket, target.key);
    return { target };
  } catch (err) {
    if (isS3Error(err)) return { target, error: { code: err.code, message: err.message } };
    return { target, error: { code: 'InternalError', message: S3_ERRORS.InternalError.message } };
  }
}

/** Runs the deletes at most CONCURRENCY at a time; outcomes keep the request's order. */
async function deleteAll(ctx: RequestContext, targets: Target[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array<Outcome>(targets.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const i = next++;
      outcomes[i] = await deleteOne(ctx, targets[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, worker));
  return outcomes;
}

function resultXml(outcomes: Outcome[], quiet: boolean): XmlElement {
  const deleted = quiet ? [] : outcomes.filter((o) => o.error === undefined).map((o) =>
    el('Deleted', el('Key', o.target.key), opt('VersionId', o.target.versionId)));
  const errors = outcomes.flatMap((o) => o.error === undefined ? [] : [el('Error',
    el('Key', o.target.key), opt('VersionId', o.target.versionId), el('Code', o.error.code), el('Message', o.error.message))]);
  return elA('DeleteResult', { xmlns: S3_XMLNS }, deleted, errors);
}

export const deleteObjects: Handler = async (ctx) => {
  await ctx.ns.getBucket(ctx.bucket);
  const { quiet, targets } = parseRequest(await verifiedBody(ctx));
  return { xml: resultXml(await deleteAll(ctx, targets), quiet) };
};

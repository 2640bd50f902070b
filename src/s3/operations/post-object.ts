// POST Object: browser form uploads (multipart/form-data to the bucket URL).
// The form's policy and signature are verified by src/auth/post-policy.ts;
// the signer (or, for a form with neither policy nor signature, the anonymous
// caller) is then authorized as for PutObject of the form's key, the form's
// fields standing in for PutObject's headers (acl, Content-Type, x-amz-meta-*,
// ...), and the file is stored through the same write path as PutObject.
// https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-UsingHTTPPOST.html
import type { Identity } from '../../auth/authenticate.ts';
import { readPostObject, type PostObjectUpload } from '../../auth/post-policy.ts';
import type { WriteRequest } from '../../namespace/types.ts';
import { aclFromHeaders } from '../acl-model.ts';
import type { Handler, RequestContext, S3Result } from '../context.ts';
import { S3Error } from '../errors.ts';
import { el, elA } from '../xml/writer.ts';
import { quoteETag } from './common.ts';

/** The object headers S3 stores, taken from form fields of the same names. */
const STORED_FIELDS = ['content-type', 'content-encoding', 'content-disposition', 'content-language', 'cache-control', 'expires'];
const META_PREFIX = 'x-amz-meta-';
/** User metadata is limited to 2 KB (UsingMetadata.html), as on PutObject. */
const MAX_USER_METADATA_BYTES = 2048;

/** Reads a form field where PutObject reads a header: `acl` is x-amz-acl; other headers of the POST itself do not count. */
function fieldAsHeader(ctx: RequestContext, fields: ReadonlyMap<string, string>): (name: string) => string | undefined {
  return (name) => {
    if (name === 'x-amz-acl') return fields.get('acl');
    if (fields.has(name)) return fields.get(name);
    // Request-level keys (Referer, User-Agent) come from the request; object headers only from the form.
    return name.startsWith('x-amz-') || name.startsWith('content-') ? undefined : ctx.header(name);
  };
}

function contentMd5(fields: ReadonlyMap<string, string>): string | undefined {
  const value = fields.get('content-md5')?.trim();
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]{22}==$/.test(value)) throw new S3Error('InvalidDigest');
  return value;
}

function userMetadata(fields: ReadonlyMap<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  let bytes = 0;
  for (const [name, value] of fields) {
    if (!name.startsWith(META_PREFIX)) continue;
    out[name.slice(META_PREFIX.length)] = value;
    bytes += Buffer.byteLength(name) - META_PREFIX.length + Buffer.byteLength(value);
  }
  if (bytes > MAX_USER_METADATA_BYTES) throw new S3Error('MetadataTooLarge', undefined, { Size: String(bytes), MaxSizeAllowed: String(MAX_USER_METADATA_BYTES) });
  return out;
}

/** Authorizes the upload for the form's signer, as PutObject of its key; builds what the write stores. */
async function planWrite(ctx: RequestContext, upload: PostObjectUpload, identity: Identity, bucketOwner: string): Promise<Omit<WriteRequest, 'body'>> {
  const header = fieldAsHeader(ctx, upload.fields);
  const conditionKeys: Record<string, string> = { 's3:authType': 'POST' };
  if (upload.signatureVersion !== undefined) conditionKeys['s3:signatureversion'] = upload.signatureVersion === 4 ? 'AWS4-HMAC-SHA256' : 'AWS';
  await ctx.access.require(ctx.accessAsk('PutObject', upload.key, { identity, header, conditionKeys, query: new URLSearchParams() }));
  const headers: Record<string, string> = {};
  for (const name of STORED_FIELDS) {
    const value = upload.fields.get(name);
    if (value !== undefined) headers[name] = value;
  }
  const acl = aclFromHeaders(header, identity.user, bucketOwner, 'object');
  return {
    bucket: ctx.bucket, key: upload.key, user: identity.user, headers, userMetadata: userMetadata(upload.fields),
    extras: acl ? { acl } : {}, signal: ctx.signal, checksum: { contentMd5: contentMd5(upload.fields) },
  };
}

/** success_action_redirect (303 to it, with bucket, key and etag), else success_action_status: 200, 201 (PostResponse) or 204. */
function answer(ctx: RequestContext, fields: ReadonlyMap<string, string>, key: string, etag: string): S3Result {
  const quoted = quoteETag(etag);
  const host = ctx.header('host') ?? 'localhost';
  const location = `http://${host}/${encodeURIComponent(ctx.bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const headers = { ETag: quoted, Location: location };
  const redirect = fields.get('success_action_redirect') ?? fields.get('redirect');
  if (redirect !== undefined && redirect !== '') {
    const query = new URLSearchParams({ bucket: ctx.bucket, key, etag: quoted }).toString();
    return { status: 303, headers: { ...headers, Location: `${redirect}${redirect.includes('?') ? '&' : '?'}${query}` } };
  }
  const status = fields.get('success_action_status');
  if (status === '200') return { status: 200, headers };
  if (status === '201') {
    return {
      status: 201, headers,
      xml: elA('PostResponse', {}, el('Location', location), el('Bucket', ctx.bucket), el('Key', key), el('ETag', quoted)),
    };
  }
  return { status: 204, headers };
}

export const postObject: Handler = async (ctx) => {
  // NoSuchBucket before the form is read; bucket-owner-* ACLs need the owner.
  const bucket = await ctx.ns.getBucket(ctx.bucket);
  const upload = await readPostObject({ bucket: ctx.bucket, headers: ctx.headers, body: ctx.body() }, {
    lookupSecret: ctx.authenticator.lookupSecret, region: ctx.settings.region,
  });
  let plan: Omit<WriteRequest, 'body'>;
  try {
    // The form's signer; a form with neither policy nor signature is the request's own caller (anonymous, for a browser).
    const identity = upload.accessKeyId === undefined ? ctx.identity : await ctx.authenticator.identityOf(upload.accessKeyId, undefined);
    plan = await planWrite(ctx, upload, identity, bucket.owner);
  } catch (err) {
    upload.file.destroy();
    throw err;
  }
  const row = await ctx.ns.putObject({ ...plan, body: () => upload.file });
  return answer(ctx, upload.fields, upload.key, row.etag);
};

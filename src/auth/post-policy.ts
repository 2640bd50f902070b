// Browser-based uploads (POST Object with an HTML form,
// https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html and
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-UsingHTTPPOST.html):
// reads the multipart form, verifies the policy's signature (SigV4:
// x-amz-algorithm / x-amz-credential / x-amz-date / x-amz-signature, the
// signature being hex HMAC-SHA256 of the base64 policy under the scope's
// signing key; SigV2: AWSAccessKeyId / signature, base64 HMAC-SHA1 of the
// policy), its expiration and every condition, and returns the fields and
// the file as a stream whose size is held to content-length-range.
// A form with neither policy nor signature is anonymous: whether the bucket
// accepts that is for the caller's access control to decide.
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { S3Error } from '../s3/errors.ts';
import { invalidAccessKey, parseAmzDate, signatureMismatch } from './auth-errors.ts';
import { readPostForm } from './post-form.ts';
import { checkPolicy, parsePolicy } from './post-policy-doc.ts';
import { deriveSigningKey, signaturesEqual } from './signing-key.ts';
import { ALGORITHM, parseCredential } from './sigv4-parse.ts';
import type { VerifyOptions } from './sigv4.ts';

export interface PostObjectRequest {
  /** The bucket the URL names (path-style) or the Host header names (virtual-hosted). */
  bucket: string;
  /** Request headers: content-type carries the multipart boundary. */
  headers: IncomingHttpHeaders;
  /** The raw request body. */
  body: Readable;
}

export interface PostObjectOptions extends VerifyOptions {
  /** Limit on the fields before the file (MaxPostPreDataLengthExceededError). */
  maxFieldBytes?: number;
}

export interface PostObjectUpload {
  /** The verified signer; undefined for an anonymous form (no policy, no signature). */
  accessKeyId: string | undefined;
  signatureVersion: 4 | 2 | undefined;
  /** The object key, with ${filename} replaced by the file's name. */
  key: string;
  /** The fields before the file by lower-cased name (Content-Type, acl, x-amz-meta-*, success_action_status, ...). */
  fields: ReadonlyMap<string, string>;
  filename: string;
  /** The file part's own Content-Type (the `Content-Type` field, when sent, is what S3 stores). */
  fileMimeType: string;
  /** The file data; fails with EntityTooLarge / EntityTooSmall when it breaks content-length-range. */
  file: Readable;
}

function missingField(name: string): S3Error {
  return new S3Error('InvalidArgument',
    `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`,
    { ArgumentName: name, ArgumentValue: '' });
}

/** Holds the file to content-length-range as it streams, since its size is unknown until the end. */
class SizeRange extends Transform {
  #seen = 0;
  readonly #min: number;
  readonly #max: number;

  constructor(min: number, max: number) {
    super();
    this.#min = min;
    this.#max = max;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#max) {
      callback(new S3Error('EntityTooLarge', undefined, { ProposedSize: String(this.#seen), MaxSizeAllowed: String(this.#max) }));
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#seen < this.#min) {
      callback(new S3Error('EntityTooSmall', undefined, { ProposedSize: String(this.#seen), MinSizeAllowed: String(this.#min) }));
      return;
    }
    callback();
  }
}

async function verifyV4(fields: ReadonlyMap<string, string>, policy: string, options: PostObjectOptions): Promise<string> {
  const algorithm = fields.get('x-amz-algorithm');
  const credentialText = fields.get('x-amz-credential');
  const amzDate = fields.get('x-amz-date');
  const signature = fields.get('x-amz-signature') ?? '';
  if (algorithm === undefined) throw missingField('X-Amz-Algorithm');
  if (credentialText === undefined) throw missingField('X-Amz-Credential');
  if (amzDate === undefined) throw missingField('X-Amz-Date');
  if (algorithm !== ALGORITHM) {
    throw new S3Error('InvalidArgument', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"', { ArgumentName: 'x-amz-algorithm', ArgumentValue: algorithm });
  }
  const credential = parseCredential(credentialText, (message, extra) => new S3Error('InvalidArgument',
    `Error parsing the X-Amz-Credential parameter; ${message}`, { ArgumentName: 'x-amz-credential', ArgumentValue: credentialText, ...extra }), options.region);
  if (parseAmzDate(amzDate) === undefined || credential.date !== amzDate.slice(0, 8)) {
    throw new S3Error('InvalidArgument', 'X-Amz-Date must be in the ISO8601 Long Format and match the credential date.',
      { ArgumentName: 'x-amz-date', ArgumentValue: amzDate });
  }
  const secret = await options.lookupSecret(credential.accessKeyId);
  if (secret === undefined) throw invalidAccessKey(credential.accessKeyId);
  const expected = deriveSigningKey(secret, credential.date, credential.region).signHex(policy);
  if (!signaturesEqual(expected, signature)) {
    throw signatureMismatch({ accessKeyId: credential.accessKeyId, stringToSign: policy, signatureProvided: signature });
  }
  return credential.accessKeyId;
}

async function verifyV2(fields: ReadonlyMap<string, string>, policy: string, options: PostObjectOptions): Promise<string> {
  const accessKeyId = fields.get('awsaccesskeyid');
  const signature = fields.get('signature');
  if (accessKeyId === undefined) throw missingField('AWSAccessKeyId');
  if (signature === undefined) throw missingField('Signature');
  const secret = await options.lookupSecret(accessKeyId);
  if (secret === undefined) throw invalidAccessKey(accessKeyId);
  const expected = createHmac('sha1', secret).update(policy, 'utf8').digest('base64');
  if (!signaturesEqual(expected, signature)) throw signatureMismatch({ accessKeyId, stringToSign: policy, signatureProvided: signature });
  return accessKeyId;
}

/**
 * Reads and authenticates a POST Object form; rejects with the S3Error S3
 * answers. Refusals found in the fields come before any file data is consumed.
 */
export async function readPostObject(req: PostObjectRequest, options: PostObjectOptions): Promise<PostObjectUpload> {
  const form = await readPostForm(req.headers, req.body, options.maxFieldBytes);
  try {
    const fields = new Map<string, string>();
    for (const [name, value] of form.fields) {
      const lower = name.toLowerCase();
      // One value per name: what the policy checks must be what is stored.
      if (fields.has(lower)) {
        throw new S3Error('InvalidArgument', `Bucket POST contains the field '${name}' more than once.`, { ArgumentName: name, ArgumentValue: value });
      }
      fields.set(lower, value);
    }
    const rawKey = fields.get('key');
    if (rawKey === undefined) throw missingField('key');
    const key = rawKey.replaceAll('${filename}', form.filename);
    fields.set('key', key);
    const formBucket = fields.get('bucket');
    if (formBucket !== undefined && formBucket !== req.bucket) {
      throw new S3Error('InvalidArgument', 'The bucket POST field does not match the bucket the form was posted to.',
        { ArgumentName: 'bucket', ArgumentValue: formBucket });
    }
    const policy = fields.get('policy');
    const v4 = fields.has('x-amz-signature') || fields.has('x-amz-algorithm') || fields.has('x-amz-credential');
    const v2 = fields.has('signature') || fields.has('awsaccesskeyid');
    if (policy === undefined) {
      if (v4 || v2) throw missingField('Policy');
      return { accessKeyId: undefined, signatureVersion: undefined, key, fields, filename: form.filename, fileMimeType: form.fileMimeType, file: form.file };
    }
    if (!v4 && !v2) throw missingField('AWSAccessKeyId');
    const accessKeyId = v4 ? await verifyV4(fields, policy, options) : await verifyV2(fields, policy, options);
    const range = checkPolicy(parsePolicy(policy), { fields, bucket: req.bucket, now: options.now ?? new Date() });
    let file = form.file;
    if (file.errored !== null) throw file.errored;
    if (range !== undefined) {
      const limiter = new SizeRange(range.min, range.max);
      // pipeline carries an error of the form (a truncated body) on to the limiter, which the caller reads.
      pipeline(file, limiter, () => {});
      file = limiter;
    }
    return { accessKeyId, signatureVersion: v4 ? 4 : 2, key, fields, filename: form.filename, fileMimeType: form.fileMimeType, file };
  } catch (err) {
    form.file.destroy();
    throw err;
  }
}

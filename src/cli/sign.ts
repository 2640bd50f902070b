// AWS Signature Version 4 for the CLI's own requests (FS and admin APIs), so
// it works against a server in sigv4 mode: keys from STRATA_ACCESS_KEY /
// STRATA_SECRET_KEY, else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; service
// s3, region STRATA_REGION or us-east-1. Signed with @smithy/signature-v4
// (the AWS SDK's own signer, not the server's verifier code, so the two check
// each other). Bodies are streamed, so the payload is UNSIGNED-PAYLOAD.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigningKeys {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** The keys the environment gives, or undefined when it names none (the CLI then uses simple auth's --user). */
export function keysFromEnv(env: NodeJS.ProcessEnv): SigningKeys | undefined {
  const region = env.STRATA_REGION || 'us-east-1';
  if (env.STRATA_ACCESS_KEY && env.STRATA_SECRET_KEY) return { accessKeyId: env.STRATA_ACCESS_KEY, secretAccessKey: env.STRATA_SECRET_KEY, region };
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, region };
  return undefined;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): string | Buffer {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 (or HMAC-SHA256 with a key) over node:crypto, in the shape @smithy/signature-v4 asks for. */
class NodeSha256 {
  #hash: Hash | Hmac;
  readonly #secret: SourceData | undefined;
  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = this.#fresh();
  }
  #fresh(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.#secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    this.#hash = this.#fresh();
  }
}

/** The URL's query as the signer takes it: decoded names and values, repeats as lists. */
function queryOf(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

/** `headers` plus host, x-amz-date, x-amz-content-sha256 and the Authorization header for one request. */
export async function signRequest(keys: SigningKeys, method: string, url: URL, headers: OutgoingHttpHeaders): Promise<OutgoingHttpHeaders> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey },
    region: keys.region, service: 's3', sha256: NodeSha256, uriEscapePath: false,
  });
  const plain: Record<string, string> = { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) plain[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : String(value);
  }
  const signed = await signer.sign({
    method, protocol: url.protocol, hostname: url.hostname, port: url.port === '' ? undefined : Number(url.port),
    path: url.pathname, query: queryOf(url), headers: plain,
  });
  return signed.headers;
}

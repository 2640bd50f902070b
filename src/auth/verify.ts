// The one entry point the server calls to authenticate an S3 request: it
// tells which mechanism the request uses (SigV4 header, SigV4 presigned URL,
// SigV2 header, SigV2 query, or none) and runs its verifier. Refusals are the
// S3Errors Amazon S3 answers with; a request with no credential at all is
// anonymous (S3 then decides by ACL and policy, not here).
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html)
import { S3Error } from '../s3/errors.ts';
import { verifySigV2Header, verifySigV2Query, type SigV2Options, type SigV2Result } from './sigv2.ts';
import { firstHeader, verifySigV4HeaderNow, verifySigV4Query, type SignedRequest, type SigV4Result } from './sigv4.ts';

export interface AnonymousResult {
  version: 'none';
}

export type AuthResult = SigV4Result | SigV2Result | AnonymousResult;

const ONE_MECHANISM = 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, '
  + 'Signature query string parameter or the Authorization header should be specified';

/** Authenticates a request; rejects with an S3Error when it carries a credential that does not verify. */
export async function verifyRequest(req: SignedRequest, options: SigV2Options): Promise<AuthResult> {
  return await verifyRequestNow(req, options);
}

/**
 * verifyRequest, synchronous for a SigV4 header whose secret is cached (it
 * throws then, instead of rejecting): what the server calls on every request.
 */
export function verifyRequestNow(req: SignedRequest, options: SigV2Options): AuthResult | Promise<AuthResult> {
  const authorization = firstHeader(req, 'authorization') ?? '';
  // Most requests have no query at all: no URLSearchParams for them.
  const query = req.rawQuery === '' ? undefined : new URLSearchParams(req.rawQuery);
  const v4Query = query?.has('X-Amz-Algorithm') === true;
  const v2Query = query?.has('Signature') === true;
  if (authorization !== '') {
    const invalid = (message: string): S3Error =>
      new S3Error('InvalidArgument', message, { ArgumentName: 'Authorization', ArgumentValue: authorization });
    if (v4Query || v2Query) throw invalid(ONE_MECHANISM);
    if (authorization.startsWith('AWS4-HMAC-SHA256 ')) return verifySigV4HeaderNow(req, options);
    if (authorization.startsWith('AWS ')) return verifySigV2Header(req, options);
    throw invalid(authorization.includes(' ') ? 'Unsupported Authorization Type' : 'Authorization header is invalid -- one and only one \' \' (space) required');
  }
  if (v4Query && v2Query) throw new S3Error('InvalidArgument', ONE_MECHANISM, { ArgumentName: 'Authorization' });
  if (v4Query) return verifySigV4Query(req, options);
  if (v2Query) return verifySigV2Query(req, options);
  return { version: 'none' };
}

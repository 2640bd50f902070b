// Flexible checksums through boto3/s3transfer (test/e2e/boto3_checksums.py):
// default CRC32s, ChecksumAlgorithm on put_object and multipart, upload_fileobj
// with COMPOSITE and FULL_OBJECT checksums, BadDigest. Skipped without boto3.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { hasBoto3, startTestServer, type TestServer } from './harness.ts';

const script = new URL('./boto3_checksums.py', import.meta.url).pathname;

describe('boto3 checksums', { skip: hasBoto3() ? false : 'python3 with boto3 is not installed' }, () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(async () => { await s.stop(); });

  it('puts, uploads in parts and reads back with checksums, unchanged client code', async () => {
    const { stdout } = await promisify(execFile)('python3', [script, s.url, 'pyck'], { timeout: 120_000 });
    assert.match(stdout, /boto3 checksums ok/);
  });
});

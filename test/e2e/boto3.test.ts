// The spec's Python walkthrough through boto3, when python3 has boto3; both at
// the root endpoint and under the /api/v1/s3 prefix.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { hasBoto3, startTestServer, type TestServer } from './harness.ts';

const script = new URL('./boto3_flow.py', import.meta.url).pathname;

describe('boto3', { skip: hasBoto3() ? false : 'python3 with boto3 is not installed' }, () => {
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(async () => { await s.stop(); });

  for (const [name, path, user] of [['at the root', '', 'pyuser'], ['under /api/v1/s3', '/api/v1/s3', 'pyuser2']]) {
    it(`runs the spec's flow ${name}`, async () => {
      const { stdout } = await promisify(execFile)('python3', [script, `${s.url}${path}`, user], { timeout: 120_000 });
      assert.match(stdout, /boto3 flow ok/);
    });
  }
});

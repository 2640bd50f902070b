// Sealing of secrets kept in the metadata store (access keys' secrets, secret
// mount options). SigV4 needs the secret itself to recompute a signature, so it
// cannot be hashed; it is encrypted with AES-256-GCM under a master key that
// lives outside the database (a file, or an env var), so a leaked database
// file alone does not reveal any secret.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes');
    this.#key = key;
  }

  /**
   * The master key from `base64Key` when given, else from `file`, creating
   * the file (mode 0600) with a fresh random key on first use.
   */
  static async open(options: { file: string; base64Key?: string }): Promise<SecretBox> {
    if (options.base64Key) return new SecretBox(Buffer.from(options.base64Key, 'base64'));
    try {
      return new SecretBox(Buffer.from((await readFile(options.file, 'utf8')).trim(), 'base64'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const key = randomBytes(32);
    await mkdir(dirname(options.file), { recursive: true });
    // 'wx': two processes starting at once must not each write a different key.
    try {
      await writeFile(options.file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      return new SecretBox(key);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return new SecretBox(Buffer.from((await readFile(options.file, 'utf8')).trim(), 'base64'));
    }
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  /** Throws when the text was not sealed with this key (or was altered). */
  unseal(sealed: string): string {
    const [version, payload] = sealed.split(':', 2);
    if (version !== VERSION || payload === undefined) throw new Error('not a sealed secret');
    const raw = Buffer.from(payload, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}

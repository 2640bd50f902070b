// The credential store: users and their access keys, kept in the metadata
// store with secrets sealed by a SecretBox. Used by sigv4 verification (lookup)
// and managed through the admin API and `strata user`.
import { randomBytes } from 'node:crypto';
import { MetaConflictError, MetaNotFoundError, type MetadataStore } from '../meta/metadata-store.ts';
import type { SecretBox } from './secrets.ts';

export interface IssuedKey {
  user: string;
  accessKeyId: string;
  secretKey: string;
}

export interface UserSummary {
  name: string;
  isRoot: boolean;
  created: number;
  accessKeyIds: string[];
}

export class CredentialError extends Error {
  readonly code: 'USER_EXISTS' | 'NO_SUCH_USER' | 'KEY_EXISTS' | 'INVALID';
  constructor(code: CredentialError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const USER_NAME = /^[A-Za-z0-9_.@+=,-]{1,64}$/;

/** 20 characters, as AWS access key ids are; 'SK' marks Strata-issued ones. */
export function newAccessKeyId(): string {
  const bytes = randomBytes(18);
  let id = 'SK';
  for (const b of bytes) id += BASE32[b & 31];
  return id;
}

/** 40 characters of base64url: 240 bits. */
export function newSecretKey(): string {
  return randomBytes(30).toString('base64url');
}

export class CredentialStore {
  readonly #store: MetadataStore;
  readonly #box: SecretBox;

  constructor(store: MetadataStore, box: SecretBox) {
    this.#store = store;
    this.#box = box;
  }

  /** Creates a user with one access key, generating what is not given. */
  async addUser(name: string, options: { isRoot?: boolean; accessKeyId?: string; secretKey?: string } = {}): Promise<IssuedKey> {
    if (!USER_NAME.test(name)) throw new CredentialError('INVALID', `invalid user name "${name}"`);
    const accessKeyId = options.accessKeyId ?? newAccessKeyId();
    const secretKey = options.secretKey ?? newSecretKey();
    validateKeyPair(accessKeyId, secretKey);
    if (await this.#store.getAccessKey(accessKeyId)) throw new CredentialError('KEY_EXISTS', `access key ${accessKeyId} is taken`);
    try {
      await this.#store.createUser({ name, isRoot: options.isRoot ?? false, created: Date.now() });
    } catch (err) {
      if (err instanceof MetaConflictError) throw new CredentialError('USER_EXISTS', `user ${name} already exists`);
      throw err;
    }
    await this.#addKey(name, accessKeyId, secretKey);
    return { user: name, accessKeyId, secretKey };
  }

  async listUsers(): Promise<UserSummary[]> {
    const users = await this.#store.listUsers();
    return Promise.all(users.map(async (u) => ({
      ...u,
      accessKeyIds: (await this.#store.listAccessKeys(u.name)).map((k) => k.accessKeyId),
    })));
  }

  async removeUser(name: string): Promise<void> {
    try {
      await this.#store.deleteUser(name);
    } catch (err) {
      if (err instanceof MetaNotFoundError) throw new CredentialError('NO_SUCH_USER', `no user ${name}`);
      throw err;
    }
  }

  /** Issues a new key pair for the user and retires the old ones. */
  async rotate(name: string, options: { accessKeyId?: string; secretKey?: string } = {}): Promise<IssuedKey> {
    if (!(await this.#store.getUser(name))) throw new CredentialError('NO_SUCH_USER', `no user ${name}`);
    const old = await this.#store.listAccessKeys(name);
    const accessKeyId = options.accessKeyId ?? newAccessKeyId();
    const secretKey = options.secretKey ?? newSecretKey();
    validateKeyPair(accessKeyId, secretKey);
    await this.#addKey(name, accessKeyId, secretKey);
    for (const key of old) if (key.accessKeyId !== accessKeyId) await this.#store.deleteAccessKey(key.accessKeyId);
    return { user: name, accessKeyId, secretKey };
  }

  /** The user and secret behind an access key id, for signature verification. */
  async lookup(accessKeyId: string): Promise<{ user: string; isRoot: boolean; secretKey: string } | undefined> {
    const key = await this.#store.getAccessKey(accessKeyId);
    if (!key) return undefined;
    const user = await this.#store.getUser(key.user);
    if (!user) return undefined;
    return { user: user.name, isRoot: user.isRoot, secretKey: this.#box.unseal(key.sealedSecret) };
  }

  async isRoot(name: string): Promise<boolean> {
    return (await this.#store.getUser(name))?.isRoot ?? false;
  }

  /**
   * Makes the configured root credentials valid: creates the `root` user on
   * first start, and re-keys it when the configured pair changed.
   */
  async bootstrapRoot(accessKeyId: string, secretKey: string, name = 'root'): Promise<void> {
    validateKeyPair(accessKeyId, secretKey);
    const existing = await this.#store.getAccessKey(accessKeyId);
    if (existing) {
      if (existing.user !== name) throw new CredentialError('KEY_EXISTS', `root access key ${accessKeyId} belongs to user ${existing.user}`);
      if (this.#box.unseal(existing.sealedSecret) === secretKey) return;
      await this.#store.deleteAccessKey(accessKeyId);
      await this.#addKey(name, accessKeyId, secretKey);
      return;
    }
    if (!(await this.#store.getUser(name))) await this.#store.createUser({ name, isRoot: true, created: Date.now() });
    await this.rotate(name, { accessKeyId, secretKey });
  }

  async #addKey(user: string, accessKeyId: string, secretKey: string): Promise<void> {
    try {
      await this.#store.addAccessKey({ accessKeyId, user, sealedSecret: this.#box.seal(secretKey), created: Date.now() });
    } catch (err) {
      if (err instanceof MetaConflictError) throw new CredentialError('KEY_EXISTS', `access key ${accessKeyId} is taken`);
      throw err;
    }
  }
}

function validateKeyPair(accessKeyId: string, secretKey: string): void {
  if (!/^[A-Za-z0-9+/=_.-]{3,128}$/.test(accessKeyId)) throw new CredentialError('INVALID', 'an access key id is 3-128 characters of [A-Za-z0-9+/=_.-]');
  if (secretKey.length < 8 || secretKey.length > 256) throw new CredentialError('INVALID', 'a secret key is 8-256 characters');
}

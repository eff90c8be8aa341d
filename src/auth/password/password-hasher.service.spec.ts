import { pbkdf2Sync } from 'node:crypto';
import type { ConfigType } from '@nestjs/config';
import { hash as argon2Hash } from '@node-rs/argon2';
import { authConfig, MIN_PBKDF2_ITERATIONS } from '../../config/auth.config';
import { AuthErrorCode, AuthException } from '../auth.exception';
import { formatPbkdf2, parsePasswordHash } from './password-hash.format';
import { PasswordHasher } from './password-hasher.service';

type AuthSettings = ConfigType<typeof authConfig>;

function settings(overrides: Partial<AuthSettings> = {}): AuthSettings {
  return {
    jwtSecret: undefined,
    jwtIssuer: 'sentinel',
    jwtAudience: 'sentinel-api',
    sessionTtlHours: 24,
    sessionIdleTimeoutMinutes: 30,
    lockout: {
      maxFailedAttempts: 5,
      maxFailedAttemptsPerAccount: 50,
      lockoutMinutes: 15,
      maxLockoutMinutes: 240,
      failureResetMinutes: 60,
      permanentLockoutAfter: 0,
    },
    recentAuthMinutes: 5,
    sessionMaxPerUser: 10,
    adminUsername: 'admin',
    passwordHashAlgorithm: 'pbkdf2',
    pbkdf2Iterations: MIN_PBKDF2_ITERATIONS,
    passwordHashConcurrency: 2,
    loginRateLimitPerMinute: 20,
    mfaRequiredRoles: [],
    adminInitialPassword: undefined,
    ...overrides,
  };
}

const ARGON2ID_OWASP_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';
const PASSWORD = 'correct horse battery staple';

describe('PasswordHasher', () => {
  const pbkdf2Hasher = new PasswordHasher(settings());
  const argon2Hasher = new PasswordHasher(settings({ passwordHashAlgorithm: 'argon2id' }));
  let pbkdf2Stored: string;
  let argon2Stored: string;

  beforeAll(async () => {
    [pbkdf2Stored, argon2Stored] = await Promise.all([pbkdf2Hasher.hash(PASSWORD), argon2Hasher.hash(PASSWORD)]);
  });

  describe('PBKDF2-HMAC-SHA256', () => {
    it('stores the iterations, a 16-byte salt and a 32-byte key that plain PBKDF2 reproduces', () => {
      expect(pbkdf2Stored).toMatch(/^pbkdf2-sha256\$i=100000\$/);
      const parsed = parsePasswordHash(pbkdf2Stored);
      if (parsed?.algorithm !== 'pbkdf2') throw new Error(`not a PBKDF2 hash: ${pbkdf2Stored}`);
      expect(parsed.salt).toHaveLength(16);
      expect(parsed.hash).toHaveLength(32);
      expect(pbkdf2Sync(PASSWORD, parsed.salt, MIN_PBKDF2_ITERATIONS, 32, 'sha256').equals(parsed.hash)).toBe(true);
    });

    it('verifies the right password and refuses a wrong one', async () => {
      await expect(pbkdf2Hasher.verify(PASSWORD, pbkdf2Stored)).resolves.toBe(true);
      await expect(pbkdf2Hasher.verify(`${PASSWORD}!`, pbkdf2Stored)).resolves.toBe(false);
      await expect(pbkdf2Hasher.verify(PASSWORD.toUpperCase(), pbkdf2Stored)).resolves.toBe(false);
    });

    it('verifies a legacy hash with fewer iterations than configured (it is upgraded at login)', async () => {
      const salt = Buffer.from('legacy-salt-0001');
      const legacy = formatPbkdf2(1000, salt, pbkdf2Sync(PASSWORD, salt, 1000, 32, 'sha256'));
      await expect(pbkdf2Hasher.verify(PASSWORD, legacy)).resolves.toBe(true);
      await expect(pbkdf2Hasher.verify('wrong password', legacy)).resolves.toBe(false);
      expect(pbkdf2Hasher.needsRehash(legacy)).toBe(true);
    });

    it('salts every hash anew', async () => {
      const again = await pbkdf2Hasher.hash(PASSWORD);
      expect(again).not.toBe(pbkdf2Stored);
      await expect(pbkdf2Hasher.verify(PASSWORD, again)).resolves.toBe(true);
    });
  });

  describe('argon2id', () => {
    it("hashes with OWASP's parameters and verifies the right password only", async () => {
      expect(argon2Stored.startsWith(ARGON2ID_OWASP_PREFIX)).toBe(true);
      await expect(argon2Hasher.verify(PASSWORD, argon2Stored)).resolves.toBe(true);
      await expect(argon2Hasher.verify(`${PASSWORD}!`, argon2Stored)).resolves.toBe(false);
    });

    it('verifies hashes of either algorithm whatever the configured one, so old hashes keep working', async () => {
      await expect(argon2Hasher.verify(PASSWORD, pbkdf2Stored)).resolves.toBe(true);
      await expect(pbkdf2Hasher.verify(PASSWORD, argon2Stored)).resolves.toBe(true);
    });
  });

  describe('needsRehash', () => {
    it('asks for a rehash of a PBKDF2 hash with fewer iterations than configured', () => {
      const stronger = new PasswordHasher(settings({ pbkdf2Iterations: 200_000 }));
      expect(stronger.needsRehash(pbkdf2Stored)).toBe(true);
      expect(pbkdf2Hasher.needsRehash(pbkdf2Stored)).toBe(false);
    });

    it('asks for a rehash of a hash made with the other algorithm', () => {
      expect(argon2Hasher.needsRehash(pbkdf2Stored)).toBe(true);
      expect(pbkdf2Hasher.needsRehash(argon2Stored)).toBe(true);
      expect(argon2Hasher.needsRehash(argon2Stored)).toBe(false);
    });

    it('asks for a rehash of an argon2id hash with weaker parameters', async () => {
      const weak = await argon2Hash(PASSWORD, { memoryCost: 8192, timeCost: 1, parallelism: 1 });
      expect(argon2Hasher.needsRehash(weak)).toBe(true);
    });

    it('asks for a rehash of anything it cannot read', () => {
      expect(pbkdf2Hasher.needsRehash('admin123')).toBe(true);
    });
  });

  describe('a stored hash that was tampered with', () => {
    /** Changes one character inside the final (hash) segment; not its last one, whose low bits may be padding. */
    function changeHashCharacter(stored: string): string {
      const at = stored.lastIndexOf('$') + 5;
      return `${stored.slice(0, at)}${stored[at] === 'A' ? 'B' : 'A'}${stored.slice(at + 1)}`;
    }

    it.each([
      ['a changed PBKDF2 key', () => changeHashCharacter(pbkdf2Stored)],
      [
        'a changed PBKDF2 salt',
        () => pbkdf2Stored.replace(/\$i=(\d+)\$(.)/, (_m, i: string, c: string) => `$i=${i}$${c === 'A' ? 'B' : 'A'}`),
      ],
      ['fewer PBKDF2 iterations', () => pbkdf2Stored.replace('$i=100000$', '$i=99999$')],
      ['an empty PBKDF2 key', () => pbkdf2Stored.replace(/\$[^$]+$/, '$=')],
      ['zero PBKDF2 iterations', () => pbkdf2Stored.replace('$i=100000$', '$i=0$')],
      ['an iteration count pbkdf2 cannot take', () => pbkdf2Stored.replace('$i=100000$', '$i=99999999999$')],
      ['a changed argon2id hash', () => changeHashCharacter(argon2Stored)],
      ['weaker argon2id parameters', () => argon2Stored.replace('m=19456', 'm=8192')],
      ['a truncated argon2id hash', () => argon2Stored.replace(/\$[^$]+\$[^$]+$/, '$AAAA$BBBB')],
      ['plaintext', () => PASSWORD],
      ['an empty string', () => ''],
    ])('never verifies with %s, and does not throw', async (_label, tamper) => {
      const stored = tamper();
      await expect(pbkdf2Hasher.verify(PASSWORD, stored)).resolves.toBe(false);
      await expect(argon2Hasher.verify(PASSWORD, stored)).resolves.toBe(false);
    });
  });

  it('verifyNothing returns false, whatever the password', async () => {
    await expect(pbkdf2Hasher.verifyNothing(PASSWORD)).resolves.toBe(false);
    await expect(pbkdf2Hasher.verifyNothing('')).resolves.toBe(false);
  });

  describe('under a flood', () => {
    // One slot and 32 queued per slot: the 34th concurrent hash finds the queue full.
    const busy = () => new PasswordHasher(settings({ passwordHashConcurrency: 1 }));
    const occupy = (hasher: PasswordHasher) =>
      Array.from({ length: 33 }, (_unused, index) => hasher.hash(`queued password ${index}`));

    it('sheds work beyond the queue with a ServerBusy AuthException, and serves what it queued', async () => {
      const hasher = busy();
      const admitted = occupy(hasher);
      const shed = hasher.hash('one too many');
      await expect(shed).rejects.toBeInstanceOf(AuthException);
      await expect(shed).rejects.toMatchObject({ code: AuthErrorCode.ServerBusy, status: 503 });
      const hashes = await Promise.all(admitted);
      expect(new Set(hashes).size).toBe(33);
      await expect(hasher.verify('queued password 7', hashes[7])).resolves.toBe(true);
    });

    it('recovers verifyNothing once the flood is over, after shedding it', async () => {
      const hasher = busy();
      const admitted = occupy(hasher);
      await expect(hasher.verifyNothing(PASSWORD)).rejects.toMatchObject({ code: AuthErrorCode.ServerBusy });
      await Promise.all(admitted);
      await expect(hasher.verifyNothing(PASSWORD)).resolves.toBe(false);
    });
  });
});

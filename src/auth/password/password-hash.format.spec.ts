import { randomBytes } from 'node:crypto';
import { formatPbkdf2, parsePasswordHash } from './password-hash.format';

describe('password hash format', () => {
  const salt = randomBytes(16);
  const hash = randomBytes(32);

  it('writes PBKDF2 as one self-describing string and reads it back', () => {
    const stored = formatPbkdf2(600_000, salt, hash);
    expect(stored).toBe(`pbkdf2-sha256$i=600000$${salt.toString('base64')}$${hash.toString('base64')}`);
    expect(parsePasswordHash(stored)).toEqual({ algorithm: 'pbkdf2', iterations: 600_000, salt, hash });
  });

  it('reads the argon2id PHC string with its cost parameters', () => {
    const encoded = '$argon2id$v=19$m=19456,t=2,p=1$jiiWnQQObEpsxlpjkKYzqQ$8Hn7+dw3rmnk4nl6WjahcAnsYxGs4FStjIAOiC7zHQ8';
    expect(parsePasswordHash(encoded)).toEqual({
      algorithm: 'argon2id',
      encoded,
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    });
  });

  it.each([
    ['an empty string', ''],
    ['a plaintext password', 'admin123'],
    ['bcrypt', '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW'],
    ['another PBKDF2 digest', `pbkdf2-sha1$i=100000$${salt.toString('base64')}$${hash.toString('base64')}`],
    ['a non-numeric iteration count', `pbkdf2-sha256$i=many$${salt.toString('base64')}$${hash.toString('base64')}`],
    ['zero iterations', `pbkdf2-sha256$i=0$${salt.toString('base64')}$${hash.toString('base64')}`],
    [
      'more iterations than pbkdf2 accepts',
      `pbkdf2-sha256$i=99999999999$${salt.toString('base64')}$${hash.toString('base64')}`,
    ],
    ['a missing hash', `pbkdf2-sha256$i=100000$${salt.toString('base64')}`],
    ['an empty derived key', `pbkdf2-sha256$i=100000$${salt.toString('base64')}$=`],
    ['a derived key too short to mean anything', `pbkdf2-sha256$i=100000$${salt.toString('base64')}$AAAA`],
    ['argon2i', '$argon2i$v=19$m=19456,t=2,p=1$jiiWnQQObEpsxlpjkKYzqQ$8Hn7+dw3rmnk4nl6WjahcAnsYxGs4FStjIAOiC7zHQ8'],
    [
      'argon2id version 16',
      '$argon2id$v=16$m=19456,t=2,p=1$jiiWnQQObEpsxlpjkKYzqQ$8Hn7+dw3rmnk4nl6WjahcAnsYxGs4FStjIAOiC7zHQ8',
    ],
    [
      'argon2id without parameters',
      '$argon2id$v=19$jiiWnQQObEpsxlpjkKYzqQ$8Hn7+dw3rmnk4nl6WjahcAnsYxGs4FStjIAOiC7zHQ8',
    ],
  ])('does not read %s', (_label, stored) => {
    expect(parsePasswordHash(stored)).toBeUndefined();
  });
});

import { createHash } from 'node:crypto';
import { generateRecoveryCode, hashRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes';

describe('recovery codes', () => {
  it('issues ten at a time', () => {
    expect(RECOVERY_CODE_COUNT).toBe(10);
  });

  it('are 16 base32 characters in groups of four', () => {
    for (let index = 0; index < 50; index++) {
      expect(generateRecoveryCode()).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
    }
  });

  it('are random: a thousand never repeat, and every base32 character turns up', () => {
    const codes = Array.from({ length: 1000 }, generateRecoveryCode);
    expect(new Set(codes).size).toBe(codes.length);
    const characters = new Set(codes.join('').replaceAll('-', ''));
    expect([...characters].sort().join('')).toBe('234567abcdefghijklmnopqrstuvwxyz');
  });

  it('are stored as the SHA-256 of the normalised code, never the code itself', () => {
    const code = generateRecoveryCode();
    const stored = hashRecoveryCode(code);
    expect(stored).toBe(createHash('sha256').update(code.replaceAll('-', '')).digest('hex'));
  });

  it('match however the user types them: case, dashes and spaces do not matter', () => {
    const code = generateRecoveryCode();
    const stored = hashRecoveryCode(code);
    expect(hashRecoveryCode(code.toUpperCase())).toBe(stored);
    expect(hashRecoveryCode(code.replaceAll('-', ''))).toBe(stored);
    expect(hashRecoveryCode(` ${code.replaceAll('-', ' ')} `)).toBe(stored);
  });

  it('differ in their hashes when the codes differ by one character', () => {
    const code = 'abcd-efgh-ijkl-mnop';
    expect(hashRecoveryCode(code)).not.toBe(hashRecoveryCode('abcd-efgh-ijkl-mnoq'));
  });
});

import { MIN_PASSWORD_LENGTH, PasswordPolicy } from './password-policy.service';

describe('PasswordPolicy', () => {
  const policy = new PasswordPolicy();
  const owner = { username: 'mallory', email: 'mallory@example.test', displayName: 'Mallory Keane' };

  it('accepts long, unguessable passwords', () => {
    expect(policy.problem('Tq7!vD2kLp9xRw-lantern', owner)).toBeUndefined();
    expect(policy.problem('correct horse battery staple', owner)).toBeUndefined();
  });

  it('refuses anything shorter than 12 characters, however random', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(12);
    expect(policy.problem('Tq7!vD2kLp9', owner)).toBe('Password must be at least 12 characters long');
    expect(policy.problem('Tq7!vD2kLp9x', owner)).toBeUndefined();
  });

  it("refuses the seed's admin123", () => {
    expect(policy.problem('admin123', { username: 'admin' })).toBe('Password must be at least 12 characters long');
  });

  it('refuses a password that is or contains the username, in any case', () => {
    expect(policy.problem('mallorymallory', owner)).toBe('Password must not contain the username');
    expect(policy.problem('Zx9!MALLORY-Quartz-77', owner)).toBe('Password must not contain the username');
  });

  it.each(['Password123!', '123456789012', 'qwertyuiop123', 'P@ssw0rd2024!', 'aaaaaaaaaaaaaaa', 'iloveyou1234'])(
    'refuses the common or guessable %s',
    (password) => {
      expect(policy.problem(password, owner)).toMatch(/^Password is too easy to guess/);
    },
  );

  it("counts the owner's email and display name as guessable", () => {
    const password = 'zelphinequorvath';
    expect(policy.problem(password, { username: 'ops1' })).toBeUndefined();
    const namesake = { username: 'ops1', email: 'zelphine@example.test', displayName: 'Zelphine Quorvath' };
    expect(policy.problem(password, namesake)).toMatch(/^Password is too easy to guess/);
  });
});

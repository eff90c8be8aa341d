import { PasswordStrengthEstimator } from './password-strength.estimator';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PasswordPolicy } from './password-policy.service';

describe('PasswordPolicy', () => {
  const estimator = new PasswordStrengthEstimator();
  const policy = new PasswordPolicy(estimator);
  afterAll(() => estimator.onModuleDestroy());
  const owner = { username: 'mallory', email: 'mallory@example.test', displayName: 'Mallory Keane' };

  it('accepts long, unguessable passwords', async () => {
    expect(await policy.problem('Tq7!vD2kLp9xRw-lantern', owner)).toBeUndefined();
    expect(await policy.problem('correct horse battery staple', owner)).toBeUndefined();
  });

  it('refuses anything shorter than 12 characters, however random', async () => {
    expect(MIN_PASSWORD_LENGTH).toBe(12);
    expect(await policy.problem('Tq7!vD2kLp9', owner)).toBe('Password must be at least 12 characters long');
    expect(await policy.problem('Tq7!vD2kLp9x', owner)).toBeUndefined();
  });

  it("refuses the seed's admin123", async () => {
    expect(await policy.problem('admin123', { username: 'admin' })).toBe(
      'Password must be at least 12 characters long',
    );
  });

  it('refuses a password that is or contains the username, in any case', async () => {
    expect(await policy.problem('mallorymallory', owner)).toBe('Password must not contain the username');
    expect(await policy.problem('Zx9!MALLORY-Quartz-77', owner)).toBe('Password must not contain the username');
  });

  it.each(['Password123!', '123456789012', 'qwertyuiop123', 'P@ssw0rd2024!', 'aaaaaaaaaaaaaaa', 'iloveyou1234'])(
    'refuses the common or guessable %s',
    async (password) => {
      expect(await policy.problem(password, owner)).toMatch(/^Password is too easy to guess/);
    },
  );

  it("counts the owner's email and display name as guessable", async () => {
    const password = 'zelphinequorvath';
    expect(await policy.problem(password, { username: 'ops1' })).toBeUndefined();
    const namesake = { username: 'ops1', email: 'zelphine@example.test', displayName: 'Zelphine Quorvath' };
    expect(await policy.problem(password, namesake)).toMatch(/^Password is too easy to guess/);
  });

  it('refuses more than 256 characters, and estimates a 256-character one off the event loop', async () => {
    expect(MAX_PASSWORD_LENGTH).toBe(256);
    const long = 'Tq7!vD2kLp9xRw-lantern '.repeat(12);
    expect(await policy.problem(long.slice(0, 257), owner)).toBe('Password must be at most 256 characters long');
    // zxcvbn runs in its worker: the event loop stays free meanwhile (a timer fires on time).
    const repetitive = `Tq7!vD2kLp9xRw-${'ab1'.repeat(80)}`.slice(0, 256);
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 10);
    const started = performance.now();
    await Promise.all([policy.problem(repetitive, owner), policy.problem(repetitive, owner)]);
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 10 / 4));
  });
});

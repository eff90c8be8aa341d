import {
  isWhollyExpired,
  monthlyPartition,
  monthStart,
  parseMonthlyPartition,
  type MonthlyPartition,
} from './monthly-partition.util';

const DAY_MS = 24 * 60 * 60 * 1000;
const utc = (...parts: [number, number, number?, number?, number?, number?, number?]): Date =>
  new Date(Date.UTC(...parts));

/** A Date whose local-time getters behave as in a time zone five hours west of UTC. */
class UtcMinusFiveDate extends Date {
  private shifted(): Date {
    return new Date(this.getTime() - 5 * 60 * 60 * 1000);
  }
  override getFullYear(): number {
    return this.shifted().getUTCFullYear();
  }
  override getMonth(): number {
    return this.shifted().getUTCMonth();
  }
  override getDate(): number {
    return this.shifted().getUTCDate();
  }
  override getHours(): number {
    return this.shifted().getUTCHours();
  }
  override getTimezoneOffset(): number {
    return 300;
  }
}

describe('monthlyPartition', () => {
  it('names the month containing now, with UTC bounds', () => {
    expect(monthlyPartition('audit_log', utc(2025, 2, 15, 12))).toEqual({
      name: 'audit_log_p202503',
      from: utc(2025, 2, 1),
      to: utc(2025, 3, 1),
    });
  });

  it('rolls December over into January of the next year', () => {
    expect(monthlyPartition('audit_log', utc(2024, 11, 31, 12))).toEqual({
      name: 'audit_log_p202412',
      from: utc(2024, 11, 1),
      to: utc(2025, 0, 1),
    });
    expect(monthlyPartition('audit_log', utc(2024, 11, 10), 1)).toEqual({
      name: 'audit_log_p202501',
      from: utc(2025, 0, 1),
      to: utc(2025, 1, 1),
    });
  });

  it('counts months back and far ahead', () => {
    expect(monthlyPartition('t', utc(2025, 0, 15), -1).name).toBe('t_p202412');
    expect(monthlyPartition('t', utc(2025, 0, 15), -14).name).toBe('t_p202311');
    expect(monthlyPartition('t', utc(2025, 0, 15), 13).name).toBe('t_p202602');
  });

  it('places the last minute of a month in that month, and the next instant in the next', () => {
    // 2024-01-31 23:59 UTC is already February 1st east of Greenwich.
    expect(monthlyPartition('t', utc(2024, 0, 31, 23, 59, 59, 999)).name).toBe('t_p202401');
    // 2024-02-01 03:00 UTC is still January 31st in the Americas.
    expect(monthlyPartition('t', utc(2024, 1, 1, 3)).name).toBe('t_p202402');
    expect(monthlyPartition('t', utc(2024, 1, 1)).name).toBe('t_p202402');
  });

  it('reads the month in UTC even where the local calendar disagrees', () => {
    // Jest's sandbox cannot switch the process time zone, so this instant reports
    // its local calendar as a process at UTC-5 would see it.
    const instant = new UtcMinusFiveDate(Date.UTC(2024, 1, 1, 3));
    expect([instant.getFullYear(), instant.getMonth(), instant.getDate()]).toEqual([2024, 0, 31]);
    expect(monthlyPartition('t', instant)).toEqual({ name: 't_p202402', from: utc(2024, 1, 1), to: utc(2024, 2, 1) });
    expect(monthStart(instant)).toEqual(utc(2024, 1, 1));
  });
});

describe('parseMonthlyPartition', () => {
  it('reads back what monthlyPartition names', () => {
    for (const offset of [-13, -1, 0, 1, 11]) {
      const partition = monthlyPartition('security_events', utc(2025, 0, 20), offset);
      expect(parseMonthlyPartition('security_events', partition.name)).toEqual(partition);
    }
  });

  it.each([
    ['another table', 'security_events_p202401'],
    ['a table whose name ends like ours', 'old_audit_log_p202401'],
    ['the default partition', 'audit_log_default'],
    ['a short suffix', 'audit_log_p2024'],
    ['a long suffix', 'audit_log_p2024011'],
    ['a trailing word', 'audit_log_p202401_old'],
    ['the parent itself', 'audit_log'],
    ['month 00', 'audit_log_p202400'],
    ['month 13', 'audit_log_p202413'],
  ])('rejects %s', (_label, name) => {
    expect(parseMonthlyPartition('audit_log', name)).toBeUndefined();
  });
});

describe('isWhollyExpired', () => {
  const december: MonthlyPartition = monthlyPartition('t', utc(2024, 11, 1));

  it('is expired when the partition ends exactly at the cut-off', () => {
    // now - 30 days = 2025-01-01T00:00Z = december.to
    const now = new Date(december.to.getTime() + 30 * DAY_MS);
    expect(isWhollyExpired(december, now, 30)).toBe(true);
  });

  it('is not expired when the partition ends one millisecond after the cut-off', () => {
    const now = new Date(december.to.getTime() + 30 * DAY_MS - 1);
    expect(isWhollyExpired(december, now, 30)).toBe(false);
  });

  it('keeps the current month with any retention', () => {
    const now = utc(2024, 11, 31, 23, 59);
    expect(isWhollyExpired(december, now, 0)).toBe(false);
  });
});

/** One month's partition of a range-partitioned table, bounds in UTC. */
export interface MonthlyPartition {
  name: string;
  from: Date;
  to: Date;
}

const PARTITION_SUFFIX = /_p(\d{4})(0[1-9]|1[0-2])$/;

export function monthStart(date: Date, monthsFromDate = 0): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + monthsFromDate, 1));
}

/** The partition of `table` holding the month `monthsFromNow` after the one containing `now`. */
export function monthlyPartition(table: string, now: Date, monthsFromNow = 0): MonthlyPartition {
  const from = monthStart(now, monthsFromNow);
  const month = String(from.getUTCMonth() + 1).padStart(2, '0');
  return { name: `${table}_p${from.getUTCFullYear()}${month}`, from, to: monthStart(from, 1) };
}

/** Reads a partition's month back from its name; undefined for tables not named by monthlyPartition. */
export function parseMonthlyPartition(table: string, name: string): MonthlyPartition | undefined {
  const match = PARTITION_SUFFIX.exec(name);
  if (!match || name !== `${table}${match[0]}`) return undefined;
  const from = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  return { name, from, to: monthStart(from, 1) };
}

/** True when every row the partition can hold is older than the retention cut-off. */
export function isWhollyExpired(partition: MonthlyPartition, now: Date, retentionDays: number): boolean {
  const cutoff = now.getTime() - retentionDays * 24 * 60 * 60 * 1000;
  return partition.to.getTime() <= cutoff;
}

/** What retention needs to know of a backup. */
export interface RetainedBackup {
  id: string;
  type: 'full' | 'incremental';
  parentId: string | null;
  startedAt: Date;
  verifiedOk: boolean;
}

export interface RetentionPolicy {
  days: number;
  /** At most this many backups are kept by age; undefined: no count limit. */
  count?: number;
}

const DAY_MS = 86_400_000;

/**
 * The completed backups cleanup may remove. A backup is kept while it is
 * younger than `days` and among the newest `count`; the newest verified full
 * backup and the newest full backup are kept whatever their age; and every
 * backup a kept one builds on is kept, so no kept incremental loses its chain.
 */
export function expiredBackups(backups: readonly RetainedBackup[], policy: RetentionPolicy, now: Date): string[] {
  const newestFirst = [...backups].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  const cutoff = now.getTime() - policy.days * DAY_MS;
  const kept = new Set(
    newestFirst
      .filter(
        (backup, index) => backup.startedAt.getTime() >= cutoff && (policy.count === undefined || index < policy.count),
      )
      .map((backup) => backup.id),
  );
  for (const anchor of [
    newestFirst.find((backup) => backup.type === 'full' && backup.verifiedOk),
    newestFirst.find((backup) => backup.type === 'full'),
  ]) {
    if (anchor) kept.add(anchor.id);
  }
  const byId = new Map(backups.map((backup) => [backup.id, backup]));
  for (const id of [...kept]) {
    for (let parent = byId.get(id)?.parentId; parent; parent = byId.get(parent)?.parentId) kept.add(parent);
  }
  return newestFirst.filter((backup) => !kept.has(backup.id)).map((backup) => backup.id);
}

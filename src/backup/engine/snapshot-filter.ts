const SNAPSHOT = /^(\d+):(\d+):(\d+(,\d+)*)?$/;
const XID_SPACE = 4294967296n;
const HALF_XID_SPACE = 2147483648n;
/** Room for the transactions that begin while the backup runs: age() counts to now, not to the snapshot. */
const RUNNING_MARGIN = 268435456n;

export class SnapshotRangeError extends Error {}

function parseSnapshot(snapshot: string): { xmin: bigint; xmax: bigint } {
  const match = SNAPSHOT.exec(snapshot);
  if (!match) throw new Error(`not a pg_snapshot: ${snapshot}`);
  return { xmin: BigInt(match[1]), xmax: BigInt(match[2]) };
}

/**
 * A WHERE condition keeping the rows a backup taken in `parentSnapshot` did not
 * see: those inserted by transactions still running then, or begun since.
 * Timestamps cannot tell that (a row stamped before the parent may commit
 * after it); transaction ids can. A row's 32-bit xmin is placed in the 64-bit
 * id space relative to the parent's xmin by `age()` (transactions between it
 * and now, integer arithmetic rather than a text cast per row): at most the
 * parent's own age means at or after it. That is exact while fewer than 2^31
 * transactions separate the parent from now, which the check below keeps with
 * room to spare.
 */
export function sinceSnapshotCondition(parentSnapshot: string, currentSnapshot: string): string {
  const parent = parseSnapshot(parentSnapshot);
  const current = parseSnapshot(currentSnapshot);
  if (current.xmax - parent.xmin >= HALF_XID_SPACE - RUNNING_MARGIN) {
    throw new SnapshotRangeError('nearly 2^31 transactions since the parent backup: take a full backup');
  }
  const parentAge = `age('${parent.xmin % XID_SPACE}'::xid)`;
  return (
    `age(xmin) <= ${parentAge}` +
    ` AND NOT pg_visible_in_snapshot((${parent.xmin} + ${parentAge} - age(xmin))::text::xid8, '${parentSnapshot}'::pg_snapshot)`
  );
}

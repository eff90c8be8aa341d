const SNAPSHOT = /^(\d+):(\d+):(\d+(,\d+)*)?$/;
const XID_SPACE = 4294967296n;
const HALF_XID_SPACE = 2147483648n;

export class SnapshotRangeError extends Error {}

function parseSnapshot(snapshot: string): { xmin: bigint; xmax: bigint } {
  const match = SNAPSHOT.exec(snapshot);
  if (!match) throw new Error(`not a pg_snapshot: ${snapshot}`);
  return { xmin: BigInt(match[1]), xmax: BigInt(match[2]) };
}

/**
 * A WHERE clause keeping the rows a backup taken in `parentSnapshot` did not
 * see: those inserted by transactions still running then, or begun since.
 * Timestamps cannot tell that (a row stamped before the parent may commit
 * after it); transaction ids can. A row's 32-bit xmin is placed in the 64-bit
 * id space relative to the parent's xmin, which is exact while fewer than 2^31
 * transactions separate the parent from now, as the check below requires.
 */
export function sinceSnapshotFilter(parentSnapshot: string, currentSnapshot: string): string {
  const parent = parseSnapshot(parentSnapshot);
  const current = parseSnapshot(currentSnapshot);
  if (current.xmax - parent.xmin >= HALF_XID_SPACE) {
    throw new SnapshotRangeError('more than 2^31 transactions since the parent backup: take a full backup');
  }
  const low = parent.xmin % XID_SPACE;
  const distance = `((xmin::text::bigint - ${low} + ${XID_SPACE}) % ${XID_SPACE})`;
  return (
    ` WHERE ${distance} < ${HALF_XID_SPACE}` +
    ` AND NOT pg_visible_in_snapshot((${parent.xmin} + ${distance})::text::xid8, '${parentSnapshot}'::pg_snapshot)`
  );
}

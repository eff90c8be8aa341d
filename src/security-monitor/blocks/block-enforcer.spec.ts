import { Clock } from '../../common/clock/clock';
import { BlockEnforcer } from './block-enforcer';

class FixedClock extends Clock {
  constructor(public current: number) {
    super();
  }

  override now(): Date {
    return new Date(this.current);
  }
}

describe('BlockEnforcer', () => {
  const start = Date.UTC(2026, 0, 1);
  const block = (id: string, network: string, seconds: number) => ({
    id,
    network,
    expiresAt: new Date(start + seconds * 1000),
  });

  it('enforces the union of PostgreSQL and Redis, each replaced on its own', () => {
    const enforcer = new BlockEnforcer(new FixedClock(start));
    enforcer.replace([block('1', '192.0.2.1/32', 60)], 'postgres');
    enforcer.replace([block('2', '192.0.2.2/32', 60)], 'redis');
    expect(enforcer.blocking('192.0.2.1')?.id).toBe('1');
    expect(enforcer.blocking('192.0.2.2')?.id).toBe('2');

    // An empty re-read of one source (another database, or Redis down and its last set kept) leaves the other.
    enforcer.replace([], 'postgres');
    expect(enforcer.blocking('192.0.2.1')).toBeUndefined();
    expect(enforcer.blocking('192.0.2.2')?.id).toBe('2');
  });

  it('drops a lifted block from every source at once, only that block', () => {
    const enforcer = new BlockEnforcer(new FixedClock(start));
    enforcer.replace([block('1', '192.0.2.0/24', 60)], 'postgres');
    enforcer.add(block('1', '192.0.2.0/24', 60), 'redis');
    enforcer.add(block('3', '198.51.100.0/24', 60), 'redis');
    enforcer.remove('1', '192.0.2.0/24');
    expect(enforcer.blocking('192.0.2.9')).toBeUndefined();
    expect(enforcer.blocking('198.51.100.9')?.id).toBe('3');
  });

  it('replaces a network’s earlier block from the same source and lets blocks run out by the clock', () => {
    const clock = new FixedClock(start);
    const enforcer = new BlockEnforcer(clock);
    enforcer.add(block('1', '192.0.2.1/32', 30), 'redis');
    enforcer.add(block('2', '192.0.2.1/32', 60), 'redis');
    expect(enforcer.blocking('192.0.2.1')?.id).toBe('2');
    clock.current = start + 59_999;
    expect(enforcer.blocking('192.0.2.1')?.id).toBe('2');
    clock.current = start + 60_000;
    expect(enforcer.blocking('192.0.2.1')).toBeUndefined();
  });
});

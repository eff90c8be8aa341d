import { createHmac } from 'node:crypto';
import type { AuditRow } from './audit-entry';
import { canonicalJson, chainHash, GENESIS_HASH, signChainCheckpoint, signChainHead } from './hash-chain';

const row: Omit<AuditRow, 'prev_hash' | 'hash'> = {
  id: '42',
  created_at: new Date('2026-11-23T10:00:00.123Z'),
  user_id: '0b1c9f52-6f0e-4a0e-9d6c-2f1e8b7a6c5d',
  username: 'alice',
  session_id: null,
  api_key_id: null,
  action_type: 'agents.create',
  resource_type: 'agent',
  resource_id: 'x',
  action_details: { body: { name: 'scanner', config: { b: 2, a: 1 } } },
  ip_address: '127.0.0.1',
  user_agent: 'curl',
  request_method: 'POST',
  request_path: '/api/v1/agents',
  response_status: 201,
  execution_time_ms: 12,
  success: true,
  allowed: true,
  error_message: null,
  error_code: null,
  metadata: { route: '/api/v1/agents' },
  trace_id: 'abc',
  chain_key_id: 'c0',
};

describe('hash chain', () => {
  const key = 'k'.repeat(32);

  it('serialises objects with sorted keys at every depth, as jsonb would reorder them', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    );
  });

  it('gives the same link for the same record whatever the key order of its json columns', () => {
    const reordered = { ...row, action_details: { body: { config: { a: 1, b: 2 }, name: 'scanner' } } };
    expect(chainHash(key, GENESIS_HASH, reordered)).toBe(chainHash(key, GENESIS_HASH, row));
  });

  it.each(Object.keys(row) as (keyof typeof row)[])('changes when %s changes', (field) => {
    const altered = { ...row, [field]: field === 'created_at' ? new Date(row.created_at.getTime() + 1) : 'changed' };
    expect(chainHash(key, GENESIS_HASH, altered)).not.toBe(chainHash(key, GENESIS_HASH, row));
  });

  it('links a record without an error code exactly as records chained before the column existed', () => {
    const { error_code: _absent, chain_key_id: _implicit, ...chainedBefore } = row;
    expect(chainHash(key, GENESIS_HASH, row)).toBe(chainHash(key, GENESIS_HASH, chainedBefore));
  });

  it('links a record under the implicit key id c0 exactly as records chained before key ids existed', () => {
    const withCode = { ...row, error_code: 'LAST_ADMIN' };
    const { chain_key_id: _implicit, ...chainedBefore } = withCode;
    expect(chainHash(key, GENESIS_HASH, withCode)).toBe(chainHash(key, GENESIS_HASH, chainedBefore));
  });

  it('covers an explicit key id, and never confuses it with an error code', () => {
    const underC2 = chainHash(key, GENESIS_HASH, { ...row, chain_key_id: 'c2' });
    expect(chainHash(key, GENESIS_HASH, { ...row, chain_key_id: 'c3' })).not.toBe(underC2);
    expect(chainHash(key, GENESIS_HASH, { ...row, error_code: 'c2' })).not.toBe(underC2);
  });

  it('signs heads and checkpoints under the implicit id as before, and covers any other id', () => {
    const head = { lastId: '10', lastHash: 'a'.repeat(64), rowCount: '10', keyId: 'c0' };
    const before = createHmac('sha256', key)
      .update(`head\n10\n${'a'.repeat(64)}\n10`)
      .digest('hex');
    expect(signChainHead(key, head)).toBe(before);
    expect(signChainHead(key, { ...head, keyId: 'c2' })).not.toBe(before);
    const checkpoint = { firstKeptId: '11', firstKeptPrevHash: 'b'.repeat(64), rowsDropped: '10', keyId: 'c0' };
    const checkpointBefore = createHmac('sha256', key)
      .update(`checkpoint\n11\n${'b'.repeat(64)}\n10`)
      .digest('hex');
    expect(signChainCheckpoint(key, checkpoint)).toBe(checkpointBefore);
    expect(signChainCheckpoint(key, { ...checkpoint, keyId: 'c2' })).not.toBe(checkpointBefore);
  });

  it('signs the head over its id, hash and count, so a rewound or recounted head does not verify', () => {
    const head = { lastId: '10', lastHash: 'a'.repeat(64), rowCount: '10', keyId: 'c1' };
    const signature = signChainHead(key, head);
    expect(signChainHead(key, { ...head, lastId: '5' })).not.toBe(signature);
    expect(signChainHead(key, { ...head, rowCount: '5' })).not.toBe(signature);
    expect(signChainHead('other-key'.repeat(4), head)).not.toBe(signature);
    const checkpoint = { firstKeptId: '11', firstKeptPrevHash: 'b'.repeat(64), rowsDropped: '10', keyId: 'c1' };
    expect(signChainCheckpoint(key, { ...checkpoint, rowsDropped: '0' })).not.toBe(
      signChainCheckpoint(key, checkpoint),
    );
  });

  it('depends on the previous link and on the key', () => {
    const base = chainHash(key, GENESIS_HASH, row);
    expect(chainHash(key, 'f'.repeat(64), row)).not.toBe(base);
    expect(chainHash('other-key'.repeat(4), GENESIS_HASH, row)).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });
});

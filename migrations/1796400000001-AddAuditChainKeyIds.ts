import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each chained record, the signed head and every retention checkpoint name the
 * AUDIT_CHAIN_KEY entry that hashed or signed them, so the chain key can rotate
 * without re-chaining history. What exists was made by the one key there was,
 * whose implicit id is c0 (and hashed without an id, which is how c0 records
 * still verify: src/audit/hash-chain.ts). A constant default on the partitioned
 * table is metadata only: no partition is rewritten.
 */
export class AddAuditChainKeyIds1796400000001 implements MigrationInterface {
  name = 'AddAuditChainKeyIds1796400000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE audit_logs ADD COLUMN chain_key_id text NOT NULL DEFAULT 'c0'`);
    await queryRunner.query(`ALTER TABLE audit_chain_head ADD COLUMN key_id text NOT NULL DEFAULT 'c0'`);
    await queryRunner.query(`ALTER TABLE audit_chain_checkpoints ADD COLUMN key_id text NOT NULL DEFAULT 'c0'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE audit_chain_checkpoints DROP COLUMN key_id`);
    await queryRunner.query(`ALTER TABLE audit_chain_head DROP COLUMN key_id`);
    await queryRunner.query(`ALTER TABLE audit_logs DROP COLUMN chain_key_id`);
  }
}

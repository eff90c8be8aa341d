import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreatePermissionGrants1795411900000 implements MigrationInterface {
  name = 'CreatePermissionGrants1795411900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE permission_grants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        permission text NOT NULL,
        resource_type text,
        resource_id text,
        expires_at timestamptz,
        is_active boolean NOT NULL DEFAULT true,
        granted_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        revoked_by uuid REFERENCES users (id) ON DELETE SET NULL,
        CHECK (resource_id IS NULL OR resource_type IS NOT NULL)
      )`);
    await queryRunner.query(
      `CREATE INDEX permission_grants_user_active_idx ON permission_grants (user_id, permission) WHERE is_active`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE permission_grants`);
  }
}

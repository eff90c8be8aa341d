import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PaginationQueryDto } from '../../common/pagination/pagination-query.dto';
import { UnlessAbsent } from '../../common/validation/unless-absent.decorator';
import { BACKUP_STATUSES, type BackupRecord, type BackupStatus } from '../entities/backup-record.entity';

const BACKUP_TYPES = ['full', 'incremental'] as const;

export class CreateBackupDto {
  @ApiPropertyOptional({
    enum: BACKUP_TYPES,
    default: 'full',
    description: 'incremental: what changed since the newest completed backup (a full one if there is none).',
  })
  @UnlessAbsent()
  @IsIn(BACKUP_TYPES)
  type: 'full' | 'incremental' = 'full';

  @ApiPropertyOptional({ maxLength: 500, example: 'before the 2.4 upgrade' })
  @UnlessAbsent()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class VerifyBackupDto {
  @ApiPropertyOptional({
    default: false,
    description: 'Also restore the backup into a scratch database and compare every table’s checksum.',
  })
  @UnlessAbsent()
  @IsBoolean()
  restoreTest = false;
}

export class ListBackupsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: BACKUP_STATUSES })
  @IsOptional()
  @IsIn(BACKUP_STATUSES)
  status?: BackupStatus;

  @ApiPropertyOptional({ enum: BACKUP_TYPES })
  @IsOptional()
  @IsIn(BACKUP_TYPES)
  type?: 'full' | 'incremental';
}

export class RestoreTestResultDto {
  @ApiProperty()
  ok!: boolean;

  @ApiProperty({ description: 'Tables compared.' })
  tables!: number;

  @ApiProperty({ type: [String], description: 'Tables whose checksum in the scratch database differs.' })
  mismatched!: string[];
}

export class BackupVerificationDto {
  @ApiProperty({ description: 'Every check passed.' })
  ok!: boolean;

  @ApiProperty({ description: 'The file’s SHA-256 matches the one recorded when it was written.' })
  checksum!: boolean;

  @ApiProperty({ description: 'Every chunk authenticated and every stream decompressed.' })
  decrypted!: boolean;

  @ApiProperty({ description: 'Every table’s row count and SHA-256 match the manifest and the record.' })
  rowCounts!: boolean;

  @ApiPropertyOptional({ type: RestoreTestResultDto })
  restoreTest?: RestoreTestResultDto;

  @ApiPropertyOptional({ description: 'What failed first.' })
  error?: string;
}

export class BackupDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: BACKUP_TYPES })
  type!: 'full' | 'incremental';

  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'The backup an incremental builds on.' })
  parentId!: string | null;

  @ApiProperty({ enum: BACKUP_STATUSES })
  status!: BackupStatus;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  completedAt!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'The moment the backup shows.' })
  snapshotAt!: string | null;

  @ApiProperty({ type: Number, nullable: true })
  sizeBytes!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'SHA-256 of the file.' })
  sha256!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, nullable: true })
  rowCounts!: Record<string, number> | null;

  @ApiProperty()
  compressed!: boolean;

  @ApiProperty()
  encrypted!: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Fingerprint of the key it is encrypted with (never the key).',
  })
  keyId!: string | null;

  @ApiProperty({ enum: ['disk', 's3'] })
  storage!: 'disk' | 's3';

  @ApiProperty({ description: 'Path in BACKUP_DIR or s3:// URL.' })
  location!: string;

  @ApiProperty({ type: String, nullable: true, description: 'The newest migration applied when it was taken.' })
  schemaVersion!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  verifiedAt!: string | null;

  @ApiProperty({ type: BackupVerificationDto, nullable: true })
  verification!: BackupVerificationDto | null;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  @ApiProperty({ description: '`user:<id>`, `cli`, `schedule` or `import`.' })
  createdBy!: string;

  static from(record: BackupRecord): BackupDto {
    return {
      id: record.id,
      type: record.type,
      parentId: record.parentId,
      status: record.status,
      description: record.description,
      startedAt: record.startedAt.toISOString(),
      completedAt: record.completedAt?.toISOString() ?? null,
      snapshotAt: record.snapshotAt?.toISOString() ?? null,
      sizeBytes: record.sizeBytes,
      sha256: record.sha256,
      rowCounts: record.rowCounts,
      compressed: record.compressed,
      encrypted: record.encrypted,
      keyId: record.keyId,
      storage: record.storage,
      location: record.location,
      schemaVersion: record.schemaVersion,
      verifiedAt: record.verifiedAt?.toISOString() ?? null,
      verification: record.verification,
      error: record.error,
      createdBy: record.createdBy,
    };
  }
}

export class CleanupResultDto {
  @ApiProperty({ type: [String], description: 'Backups whose files were removed; their records stay, as expired.' })
  expired!: string[];
}

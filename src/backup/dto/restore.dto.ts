import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsBoolean,
  IsISO8601,
  IsString,
  IsUUID,
  Matches,
} from 'class-validator';
import { UnlessAbsent } from '../../common/validation/unless-absent.decorator';
import type { RestoreRecord, RestoreStatus } from '../entities/restore-record.entity';
import { RESTORE_STATUSES } from '../entities/restore-record.entity';

export class CreateRestoreDto {
  @ApiProperty({ format: 'uuid', description: 'The backup to restore (an incremental brings its chain with it).' })
  @IsUUID()
  backupId!: string;

  @ApiProperty({ description: 'Do the whole restore, report rows per table before and after, and roll back.' })
  @IsBoolean()
  dryRun!: boolean;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'Mutable tables as of the newest backup of the chain taken at or before it; append-only rows created at or before it.',
  })
  @UnlessAbsent()
  @IsISO8601({ strict: true })
  pointInTime?: string;

  @ApiPropertyOptional({ type: [String], example: ['agents', 'agent_runs'], description: 'Restore only these tables.' })
  @UnlessAbsent()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { each: true, message: 'each table must be a table name' })
  tables?: string[];

  @ApiPropertyOptional({
    default: false,
    description: 'Replace the audit trail with the backup’s instead of merging it (a backup of another installation).',
  })
  @UnlessAbsent()
  @IsBoolean()
  replaceAuditTrail = false;
}

export class RestoreProgressDto {
  @ApiPropertyOptional({ description: 'The table being loaded.' })
  table?: string;

  @ApiProperty()
  tablesDone!: number;

  @ApiProperty()
  tablesTotal!: number;

  @ApiProperty()
  rowsDone!: number;

  @ApiProperty()
  rowsTotal!: number;

  @ApiProperty({ description: 'Bytes of table data loaded.' })
  bytesDone!: number;

  @ApiProperty()
  bytesTotal!: number;

  @ApiProperty({ type: Number, nullable: true, description: 'Estimated seconds left, from the rate so far.' })
  etaSeconds!: number | null;
}

export class TableReportDto {
  @ApiProperty()
  table!: string;

  @ApiProperty({ enum: ['replace', 'merge'], description: 'merge: audit evidence, rows missing by id added.' })
  mode!: 'replace' | 'merge';

  @ApiProperty()
  rowsBefore!: number;

  @ApiProperty()
  rowsAfter!: number;
}

export class RestoreDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  backupId!: string;

  @ApiProperty({ enum: RESTORE_STATUSES })
  status!: RestoreStatus;

  @ApiProperty()
  dryRun!: boolean;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  pointInTime!: string | null;

  @ApiProperty({ type: [String], nullable: true })
  tables!: string[] | null;

  @ApiProperty()
  replaceAuditTrail!: boolean;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  completedAt!: string | null;

  @ApiProperty({ type: RestoreProgressDto })
  progress!: RestoreProgressDto;

  @ApiProperty({ type: [TableReportDto], nullable: true, description: 'Rows per table before and after.' })
  report!: TableReportDto[] | null;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  @ApiProperty()
  cancelRequested!: boolean;

  @ApiProperty()
  requestedBy!: string;

  static from(record: RestoreRecord, now: Date): RestoreDto {
    return {
      id: record.id,
      backupId: record.backupId,
      status: record.status,
      dryRun: record.dryRun,
      pointInTime: record.pointInTime?.toISOString() ?? null,
      tables: record.tables,
      replaceAuditTrail: record.replaceAuditTrail,
      startedAt: record.startedAt.toISOString(),
      completedAt: record.completedAt?.toISOString() ?? null,
      progress: { ...record.progress, etaSeconds: eta(record, now) },
      report: record.report,
      error: record.error,
      cancelRequested: record.cancelRequested,
      requestedBy: record.requestedBy,
    };
  }
}

function eta(record: RestoreRecord, now: Date): number | null {
  const { rowsDone, rowsTotal } = record.progress;
  if (record.status !== 'running') return 0;
  if (rowsDone === 0) return null;
  const elapsed = (now.getTime() - record.startedAt.getTime()) / 1000;
  return Math.max(0, Math.round((elapsed / rowsDone) * (rowsTotal - rowsDone)));
}

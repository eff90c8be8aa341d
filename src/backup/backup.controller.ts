import { Body, Controller, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audit } from '../audit/decorators/audit.decorator';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { Authenticated } from '../access/decorators/authenticated.decorator';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ApiPageResponse, mapPage, type PageDto } from '../common/pagination/paginated';
import { Permission } from '../rbac/permission';
import { BackupService } from './backup.service';
import { BackupVerifier } from './backup-verifier.service';
import { BackupDto, CleanupResultDto, CreateBackupDto, ListBackupsQueryDto, VerifyBackupDto } from './dto/backup.dto';

const uuid = new ParseUUIDPipe({ version: '4' });

/** Backups hold every account and the audit trail: a login session with backups:manage, never an API key. */
@ApiTags('backups')
@Authenticated({ permissions: [Permission.BackupsManage], interactiveOnly: true })
@Controller('backups')
export class BackupController {
  constructor(
    private readonly backups: BackupService,
    private readonly verifier: BackupVerifier,
  ) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @Audit('backup.create', { resource: 'backup' })
  @ApiOperation({
    summary: 'Start a full or incremental backup; answers at once with the running backup.',
    description:
      'Poll GET /backups/:id until status is completed or failed. One backup, restore or cleanup runs at a time.',
  })
  @ApiAcceptedResponse({ type: BackupDto })
  @ApiErrorResponses(400, 409)
  async create(@CurrentUser() caller: AuthenticatedUser, @Body() body: CreateBackupDto): Promise<BackupDto> {
    const record = await this.backups.start({
      type: body.type,
      description: body.description,
      initiator: { kind: 'user', userId: caller.id },
    });
    return BackupDto.from(record);
  }

  @Get()
  @Audit('backup.list', { resource: 'backup' })
  @ApiOperation({ summary: 'Backups, newest first, with status, size, checksum and verification.' })
  @ApiPageResponse(BackupDto)
  @ApiErrorResponses(400)
  async list(@Query() query: ListBackupsQueryDto): Promise<PageDto<BackupDto>> {
    return mapPage(await this.backups.list(query), (record) => BackupDto.from(record));
  }

  @Get(':id')
  @Audit('backup.read', { resource: 'backup', idParam: 'id' })
  @ApiOperation({ summary: 'One backup: its chain parent, per-table row counts, storage location and verification.' })
  @ApiOkResponse({ type: BackupDto })
  @ApiErrorResponses(400, 404)
  async get(@Param('id', uuid) id: string): Promise<BackupDto> {
    return BackupDto.from(await this.backups.get(id));
  }

  @Post(':id/verify')
  @HttpCode(HttpStatus.OK)
  @Audit('backup.verify', { resource: 'backup', idParam: 'id' })
  @ApiOperation({
    summary:
      'Verify a backup: SHA-256, every chunk decrypted and decompressed, row counts; optionally a restore drill.',
    description:
      'With restoreTest, the backup (and its chain) is restored into a scratch database and every table compared ' +
      'with the backup by checksum; the scratch database is dropped afterwards.',
  })
  @ApiOkResponse({ type: BackupDto })
  @ApiErrorResponses(400, 404, 409)
  async verify(@Param('id', uuid) id: string, @Body() body: VerifyBackupDto): Promise<BackupDto> {
    return BackupDto.from(await this.verifier.verify(id, { restoreTest: body.restoreTest }));
  }

  @Post('cleanup')
  @HttpCode(HttpStatus.OK)
  @Audit('backup.cleanup', { resource: 'backup' })
  @ApiOperation({
    summary: 'Apply retention now: BACKUP_RETENTION_DAYS and BACKUP_RETENTION_COUNT, keeping every chain whole.',
    description: 'Never removes the newest verified full backup, nor a backup a kept incremental builds on.',
  })
  @ApiOkResponse({ type: CleanupResultDto })
  @ApiErrorResponses(409)
  cleanup(): Promise<CleanupResultDto> {
    return this.backups.cleanup();
  }
}

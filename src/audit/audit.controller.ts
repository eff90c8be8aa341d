import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { Authenticated } from '../access/decorators/authenticated.decorator';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { Permission } from '../rbac/permission';
import { AuditQueryService } from './audit-query.service';
import { AuditVerifier } from './audit-verifier.service';
import { Audit } from './decorators/audit.decorator';
import {
  AuditLogPageDto,
  AuditSummaryRowDto,
  AuditTimeRangeDto,
  AuditVerificationDto,
  ChainHeadDto,
  ExportAuditLogsQueryDto,
  ListAuditLogsQueryDto,
  VerifyAuditQueryDto,
} from './dto/audit-query.dto';

@ApiTags('audit')
@Authenticated({ permissions: [Permission.AuditRead] })
@Controller('audit-logs')
export class AuditController {
  constructor(
    private readonly queries: AuditQueryService,
    private readonly verifier: AuditVerifier,
  ) {}

  @Get()
  @Audit('audit.list')
  @ApiOperation({
    summary: 'Audit records, newest first, filtered; page with cursor = nextCursor (stable under inserts).',
  })
  @ApiOkResponse({ type: AuditLogPageDto })
  @ApiErrorResponses(400)
  list(@Query() query: ListAuditLogsQueryDto): Promise<AuditLogPageDto> {
    return this.queries.list(query);
  }

  @Get('export')
  @Audit('audit.export')
  @ApiOperation({ summary: 'Stream every matching record as NDJSON or CSV, without loading them into memory.' })
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiErrorResponses(400)
  export(@Query() query: ExportAuditLogsQueryDto): StreamableFile {
    const { format, ...filter } = query;
    return new StreamableFile(this.queries.export(filter, format), {
      type: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      disposition: `attachment; filename="audit-logs.${format === 'csv' ? 'csv' : 'ndjson'}"`,
    });
  }

  @Get('summary')
  @Audit('audit.summary')
  @ApiOperation({ summary: 'Per day (UTC) and action: counts, success and failure rate, mean and p95 execution time.' })
  @ApiOkResponse({ type: [AuditSummaryRowDto] })
  @ApiErrorResponses(400)
  summary(@Query() query: AuditTimeRangeDto): Promise<AuditSummaryRowDto[]> {
    return this.queries.summary(query);
  }

  @Get('verify')
  @Audit('audit.verify')
  @ApiOperation({
    summary: 'Walk the hash chain and name the first altered, inserted or deleted record.',
    description:
      "Checks every link, the signed head (newest records deleted) and retention's signed checkpoint (oldest " +
      'records deleted). Pass a head exported earlier as anchorId/anchorHash to also catch a rewound head.',
  })
  @ApiOkResponse({ type: AuditVerificationDto })
  @ApiErrorResponses(400)
  verify(@Query() query: VerifyAuditQueryDto): Promise<AuditVerificationDto> {
    return this.verifier.verify(query);
  }

  @Get('head')
  @Audit('audit.head')
  @ApiOperation({
    summary: 'The signed chain head: keep copies outside the database and pass one back to verify as an anchor.',
  })
  @ApiOkResponse({ type: ChainHeadDto })
  @ApiErrorResponses(404, 409)
  head(): Promise<ChainHeadDto> {
    return this.verifier.head();
  }
}

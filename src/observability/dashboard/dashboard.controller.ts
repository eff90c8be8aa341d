import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/decorators/public.decorator';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import { DashboardAssets } from './dashboard-assets';
import { Audit } from '../../audit/decorators/audit.decorator';

/**
 * The operator's dashboard: a static page that logs in through the API and
 * draws from the metrics and log endpoints, which enforce their own
 * permissions. The page itself holds no data, so it is public.
 */
@ApiTags('dashboard')
@Public()
@Controller('dashboard')
export class DashboardController {
  constructor(private readonly assets: DashboardAssets) {}

  @Get()
  @Audit('dashboard.page')
  @ApiOperation({
    summary: 'The dashboard page (HTML): request rate, latency, errors, agents, API cost, recent warnings.',
  })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page.' })
  page(@Res({ passthrough: true }) reply: FastifyReply): Buffer {
    return this.send(reply, 'index.html');
  }

  @Get(':asset')
  @Audit('dashboard.asset')
  @ApiOperation({ summary: 'A file of the dashboard: app.js, app.css or chart.umd.min.js.' })
  @ApiOkResponse({ description: 'The file.' })
  @ApiErrorResponses(404)
  file(@Param('asset') name: string, @Res({ passthrough: true }) reply: FastifyReply): Buffer {
    return this.send(reply, name);
  }

  private send(reply: FastifyReply, name: string): Buffer {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException(`No dashboard file ${name}`);
    void reply.type(asset.contentType).header('cache-control', 'no-cache');
    return asset.body;
  }
}

import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audit } from '../../audit/decorators/audit.decorator';
import { Public } from '../../common/decorators/public.decorator';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import { RateLimit } from '../../common/rate-limit/rate-limit.decorator';
import { Permission } from '../../rbac/permission';
import { Authenticated } from '../../access/decorators/authenticated.decorator';
import { IntrospectDto, IntrospectionDto, RefreshDto, TokenPairDto } from './dto/tokens.dto';
import { TokenIntrospection } from './token-introspection.service';
import { TokenPairs } from './token-pairs.service';

@ApiTags('auth')
@Controller('auth')
export class TokensController {
  constructor(
    private readonly pairs: TokenPairs,
    private readonly introspection: TokenIntrospection,
  ) {}

  @Post('refresh')
  @Public()
  @RateLimit('login')
  @Audit('auth.refresh', { resource: 'session' })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Exchange a refresh token for a new access and refresh token.',
    description: 'Each refresh token works once; presenting a spent one again revokes its whole session.',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrorResponses(400, 401, 429)
  refresh(@Body() body: RefreshDto): Promise<TokenPairDto> {
    return this.pairs.refresh(body.refreshToken);
  }

  @Post('introspect')
  @Authenticated({ permissions: [Permission.TokensIntrospect] })
  @Audit('auth.introspect', { resource: 'session' })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'RFC 7662: whether an access token is active right now, and its claims if so.' })
  @ApiOkResponse({ type: IntrospectionDto })
  @ApiErrorResponses(400)
  introspect(@Body() body: IntrospectDto): Promise<IntrospectionDto> {
    return this.introspection.introspect(body.token);
  }
}

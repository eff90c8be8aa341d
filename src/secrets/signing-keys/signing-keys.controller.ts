import { Controller, Get, Header, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Audit } from '../../audit/decorators/audit.decorator';
import { Authenticated } from '../../access/decorators/authenticated.decorator';
import { Public } from '../../common/decorators/public.decorator';
import { Permission } from '../../rbac/permission';
import { JwtSigningKeys } from './jwt-signing-keys.service';

export class JwksDto {
  @ApiProperty({ description: 'Public keys (RFC 7517) of the keys whose tokens may still be valid.' })
  keys!: Record<string, string>[];
}

export class RotatedSigningKeyDto {
  @ApiProperty({ description: 'The kid new tokens carry.' })
  kid!: string;
}

@ApiTags('signing-keys')
@Controller()
export class SigningKeysController {
  constructor(private readonly keys: JwtSigningKeys) {}

  /** Fetched by every service that verifies Sentinel's tokens (cached by them for five minutes). */
  @Get('.well-known/jwks.json')
  @Public()
  @Audit('signing-keys.jwks', { resource: 'jwt-signing-key' })
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'The public keys that verify Sentinel’s access tokens (JWKS).' })
  @ApiOkResponse({ type: JwksDto })
  async jwks(): Promise<JwksDto> {
    const keys = await this.keys.published();
    return { keys: keys.map((key) => ({ ...key.publicJwk, kid: key.kid, alg: key.algorithm, use: 'sig' })) };
  }

  @Post('signing-keys/rotate')
  @Authenticated({ permissions: [Permission.SecretsManage], interactiveOnly: true })
  @Audit('signing-keys.rotate', { resource: 'jwt-signing-key' })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Sign new tokens with a new key now; tokens of the previous key stay valid until they expire.',
  })
  @ApiOkResponse({ type: RotatedSigningKeyDto })
  async rotate(): Promise<RotatedSigningKeyDto> {
    return { kid: await this.keys.rotate('manual') };
  }
}

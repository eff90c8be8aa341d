import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audit, ComputesOnly } from '../../audit/decorators/audit.decorator';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { Authenticated } from '../../access/decorators/authenticated.decorator';
import { CurrentUser } from '../../auth/decorators/current-user.decorator';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator';
import { Permission } from '../../rbac/permission';
import {
  CiphertextDto,
  ConfigureTransitKeyDto,
  CreateTransitKeyDto,
  DecryptedDto,
  EncryptDto,
  EncryptedDto,
  TransitKeyDto,
} from './dto/transit.dto';
import { TransitService } from './transit.service';

const RESOURCE = { resource: 'transit-key', idParam: 'name' } as const;

@ApiTags('transit')
@Controller('transit/keys')
export class TransitController {
  constructor(private readonly transit: TransitService) {}

  @Post()
  @Authenticated({ permissions: [Permission.TransitManage] })
  @Audit('transit.key-create', { resource: 'transit-key' })
  @ApiOperation({ summary: 'Create a named encryption key (version 1).' })
  @ApiCreatedResponse({ type: TransitKeyDto })
  @ApiErrorResponses(400, 409)
  create(@CurrentUser() caller: AuthenticatedUser, @Body() body: CreateTransitKeyDto): Promise<TransitKeyDto> {
    return this.transit.createKey(caller, body.name);
  }

  @Get(':name')
  @Authenticated({ permissions: [Permission.TransitManage] })
  @Audit('transit.key-describe', RESOURCE)
  @ApiOperation({ summary: 'A key’s versions and configuration; never key material.' })
  @ApiOkResponse({ type: TransitKeyDto })
  @ApiErrorResponses(404)
  describe(@Param('name') name: string): Promise<TransitKeyDto> {
    return this.transit.describe(name);
  }

  @Patch(':name')
  @Authenticated({ permissions: [Permission.TransitManage] })
  @Audit('transit.key-configure', RESOURCE)
  @ApiOperation({ summary: 'Set minDecryptionVersion and deletionAllowed.' })
  @ApiOkResponse({ type: TransitKeyDto })
  @ApiErrorResponses(400, 404)
  configure(@Param('name') name: string, @Body() body: ConfigureTransitKeyDto): Promise<TransitKeyDto> {
    return this.transit.configure(name, body);
  }

  @Delete(':name')
  @Authenticated({ permissions: [Permission.TransitManage] })
  @Audit('transit.key-delete', RESOURCE)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a key (only with deletionAllowed): its ciphertexts become undecryptable.' })
  @ApiErrorResponses(404, 409)
  async remove(@Param('name') name: string): Promise<void> {
    await this.transit.deleteKey(name);
  }

  @Post(':name/rotate')
  @Authenticated({ permissions: [Permission.TransitManage] })
  @Audit('transit.key-rotate', RESOURCE)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Add a version; new encryptions use it, older versions still decrypt.' })
  @ApiOkResponse({ type: TransitKeyDto })
  @ApiErrorResponses(404)
  rotate(@Param('name') name: string): Promise<TransitKeyDto> {
    return this.transit.rotateKey(name);
  }

  @Post(':name/encrypt')
  @Authenticated({ permissions: [Permission.TransitEncrypt] })
  @Audit('transit.encrypt', RESOURCE)
  @ComputesOnly()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Encrypt base64 plaintext under the latest version: sentinel:v<N>:<base64>.' })
  @ApiOkResponse({ type: EncryptedDto })
  @ApiErrorResponses(400, 404, 422)
  encrypt(@Param('name') name: string, @Body() body: EncryptDto): Promise<EncryptedDto> {
    return this.transit.encrypt(name, body);
  }

  @Post(':name/decrypt')
  @Authenticated({ permissions: [Permission.TransitDecrypt] })
  @Audit('transit.decrypt', RESOURCE)
  @ComputesOnly()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Decrypt a ciphertext of this key (with the same context).' })
  @ApiOkResponse({ type: DecryptedDto })
  @ApiErrorResponses(400, 404, 422)
  decrypt(@Param('name') name: string, @Body() body: CiphertextDto): Promise<DecryptedDto> {
    return this.transit.decrypt(name, body);
  }

  @Post(':name/rewrap')
  @Authenticated({ permissions: [Permission.TransitEncrypt, Permission.TransitDecrypt] })
  @Audit('transit.rewrap', RESOURCE)
  @ComputesOnly()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Re-encrypt under the latest version without revealing the plaintext.' })
  @ApiOkResponse({ type: EncryptedDto })
  @ApiErrorResponses(400, 404, 422)
  rewrap(@Param('name') name: string, @Body() body: CiphertextDto): Promise<EncryptedDto> {
    return this.transit.rewrap(name, body);
  }
}

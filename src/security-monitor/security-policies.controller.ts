import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post } from '@nestjs/common';
import { Authenticated } from '../access/decorators/authenticated.decorator';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audit } from '../audit/decorators/audit.decorator';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { Permission } from '../rbac/permission';
import { CreatePolicyDto, PolicyDto, UpdatePolicyDto } from './dto/policy.dto';
import { RecordIdParamDto } from './dto/record-id-param.dto';
import { PoliciesService } from './policies/policies.service';

@ApiTags('security')
@Authenticated({ permissions: [Permission.SecurityRead] })
@Controller('security/policies')
export class SecurityPoliciesController {
  constructor(private readonly policies: PoliciesService) {}

  @Get()
  @Audit('security.policies.list', { resource: 'security-policy' })
  @ApiOperation({ summary: 'Every policy, highest priority first.' })
  @ApiOkResponse({ type: [PolicyDto] })
  async list(): Promise<PolicyDto[]> {
    return (await this.policies.list()).map((policy) => PolicyDto.from(policy));
  }

  @Get(':id')
  @Audit('security.policies.get', { resource: 'security-policy', idParam: 'id' })
  @ApiOperation({ summary: 'One policy.' })
  @ApiOkResponse({ type: PolicyDto })
  @ApiErrorResponses(400, 404)
  async get(@Param() params: RecordIdParamDto): Promise<PolicyDto> {
    return PolicyDto.from(await this.policies.get(params.id));
  }

  @Post()
  @Authenticated({ permissions: [Permission.SecurityManage] })
  @Audit('security.policies.create', { resource: 'security-policy' })
  @ApiOperation({ summary: 'Add a policy; its config is validated for its type. In force at once on every instance.' })
  @ApiCreatedResponse({ type: PolicyDto })
  @ApiErrorResponses(400, 409)
  async create(@CurrentUser() caller: AuthenticatedUser, @Body() body: CreatePolicyDto): Promise<PolicyDto> {
    return PolicyDto.from(await this.policies.create(caller, body));
  }

  @Patch(':id')
  @Authenticated({ permissions: [Permission.SecurityManage] })
  @Audit('security.policies.update', { resource: 'security-policy', idParam: 'id' })
  @ApiOperation({ summary: 'Change a policy (config, active, simulation, priority); in force at once.' })
  @ApiOkResponse({ type: PolicyDto })
  @ApiErrorResponses(400, 404)
  async update(@Param() params: RecordIdParamDto, @Body() body: UpdatePolicyDto): Promise<PolicyDto> {
    return PolicyDto.from(await this.policies.update(params.id, body));
  }

  @Delete(':id')
  @Authenticated({ permissions: [Permission.SecurityManage] })
  @Audit('security.policies.delete', { resource: 'security-policy', idParam: 'id' })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Remove a policy; its blocks stay until they end.' })
  @ApiErrorResponses(400, 404)
  async remove(@Param() params: RecordIdParamDto): Promise<void> {
    await this.policies.remove(params.id);
  }
}

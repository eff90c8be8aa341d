import { ApiProperty } from '@nestjs/swagger';
import { IsRecordId } from '../../common/validation/is-record-id.decorator';

/** `:id` of a security event, policy, block or alert: a bigint record id. */
export class RecordIdParamDto {
  @ApiProperty({ example: '1' })
  @IsRecordId()
  id!: string;
}

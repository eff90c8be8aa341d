import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBase64, IsBoolean, IsInt, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { UnlessAbsent } from '../../../common/validation/unless-absent.decorator';

export const TRANSIT_KEY_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** 1 MiB of plaintext, base64-encoded. */
const MAX_BASE64 = 1_398_104;

export class CreateTransitKeyDto {
  @ApiProperty({ example: 'payments-pii' })
  @IsString()
  @Matches(TRANSIT_KEY_NAME, { message: 'name must be 1 to 128 characters of [A-Za-z0-9_.-]' })
  name!: string;
}

export class ConfigureTransitKeyDto {
  @ApiPropertyOptional({ description: 'Ciphertexts of older versions are refused.' })
  @UnlessAbsent()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  minDecryptionVersion?: number;

  @ApiPropertyOptional()
  @UnlessAbsent()
  @IsBoolean()
  deletionAllowed?: boolean;
}

export class EncryptDto {
  @ApiProperty({ description: 'base64', writeOnly: true })
  @IsString()
  @MaxLength(MAX_BASE64)
  @IsBase64()
  plaintext!: string;

  @ApiPropertyOptional({ description: 'base64; bound as associated data: decryption needs the same context.' })
  @UnlessAbsent()
  @IsString()
  @MaxLength(4096)
  @IsBase64()
  context?: string;
}

export class CiphertextDto {
  @ApiProperty({ example: 'sentinel:v1:…' })
  @IsString()
  @Length(1, MAX_BASE64 + 64)
  ciphertext!: string;

  @ApiPropertyOptional({ description: 'base64; the context given to encrypt.' })
  @UnlessAbsent()
  @IsString()
  @MaxLength(4096)
  @IsBase64()
  context?: string;
}

export class EncryptedDto {
  @ApiProperty({ example: 'sentinel:v1:…' }) ciphertext!: string;
  @ApiProperty() keyVersion!: number;
}

export class DecryptedDto {
  @ApiProperty({ description: 'base64' }) plaintext!: string;
}

export class TransitKeyVersionDto {
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: string;
}

export class TransitKeyDto {
  @ApiProperty() name!: string;
  @ApiProperty() latestVersion!: number;
  @ApiProperty() minDecryptionVersion!: number;
  @ApiProperty() deletionAllowed!: boolean;
  @ApiProperty({ example: 'aes256-gcm96' }) type!: string;
  @ApiProperty({ type: [TransitKeyVersionDto] }) versions!: TransitKeyVersionDto[];
  @ApiProperty() createdAt!: string;
}

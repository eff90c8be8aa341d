import { ValidateIf } from 'class-validator';

/**
 * For optional fields that must not be null: skips validation only when the
 * field is absent, so `null` still meets the field's other rules (and is a 400)
 * instead of reaching a NOT NULL column. @IsOptional() would let null through.
 */
export const UnlessAbsent = (): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);

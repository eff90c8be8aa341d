import { ValidateBy, type ValidationOptions } from 'class-validator';

const BIGINT_MAX = 9_223_372_036_854_775_807n;

/** A positive bigint record id, as text: digits only and within PostgreSQL's bigint, so it never reaches a query as an error. */
export function IsRecordId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRecordId',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && /^\d{1,19}$/.test(value) && BigInt(value) <= BIGINT_MAX,
        defaultMessage: (args) => `${args?.property ?? 'value'} must be a record id (a whole number below 2^63)`,
      },
    },
    options,
  );
}

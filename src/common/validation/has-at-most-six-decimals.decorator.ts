import { buildMessage, ValidateBy } from 'class-validator';

/** At most six decimals, as a numeric(_, 6) column keeps (IsNumber's maxDecimalPlaces throws on 1e-7). */
export function HasAtMostSixDecimals(): PropertyDecorator {
  return ValidateBy({
    name: 'hasAtMostSixDecimals',
    validator: {
      validate: (value: unknown) => typeof value === 'number' && Number(value.toFixed(6)) === value,
      defaultMessage: buildMessage((prefix) => `${prefix}$property must have at most 6 decimal places`),
    },
  });
}

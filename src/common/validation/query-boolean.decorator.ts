import { Transform } from 'class-transformer';

/** Reads `?flag=true|false` as a boolean; any other value stays a string and fails @IsBoolean. */
export function QueryBoolean(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value));
}

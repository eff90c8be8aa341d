import { SetMetadata } from '@nestjs/common';

export const TRACK_EXTERNAL_CALL = 'sentinel:trackExternalCall';

type AsyncMethod = (...args: never[]) => Promise<unknown>;

/**
 * Records every call of the decorated method as a call to the paid external
 * API `api`: its duration, outcome and cost, in the external_api_* series and
 * the stored record behind the cost summary. The outcome and cost come from
 * the method's own result where it carries them: `status` (a failure from 400
 * on), `ok` or `success`, and `cost`; a thrown error is a failed call (with
 * the error's `status` or `statusCode`, if any) and is rethrown. Without a
 * cost, the call costs what the API toggle of that name charges per call.
 */
export function TrackExternalCall(
  api: string,
): <T extends AsyncMethod>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<T>) => void {
  return (target, key, descriptor) => {
    SetMetadata(TRACK_EXTERNAL_CALL, api)(target, key, descriptor);
  };
}

import { storableIp } from '../../database/storable-value.util';
import { currentRequestContext } from './request-context';

/** The client of the request being served: its address (a real one, or none) and user agent (nothing outside a request). */
export interface RequestClient {
  ip: string | null;
  userAgent: string | null;
}

export function currentRequestClient(): RequestClient {
  const context = currentRequestContext();
  return { ip: storableIp(context?.ip), userAgent: context?.userAgent?.slice(0, 512) ?? null };
}

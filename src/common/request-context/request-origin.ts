import { currentRequestContext } from './request-context';

/** The client of the request being served: its address and user agent (nothing outside a request). */
export interface RequestClient {
  ip: string | null;
  userAgent: string | null;
}

export function currentRequestClient(): RequestClient {
  const context = currentRequestContext();
  return { ip: context?.ip ?? null, userAgent: context?.userAgent?.slice(0, 512) ?? null };
}

import { type HttpResult, request, type RequestOptions } from '../support/http';

export interface SecretMetadata {
  id: string;
  name: string;
  type: string;
  currentVersion: number;
  rotationIntervalDays: number;
  lastRotatedAt: string | null;
  nextRotationAt: string | null;
  isActive: boolean;
  casRequired: boolean;
  generatable: boolean;
  metadata: Record<string, string>;
}

export interface SecretDetail extends SecretMetadata {
  versions: { version: number; origin: string; deletedAt: string | null; destroyed: boolean }[];
  rotations: { fromVersion: number | null; toVersion: number; trigger: string; rotatedBy: string | null }[];
}

export interface SecretValue {
  name: string;
  version: number;
  value: string;
}

/** The path of a secret's route: names are path-like, so `/` is sent encoded. */
export const secretPath = (name: string, rest = ''): string => `/api/v1/secrets/${encodeURIComponent(name)}${rest}`;

/** Every answer a suite received, so a leak test can search them. */
export class ResponseLog {
  readonly entries: { path: string; method: string; text: string }[] = [];

  /** `request`, recording what came back. */
  async call<T>(baseUrl: string, path: string, options: RequestOptions = {}): Promise<HttpResult<T>> {
    const result = await request<T>(baseUrl, path, options);
    const text = typeof result.body === 'string' ? result.body : JSON.stringify(result.body);
    this.entries.push({ path, method: options.method ?? 'GET', text });
    return result;
  }
}

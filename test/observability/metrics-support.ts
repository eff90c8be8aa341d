import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { MetricsRecorder } from '../../src/observability/metrics/metrics-recorder.service';
import { request } from '../support/http';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text exposition, for reading values (expositionProblems checks the format itself). */
export function parseSamples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      // The label group is optional: absent, the sample has no labels.
      const labelText = line.includes('{') ? match[2] : '';
      const pairs = [...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)];
      const labels = Object.fromEntries(pairs.map((pair) => [pair[1], pair[2]]));
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

export async function scrape(baseUrl: string, headers: Record<string, string>): Promise<Sample[]> {
  const result = await request<string>(baseUrl, '/metrics', { headers });
  if (result.status !== 200) throw new Error(`scrape refused: ${result.status}`);
  return parseSamples(result.body);
}

export interface StoredRequest {
  method: string;
  route: string;
  status_code: number;
  duration_ms: number;
  weight: number;
}

/** Writes what the app still holds, then reads the stored request records straight from the table. */
export async function storedRequests(app: NestFastifyApplication): Promise<StoredRequest[]> {
  await app.get(MetricsRecorder).flush();
  return app
    .get(DataSource)
    .query<StoredRequest[]>('SELECT method, route, status_code, duration_ms, weight FROM http_request_metrics');
}

export function countOf(rows: StoredRequest[], method: string, route: string, status: number): number {
  return rows.filter((row) => row.method === method && row.route === route && row.status_code === status).length;
}

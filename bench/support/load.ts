import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A JSON body; `[<id>]` in it becomes a fresh id per request (for names that must be unique). */
  body?: string;
  /** The status every answer must have; anything else fails the round. */
  status: number;
  connections: number;
  /** Run for this long... */
  durationMs?: number;
  /** ...or until this many requests have been answered. */
  amount?: number;
}

export interface LoadResult {
  /** Answers with the expected status. */
  requests: number;
  seconds: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU the load generator itself used, as a share of one core (to show it was not the bottleneck). */
  generatorCpu: number;
}

/**
 * Closed-loop load with autocannon in this process (keep-alive connections, one request in flight per
 * connection). Throws when any answer has another status or a connection fails, so a rate limit, an
 * expired token or a crash never passes for a measurement.
 */
export async function load(spec: LoadSpec): Promise<LoadResult> {
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    headers: { ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }), ...spec.headers },
    body: spec.body,
    idReplacement: spec.body?.includes('[<id>]') ?? false,
    connections: spec.connections,
    pipelining: 1,
    ...(spec.amount === undefined ? { duration: (spec.durationMs ?? 5_000) / 1000 } : { amount: spec.amount }),
  });
  const cpu = process.cpuUsage(cpuBefore);
  const byStatus = Object.entries(result.statusCodeStats ?? {}).map(([code, stats]): [number, number] => [
    Number(code),
    stats.count ?? 0,
  ]);
  const expected = byStatus.find(([code]) => code === spec.status)?.[1] ?? 0;
  const others = byStatus.filter(([code]) => code !== spec.status);
  if (others.length > 0 || result.errors > 0) {
    const statuses = others.map(([code, count]) => `${count} x ${code}`).join(', ');
    throw new Error(
      `${spec.method ?? 'GET'} ${spec.url}: expected only ${spec.status}, got ${statuses || 'none other'}` +
        ` and ${result.errors} connection errors (${result.timeouts} timeouts)`,
    );
  }
  return {
    requests: expected,
    seconds: result.duration,
    rate: expected / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    generatorCpu: (cpu.user + cpu.system) / 1e6 / result.duration,
  };
}

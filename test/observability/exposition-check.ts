import { getMetricsFromIterator, type PromHistogramData, type PromMetrics } from 'prom2javascript';

/**
 * Reads a Prometheus text exposition (format 0.0.4) as strictly as
 * Prometheus's own text parser (expfmt) and `promtool check metrics` do, and
 * returns every problem found: an empty list means Prometheus would ingest it.
 *
 * Two readers: the line grammar of the format (names, label escapes, float
 * values, timestamps, one HELP and TYPE per family before its samples,
 * families not interleaved, a final newline), and an independent parser from
 * npm (prom2javascript, which refuses malformed samples and labels and a
 * histogram whose +Inf bucket is not its count), whose histograms are then
 * checked for cumulative buckets.
 */
export async function expositionProblems(text: string): Promise<string[]> {
  const problems = grammarProblems(text);
  try {
    problems.push(...histogramProblems(await getMetricsFromIterator(text.split('\n')[Symbol.iterator]())));
  } catch (error) {
    problems.push(`prom2javascript: ${error instanceof Error ? error.message : String(error)}`);
  }
  return problems;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE}`;
const FLOAT = '[+-]?(?:(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?|Inf|NaN)';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(?:${LABEL}(?:,${LABEL})*,?)?\\})? (${FLOAT})(?: -?\\d+)?$`);
const HELP = new RegExp(`^# HELP (${NAME})(?: (?:[^\\\\]|\\\\[\\\\n])*)?$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

function grammarProblems(text: string): string[] {
  const problems: string[] = [];
  if (text.length > 0 && !text.endsWith('\n')) problems.push('the exposition does not end with a newline');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const finished = new Set<string>();
  let current: string | undefined;
  const enter = (family: string, line: string): void => {
    if (family === current) return;
    if (finished.has(family)) problems.push(`family ${family} is interleaved with another: ${line}`);
    if (current) finished.add(current);
    current = family;
  };
  for (const line of text.split('\n').filter((l) => l.length > 0)) {
    const help = HELP.exec(line);
    const type = TYPE.exec(line);
    if (help) {
      if (helps.has(help[1])) problems.push(`second HELP for ${help[1]}`);
      helps.add(help[1]);
      enter(help[1], line);
    } else if (type) {
      if (types.has(type[1])) problems.push(`second TYPE for ${type[1]}`);
      if (current === type[1] && finished.has(type[1])) problems.push(`TYPE after samples of ${type[1]}`);
      types.set(type[1], type[2]);
      enter(type[1], line);
    } else if (line.startsWith('# HELP') || line.startsWith('# TYPE')) {
      problems.push(`malformed HELP or TYPE line: ${line}`);
    } else if (!line.startsWith('#')) {
      const sample = SAMPLE.exec(line);
      if (!sample) {
        problems.push(`malformed sample line: ${line}`);
        continue;
      }
      const labelNames = [...line.matchAll(new RegExp(`[{,]([a-zA-Z_][a-zA-Z0-9_]*)=${LABEL_VALUE}`, 'g'))].map(
        (m) => m[1],
      );
      if (new Set(labelNames).size !== labelNames.length) problems.push(`duplicate label name: ${line}`);
      enter(familyOf(sample[1], types), line);
    }
  }
  for (const [name, type] of types) {
    if (type === 'counter' && !name.endsWith('_total')) problems.push(`counter ${name} should end in _total`);
  }
  return problems;
}

/** A sample's family: its name, or the name less a histogram/summary suffix when that family is declared. */
function familyOf(name: string, types: Map<string, string>): string {
  for (const [family, type] of types) {
    if ((SUFFIXES[type] ?? []).some((suffix) => `${family}${suffix}` === name)) return family;
  }
  return name;
}

function histogramProblems(metrics: PromMetrics): string[] {
  const problems: string[] = [];
  for (const [name, metric] of Object.entries(metrics)) {
    if (metric.type !== 'histogram') continue;
    for (const { buckets, count } of metric.data as PromHistogramData[]) {
      const bounds = Object.keys(buckets).sort((a, b) => Number(a) - Number(b));
      if (!('+Inf' in buckets)) problems.push(`histogram ${name} has no +Inf bucket`);
      else if (buckets['+Inf'] !== count) problems.push(`histogram ${name}: +Inf bucket differs from _count`);
      const counts = bounds.map((bound) => buckets[bound]);
      if (counts.some((value, i) => i > 0 && value < counts[i - 1])) {
        problems.push(`histogram ${name}: buckets are not cumulative`);
      }
    }
  }
  return problems;
}

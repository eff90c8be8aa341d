import { expositionProblems } from './exposition-check';

const GOOD = [
  '# HELP http_requests_total Requests.',
  '# TYPE http_requests_total counter',
  'http_requests_total{method="GET",route="/a\\"b\\\\c\\n"} 3',
  '# HELP latency_seconds Latency.',
  '# TYPE latency_seconds histogram',
  'latency_seconds_bucket{le="0.1",route="/a"} 1',
  'latency_seconds_bucket{le="+Inf",route="/a"} 2',
  'latency_seconds_sum{route="/a"} 0.3',
  'latency_seconds_count{route="/a"} 2',
  'latency_seconds_bucket{le="0.1",route="/b"} 0',
  'latency_seconds_bucket{le="+Inf",route="/b"} 5',
  'latency_seconds_sum{route="/b"} 1.5',
  'latency_seconds_count{route="/b"} 5',
  '# TYPE up gauge',
  'up 1 1700000000000',
  '',
].join('\n');

describe('the strict exposition check the /metrics test relies on', () => {
  it('accepts a well-formed exposition', async () => {
    expect(await expositionProblems(GOOD)).toEqual([]);
  });

  it.each([
    ['an unquoted label value', '# TYPE a gauge\na{m=GET} 1\n'],
    ['a value that is not a float', '# TYPE a gauge\na abc\n'],
    ['trailing fields', '# TYPE a gauge\na 1 2 3\n'],
    ['a second TYPE', '# TYPE a gauge\n# TYPE a gauge\na 1\n'],
    ['a name starting with a digit', '# TYPE a gauge\n1a 1\n'],
    ['an unterminated label value', '# TYPE a gauge\na{m="x} 1\n'],
    ['an unknown escape', '# TYPE a gauge\na{m="\\q"} 1\n'],
    ['a duplicate label', '# TYPE a gauge\na{m="1",m="2"} 1\n'],
    ['interleaved families', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n'],
    ['no final newline', '# TYPE a gauge\na 1'],
    ['a counter without _total', '# TYPE requests counter\nrequests 1\n'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['a +Inf bucket unlike _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'],
    ['buckets that shrink', '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n'],
  ])('refuses %s', async (_case, text) => {
    expect(await expositionProblems(text)).not.toEqual([]);
  });
});

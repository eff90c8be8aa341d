import { parseResults, reportResult } from './result';

describe('bench RESULT lines', () => {
  it('reads back what a bench reported, among its other output', () => {
    const written: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const result = {
      bench: 'api-key',
      figure: 'GET /api/v1/agents through an API key',
      value: 1234.5,
      unit: 'req/s',
      baseline: { name: 'the same route through a JWT', value: 1300 },
      goal: '>= 0.90x',
    };
    reportResult(result);
    write.mockRestore();

    const output = ['API key vs JWT ...', '  API key / JWT = 0.95x', ...written, 'RESULTING in nothing'].join('\n');
    expect(parseResults(output)).toEqual([result]);
  });
});

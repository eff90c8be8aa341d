import { type CallFrame, type CpuProfile, moduleOf, summarize } from './cpu-profile';

const ROOT = '/srv/sentinel';

function frame(functionName: string, url: string): CallFrame {
  return { functionName, url, lineNumber: 9, columnNumber: 0 };
}

describe('moduleOf', () => {
  it.each([
    [frame('verify', 'file:///srv/sentinel/node_modules/jsonwebtoken/verify.js'), 'jsonwebtoken'],
    [frame('handle', 'file:///srv/sentinel/node_modules/@nestjs/core/router/x.js'), '@nestjs/core'],
    [frame('inner', '/srv/sentinel/node_modules/a/node_modules/b/index.js'), 'b'],
    [frame('authenticate', 'file:///srv/sentinel/dist/src/auth/sessions/session.service.js'), 'src/auth'],
    [frame('bootstrap', 'file:///srv/sentinel/dist/src/main.js'), 'src'],
    [frame('createPublicKey', 'node:internal/crypto/keys'), 'node:internal/crypto'],
    [frame('emit', 'node:events'), 'node:events'],
    [frame('(garbage collector)', ''), '(garbage collector)'],
  ])('%o is in %s', (callFrame, expected) => {
    expect(moduleOf(callFrame, ROOT, '(caller)')).toBe(expected);
  });

  it("counts a builtin without a script in its caller's module", () => {
    expect(moduleOf(frame('stringify', ''), ROOT, 'pg')).toBe('pg');
  });
});

describe('summarize', () => {
  // (root) -> handler (src/platform) -> verify (jsonwebtoken) -> createPublicKey (node:internal/crypto); and (idle).
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 5] },
      {
        id: 2,
        callFrame: frame('handler', `file://${ROOT}/dist/src/platform/agents/agents.controller.js`),
        children: [3],
      },
      { id: 3, callFrame: frame('verify', `file://${ROOT}/node_modules/jsonwebtoken/verify.js`), children: [4] },
      { id: 4, callFrame: frame('createPublicKey', 'node:internal/crypto/keys') },
      { id: 5, callFrame: frame('(idle)', '') },
    ],
    startTime: 1_000,
    // Samples at 1100, 1200, 1300, 1400, 1500; the profile ends at 1600: every sample weighs 100 µs.
    samples: [4, 4, 3, 2, 5],
    timeDeltas: [100, 100, 100, 100, 100],
    endTime: 1_600,
  };

  it('gives self and total time by module and function, idle apart', () => {
    const summary = summarize([profile], ROOT);
    expect(summary).toMatchObject({ samples: 5, sampledUs: 500, idleUs: 100, busyUs: 400 });
    const modules = Object.fromEntries(summary.byModule.map((entry) => [entry.name, [entry.selfUs, entry.totalUs]]));
    expect(modules).toEqual({
      'node:internal/crypto': [200, 200],
      jsonwebtoken: [100, 300],
      'src/platform': [100, 400],
    });
    expect(summary.byFunction[0]).toEqual({
      name: 'createPublicKey node:internal/crypto/keys:10',
      module: 'node:internal/crypto',
      selfUs: 200,
      totalUs: 200,
    });
  });

  it('keeps only the samples taken inside the window', () => {
    const summary = summarize([profile], ROOT, { fromUs: 1_250, toUs: 1_450 });
    expect(summary.samples).toBe(2);
    // 1300 (verify) and 1400 (handler): equal self time, so the larger total comes first.
    expect(summary.byModule.map((entry) => [entry.name, entry.selfUs, entry.totalUs])).toEqual([
      ['src/platform', 100, 200],
      ['jsonwebtoken', 100, 100],
    ]);
  });
});

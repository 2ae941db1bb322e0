/** Import direction and cycle rules from DESIGN.md ("Packages and the direction of imports"). */
const impure = '^(libp2p|@libp2p/|@chainsafe/|electron|react|react-dom|ws|fastify|node:child_process|child_process|node:net|net|node:http|http|node:https|https|node:dgram|dgram|node:tls|tls)'
module.exports = {
  forbidden: [
    { name: 'no-unresolvable', severity: 'error', comment: 'Every import resolves (a typo or a missing package fails here).', from: {}, to: { couldNotResolve: true } },
    { name: 'no-circular', severity: 'error', comment: 'No import cycles anywhere.', from: {}, to: { circular: true } },
    {
      name: 'core-is-pure', severity: 'error',
      comment: 'packages/core imports no DevQ package and no network, process or UI module.',
      from: { path: '^packages/core/src' },
      to: { path: ['^packages/(p2p|runner|node)', '^apps/'] }
    },
    {
      name: 'core-no-io-modules', severity: 'error',
      from: { path: '^packages/core/src' },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], pathNot: '^packages/', path: impure }
    },
    { name: 'p2p-not-runner', severity: 'error', from: { path: '^packages/p2p' }, to: { path: '^packages/runner' } },
    { name: 'runner-not-p2p', severity: 'error', from: { path: '^packages/runner' }, to: { path: '^packages/p2p' } },
    { name: 'p2p-runner-core-only', severity: 'error', from: { path: '^packages/(p2p|runner)' }, to: { path: '^packages/node' } },
    { name: 'nothing-imports-apps', severity: 'error', from: { pathNot: '^apps/' }, to: { path: '^apps/' } },
    { name: 'packages-not-scripts', severity: 'error', from: { path: '^(packages|apps)/' }, to: { path: '^scripts/' } },
    {
      name: 'renderer-only-core-types', severity: 'error',
      comment: 'The renderer imports only core types and its own API client.',
      from: { path: '^apps/desktop/src/renderer' },
      to: { path: ['^packages/(p2p|runner|node)', '^apps/desktop/src/(main|preload)'] }
    },
    {
      name: 'desktop-main-node-core-only', severity: 'error',
      comment: 'The main process and the channel map embed a node through @devq/node and use core; never p2p or runner directly.',
      from: { path: '^apps/desktop/src/(main|shared)' },
      to: { path: '^packages/(p2p|runner)' }
    },
    {
      name: 'desktop-main-renderer-types-only', severity: 'error',
      comment: 'Main and the channel map read the renderer API\'s types, never renderer code.',
      from: { path: '^apps/desktop/src/(main|shared)' },
      to: { path: '^apps/desktop/src/renderer', dependencyTypesNot: ['type-only'] }
    },
    {
      name: 'shared-not-main-or-preload', severity: 'error',
      from: { path: '^apps/desktop/src/shared' },
      to: { path: '^apps/desktop/src/(main|preload)' }
    },
    {
      name: 'preload-electron-channels-types', severity: 'error',
      comment: 'The sandboxed preload requires only electron at run time; it reads the channel map and the renderer API as types.',
      from: { path: '^apps/desktop/src/preload' },
      to: { pathNot: ['^apps/desktop/src/(preload|shared)/', '^apps/desktop/src/renderer/api/(client|types)\\.ts$', '^node_modules/electron/'] }
    },
    {
      name: 'preload-types-only', severity: 'error',
      from: { path: '^apps/desktop/src/preload' },
      to: { path: '^apps/desktop/src/(shared|renderer)/', dependencyTypesNot: ['type-only'] }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'] }
  }
}

/** Package boundaries (../shared/DESIGN.md "Layout"): enforced by `npm run lint`. */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Import cycles make start-up order and testing fragile.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-deep-imports',
      severity: 'error',
      comment:
        'Another package is reached through its public face (src/index.ts), never its files.',
      from: { path: '^(libs|services|tools|test)/([^/]+)/' },
      to: {
        dependencyTypes: ['local'],
        path: '^(libs|services|tools|test)/',
        pathNot: ['^$1/$2/'],
      },
    },
    {
      name: 'libs-never-import-services',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^(services|tools)/' },
    },
    {
      name: 'services-never-import-services',
      severity: 'error',
      comment: 'Services meet only through libs/contracts over gRPC, or through the event log.',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/|/src/gen/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};

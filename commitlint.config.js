// Commit messages follow Conventional Commits (https://www.conventionalcommits.org), from the commit
// `build: dev dependencies for release engineering` onward (test/commits.test.ts checks them): the
// release tooling reads them to pick the next version and write CHANGELOG.md (docs/releasing.md).
// Two rules of config-conventional are relaxed to fit the history already written, which is not rewritten.
module.exports = {
  extends: ['@commitlint/config-conventional'],
  rules: {
    // 100 → 120: the adoption commit itself has a 112-character subject. Keep subjects short anyway:
    // they become CHANGELOG lines.
    'header-max-length': [2, 'always', 120],
    // Off: subjects may start with a proper name or a file name (`CycloneDX SBOM of…`, `CHANGELOG.md, …`),
    // which the rule takes for sentence case.
    'subject-case': [0],
  },
};

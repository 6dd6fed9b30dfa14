// Commit messages follow Conventional Commits (https://www.conventionalcommits.org), from the commit
// `build: dev dependencies for release engineering` onward (test/commits.test.ts checks them): the
// release tooling reads them to pick the next version and write CHANGELOG.md (docs/releasing.md).
module.exports = {
  extends: ['@commitlint/config-conventional'],
  rules: {
    // config-conventional's 100 is relaxed to 120: the adoption commit itself has a 112-character
    // subject, and history is not rewritten. Keep subjects short anyway: they become CHANGELOG lines.
    'header-max-length': [2, 'always', 120],
  },
};

/**
 * Starter `.devq.yml` files, suggested when a commit has none: one per build system DevQ
 * recognizes from the files at the top of the tree, and a generic one.
 */

/** A build system recognized by a file at the top of the repository. */
export type BuildSystem = 'make' | 'npm' | 'cargo' | 'go' | 'generic'

const MARKERS: readonly [string, BuildSystem][] = [
  ['Makefile', 'make'], ['makefile', 'make'], ['GNUmakefile', 'make'],
  ['package.json', 'npm'], ['Cargo.toml', 'cargo'], ['go.mod', 'go']
]

const STARTERS: Record<BuildSystem, string> = {
  make: `version: 1
jobs:
  build:
    workspace: incremental
    steps:
      - make -j"$(nproc)"
    artifacts:
      - name: build-output
        kind: binary
        paths: [build/**]
  test:
    needs: build
    steps:
      - make test
`,
  npm: `version: 1
jobs:
  test:
    steps:
      - npm ci
      - npm test
  package:
    needs: test
    steps:
      - npm ci
      - npm pack
    artifacts:
      - name: npm-package
        kind: package
        paths: ["*.tgz"]
`,
  cargo: `version: 1
jobs:
  test:
    workspace: incremental
    steps:
      - cargo test --locked
  build:
    needs: test
    workspace: incremental
    steps:
      - cargo build --release --locked
    artifacts:
      - name: release-binaries
        kind: binary
        paths: [target/release/*]
        exclude: [target/release/*.d]
`,
  go: `version: 1
jobs:
  test:
    steps:
      - go vet ./...
      - go test ./...
  build:
    needs: test
    steps:
      - mkdir -p dist && go build -o dist/ ./...
    artifacts:
      - name: binaries
        kind: binary
        paths: [dist/*]
`,
  generic: `version: 1
jobs:
  build:
    steps:
      - name: build
        run: ./build.sh
    artifacts:
      - name: output
        kind: binary
        paths: [dist/**]
`
}

/** The build system the top-level entry names suggest (the first marker found), else `generic`. */
export function detectBuildSystem (topLevel: readonly string[]): BuildSystem {
  for (const [file, system] of MARKERS) if (topLevel.includes(file)) return system
  return 'generic'
}

/** A starter `.devq.yml` for the repository whose top-level entries are `topLevel`. */
export function starterPipeline (topLevel: readonly string[]): { buildSystem: BuildSystem, text: string } {
  const buildSystem = detectBuildSystem(topLevel)
  return { buildSystem, text: STARTERS[buildSystem] }
}

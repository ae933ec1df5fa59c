/**
 * Every `node cli/mobius-deploy.js …` / `mobius-deploy …` command written in the documents names a
 * command, subcommand and options the real program has, and every `npm run X` names a script.
 * The program is the CLI's own commander program (src/deploy/cli/main.ts buildProgram).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadProgram, REPO_ROOT } from '../support/cli-docs.js';
import {
  checkCommandsInFile,
  checkInvocation,
  checkLinks,
  checkNpmRuns,
  findCommands,
  formatProblems,
  invocationsIn,
  markdownAnchors,
} from '../support/docs-commands.js';

function readRepoFile(path: string): string | undefined {
  const full = join(REPO_ROOT, path);
  if (!existsSync(full)) return undefined;
  return statSync(full).isDirectory() ? '' : readFileSync(full, 'utf8');
}

function documents(): string[] {
  const files = ['README.md', 'examples/README.md', 'k8s/README.md'];
  const docs = join(REPO_ROOT, 'docs');
  if (existsSync(docs)) {
    for (const f of readdirSync(docs).sort()) if (f.endsWith('.md')) files.push(`docs/${f}`);
  }
  const workflows = join(REPO_ROOT, '.github', 'workflows');
  if (existsSync(workflows)) {
    for (const f of readdirSync(workflows).sort())
      if (/\.ya?ml$/.test(f)) files.push(`.github/workflows/${f}`);
  }
  return files.filter((f) => existsSync(join(REPO_ROOT, f)));
}

const program = loadProgram();

describe('the checker itself', () => {
  it('finds invocations in code blocks, inline spans, pipelines, substitutions and continuations', () => {
    const md = [
      'Run `node cli/mobius-deploy.js status -n production` daily; the `mobius-deploy` bin is the same.',
      '```sh',
      'ID=$(node cli/mobius-deploy.js incident open --level 2 --summary "x y" -o json | jq -r .incident.id)',
      'node cli/mobius-deploy.js deploy --env staging \\',
      '  --image-tag 1.4.2   # a comment --bogus',
      'kubectl get pods --field-manager=mobius-deploy',
      '```',
    ].join('\n');
    const found = findCommands('x.md', md);
    assert.deepEqual(
      found.map((f) => [f.line, f.args]),
      [
        [1, ['status', '-n', 'production']],
        [1, []],
        [3, ['incident', 'open', '--level', '2', '--summary', 'x y', '-o', 'json']],
        [4, ['deploy', '--env', 'staging', '--image-tag', '1.4.2']],
      ],
    );
    assert.deepEqual(invocationsIn('mobius-deploy deploy --image-tag <the live tag> --reason x <in >out'), [
      ['deploy', '--image-tag', '<the live tag>', '--reason', 'x'],
    ]);
    assert.deepEqual(
      invocationsIn('scripts/verify-deployment.sh --env production --smoke; ./scripts/x.sh -q'),
      [['verify', '--env', 'production', '--smoke']],
    );
    assert.deepEqual(invocationsIn('PREVIEW_API_TOKEN=abc mobius-deploy verify --smoke > out.json'), [
      ['verify', '--smoke'],
    ]);
  });

  it('flags unknown commands, subcommands, options, bad choices and extra arguments', () => {
    assert.deepEqual(checkInvocation(program, ['status', '--namespace', 'production']), []);
    assert.deepEqual(checkInvocation(program, ['-n', 'x', 'verify', '--smoke', '-o', 'json']), []);
    assert.deepEqual(checkInvocation(program, ['incident', 'resolve', '<id>', '--cause', 'c']), []);
    assert.deepEqual(checkInvocation(program, ['<command>', '--help']), []);
    assert.match(checkInvocation(program, ['statuz']).join(), /no command "statuz"/);
    assert.match(
      checkInvocation(program, ['incident', 'close', 'x']).join(),
      /incident` has no command "close"/,
    );
    assert.match(checkInvocation(program, ['status', '--tail', '5']).join(), /status` has no option --tail/);
    assert.match(checkInvocation(program, ['status', '-o', 'xml']).join(), /does not accept "xml"/);
    assert.match(checkInvocation(program, ['status', 'extra']).join(), /takes no arguments/);
  });

  it('reports the file and line of a bad command, and npm scripts that do not exist', () => {
    const problems = checkCommandsInFile(
      program,
      'docs/X.md',
      'a\n\n```\nnode cli/mobius-deploy.js deploy --yolo\n```\n',
    );
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.line, 4);
    assert.match(formatProblems(problems), /^docs\/X\.md:4: `mobius-deploy deploy` has no option --yolo/);
    const npm = checkNpmRuns('R.md', 'run `npm run docs:cli` and `npm run nope`, or any `npm run bench:*`', {
      'docs:cli': 'x',
    });
    assert.deepEqual(
      npm.map((p) => p.message),
      ['npm run nope: package.json has no script "nope"'],
    );
  });
});

describe('the link checker', () => {
  it('finds missing files and headings, and knows GitHub anchors', () => {
    assert.ok(
      markdownAnchors('# A b\n## 1. Tools and access\n```\n# not a heading\n```\n## A b').has('a-b-1'),
    );
    assert.ok(markdownAnchors('## Deviations from DESIGN.md').has('deviations-from-designmd'));
    const files: Record<string, string> = { 'docs/B.md': '## Here it is\n' };
    const problems = checkLinks(
      'docs/A.md',
      'see [b](B.md#here-it-is), [c](B.md#gone), [d](../nope.md) and [e](https://x.y/z) and `[f](no.md)`',
      (p) => files[p],
    );
    assert.deepEqual(
      problems.map((p) => p.message),
      ['link to B.md#gone: docs/B.md has no heading #gone', 'link to ../nope.md: nope.md does not exist'],
    );
  });
});

describe('the documents', () => {
  const files = documents();
  const scripts = (
    JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;

  it('cover README.md and docs/', () => {
    assert.ok(files.includes('README.md'));
    assert.ok(files.some((f) => f.startsWith('docs/')));
  });

  for (const file of files.filter((f) => f.endsWith('.md'))) {
    it(`${file}: every relative link points at a file and heading that exist`, () => {
      const problems = checkLinks(file, readFileSync(join(REPO_ROOT, file), 'utf8'), readRepoFile);
      assert.equal(problems.length, 0, `Broken links:\n${formatProblems(problems)}`);
    });
  }

  for (const file of files) {
    it(`${file}: every mobius-deploy command and npm script exists`, () => {
      const content = readFileSync(join(REPO_ROOT, file), 'utf8');
      const problems = [
        ...checkCommandsInFile(program, file, content),
        ...checkNpmRuns(file, content, scripts),
      ];
      assert.equal(
        problems.length,
        0,
        `Commands in the docs that the CLI does not have:\n${formatProblems(problems)}`,
      );
    });
  }
});

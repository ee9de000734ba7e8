// No import cycles, type-only imports included, in the daemon, the web UI, provisioning and the image builder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'dist') out.push(...sources(abs));
    else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(abs);
  }
  return out;
}

/** Relative imports of a file (import, import type, export … from, dynamic import), resolved to .ts files. */
export function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const out: string[] = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), ref.fileName);
    const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, path.join(base, 'index.ts')];
    const hit = candidates.find((c) => c.endsWith('.ts') && fs.existsSync(c));
    if (hit) out.push(hit);
  }
  return out;
}

/** Every cycle found by a depth-first walk, each as a list of files relative to the repository. */
export function findCycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 'active');
    stack.push(f);
    for (const d of graph.get(f) ?? importsOf(f)) {
      if (state.get(d) === 'active') cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => path.relative(ROOT, x)));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

for (const dir of ['daemon/src', 'web/src', 'provisioning', 'image']) {
  test(`no import cycles in ${dir} (type-only imports included)`, () => {
    const files = sources(path.join(ROOT, dir));
    assert.ok(files.length > 5, `found the sources of ${dir}`);
    assert.deepEqual(findCycles(files), []);
  });
}

test('the cycle finder sees a cycle made only of type imports', () => {
  const dir = fs.mkdtempSync(path.join(ROOT, '.cycle-test-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b.js';\nexport interface A { b: B }\n");
    fs.writeFileSync(path.join(dir, 'b.ts'), "import { type A } from './a.js';\nexport interface B { a?: A }\n");
    fs.writeFileSync(path.join(dir, 'c.ts'), "export * from './a.js';\n");
    const cycles = findCycles(sources(dir));
    assert.equal(cycles.length, 1);
    assert.deepEqual(
      cycles[0]!.map((f) => path.basename(f)),
      ['a.ts', 'b.ts', 'a.ts'],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

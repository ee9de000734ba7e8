// The image steps in pi-gen's grammar, read from their sources (no root, no build): ids as file names, numbered in
// order, no step importing another, each step's files beside it, and --only selecting as provisioning's does.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { STEPS_DIR } from '../../image/lib/files.js';
import type { ImageStep } from '../../image/lib/step.js';
import { BUNDLE_STEPS, IMAGE_STEPS } from '../../image/steps/index.js';
import { selectSteps, stepIndex } from '../../provisioning/lib/select.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STEP_NAME = /^(\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*$/;

const stepSources = readdirSync(STEPS_DIR)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .sort();

/** Every module specifier a source imports or re-exports, static or dynamic. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const re of [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s+['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (const m of source.matchAll(re)) found.push(m[1]!);
  }
  return found;
}

function assertOrdered(steps: readonly ImageStep[], list: string): void {
  const numbers = steps.map((s) => Number(STEP_NAME.exec(s.id)?.[1]));
  for (let i = 1; i < numbers.length; i++) {
    assert.ok(numbers[i]! > numbers[i - 1]!, `${list}: ${steps[i]!.id} comes after ${steps[i - 1]!.id}, so its number must be larger`);
  }
}

test('image/steps holds NN-name.ts files, NN-name/ folders of files beside them, and index.ts: nothing else', () => {
  for (const entry of readdirSync(STEPS_DIR)) {
    const full = path.join(STEPS_DIR, entry);
    if (entry === 'index.ts') continue;
    if (statSync(full).isDirectory()) {
      assert.ok(existsSync(path.join(STEPS_DIR, `${entry}.ts`)), `image/steps/${entry}/ is no step's folder (no ${entry}.ts beside it)`);
      assert.deepEqual(readdirSync(full), ['files'], `image/steps/${entry}/ holds only files/ (pi-gen's NN-name/files/)`);
    } else {
      assert.match(entry, /\.ts$/, `image/steps/${entry}: a step's own files go in image/steps/<NN-name>/files/`);
      assert.match(entry.slice(0, -3), STEP_NAME, `image/steps/${entry} is not named NN-name.ts`);
    }
  }
});

test("each step's id is its file name, and index.ts lists every step file once", async () => {
  for (const file of stepSources) {
    const mod = (await import(path.join(STEPS_DIR, file))) as { step?: ImageStep };
    assert.ok(mod.step, `image/steps/${file} exports no step`);
    assert.equal(mod.step.id, file.slice(0, -3), `image/steps/${file} declares the id ${mod.step.id}`);
    assert.equal(IMAGE_STEPS.filter((s) => s === mod.step).length, 1, `image/steps/${file} is listed once in IMAGE_STEPS`);
  }
  assert.deepEqual(IMAGE_STEPS.map((s) => `${s.id}.ts`).sort(), stepSources);
  for (const s of BUNDLE_STEPS) assert.ok(IMAGE_STEPS.includes(s), `BUNDLE_STEPS' ${s.id} is one of IMAGE_STEPS`);
});

test('the numbering is strictly increasing in the declared order (image and bundle)', () => {
  assertOrdered(IMAGE_STEPS, 'IMAGE_STEPS');
  assertOrdered(BUNDLE_STEPS, 'BUNDLE_STEPS');
});

test('no step imports another step: what they share lives in image/lib/', () => {
  for (const file of stepSources) {
    for (const spec of specifiers(readFileSync(path.join(STEPS_DIR, file), 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(STEPS_DIR, spec);
      const rel = path.relative(STEPS_DIR, target);
      assert.ok(rel.startsWith('..') || path.isAbsolute(rel), `image/steps/${file} imports ${spec}, inside image/steps/`);
    }
  }
  // The reader finds imports at all (a broken pattern would pass everything above).
  assert.ok(specifiers(readFileSync(path.join(STEPS_DIR, 'index.ts'), 'utf8')).includes('./50-boot.js'));
});

test("every file in a step's files/ is named in that step's source", () => {
  for (const entry of readdirSync(STEPS_DIR)) {
    const files = path.join(STEPS_DIR, entry, 'files');
    if (!existsSync(files)) continue;
    const source = readFileSync(path.join(STEPS_DIR, `${entry}.ts`), 'utf8');
    for (const name of readdirSync(files)) assert.ok(source.includes(`'${name}'`), `image/steps/${entry}/files/${name} is not installed by ${entry}.ts`);
  }
});

test('--only and --from name steps by the exact id, as provisioning/apply.ts --only does', () => {
  assert.deepEqual(
    selectSteps(IMAGE_STEPS, ['70-disk', '50-boot']).map((s) => s.id),
    ['50-boot', '70-disk'],
    'declared order, whatever the order given',
  );
  assert.equal(selectSteps(IMAGE_STEPS, []).length, IMAGE_STEPS.length);
  assert.throws(() => selectSteps(IMAGE_STEPS, ['50', '99-nope']), /unknown step\(s\): 50, 99-nope; known: 00-inputs, /);
  assert.equal(IMAGE_STEPS[stepIndex(IMAGE_STEPS, '30-app')]?.id, '30-app');
  assert.throws(() => stepIndex(IMAGE_STEPS, '30'), /unknown step\(s\): 30;/);
  // build.ts itself goes through the shared selection, not a copy of it.
  assert.match(readFileSync(path.join(REPO, 'image/build.ts'), 'utf8'), /from '\.\.\/provisioning\/lib\/select\.js'/);
  assert.match(readFileSync(path.join(REPO, 'provisioning/apply.ts'), 'utf8'), /from '\.\/lib\/select\.js'/);
});

// Minifies src/beacon.js into Collector/Tracker/beacon.js (committed, so the collector builds without node).
// `node build.mjs --check` fails when the committed file is not what the source builds to (test.sh runs it).
import { readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { minify } from 'terser';

const source = new URL('./src/beacon.js', import.meta.url);
const target = new URL('../Collector/Tracker/beacon.js', import.meta.url);
const code = await readFile(source, 'utf8');
const result = await minify(code, {
  ecma: 2020,
  compress: { passes: 2 },
  mangle: true,
  format: { comments: /^!/ },
});
const built = result.code + '\n';
const gzipped = gzipSync(built, { level: 9 }).length;

if (process.argv.includes('--check')) {
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== built) {
    console.error('Collector/Tracker/beacon.js is not the build of tracker/src/beacon.js: run `npm run build` in tracker/ and commit it.');
    process.exit(1);
  }
  console.log(`Collector/Tracker/beacon.js is up to date (${built.length} bytes, ${gzipped} gzipped)`);
} else {
  await writeFile(target, built);
  console.log(`Collector/Tracker/beacon.js: ${built.length} bytes, ${gzipped} gzipped`);
}

// What the console's first load transfers: index.html and every file it references (scripts,
// module preloads, stylesheets, icon) plus config.json, as the precompressed copies the build
// writes (scripts/compress.mjs: brotli for browsers that accept it, gzip otherwise; the original
// when no copy is smaller). Prints a table, the first-load transfer and the largest script.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const files = ['index.html', 'config.json'];
for (const [, ref] of html.matchAll(/(?:src|href)="\/([^"]+)"/g)) if (!files.includes(ref)) files.push(ref);
const sized = (f, ext) => (existsSync(join(dist, f + ext)) ? statSync(join(dist, f + ext)).size : statSync(join(dist, f)).size);
const totals = { raw: 0, br: 0, gz: 0 };
const rows = files.map((f) => {
  const row = { f, raw: statSync(join(dist, f)).size, br: sized(f, '.br'), gz: sized(f, '.gz') };
  totals.raw += row.raw;
  totals.br += row.br;
  totals.gz += row.gz;
  return row;
});
const pad = (s, n) => String(s).padStart(n);
console.log(`${'file'.padEnd(40)} ${pad('bytes', 9)} ${pad('brotli', 9)} ${pad('gzip', 9)}`);
for (const r of rows) console.log(`${r.f.padEnd(40)} ${pad(r.raw, 9)} ${pad(r.br, 9)} ${pad(r.gz, 9)}`);
console.log(`${'first load'.padEnd(40)} ${pad(totals.raw, 9)} ${pad(totals.br, 9)} ${pad(totals.gz, 9)}`);
const scripts = rows.filter((r) => r.f.endsWith('.js')).sort((a, b) => b.raw - a.raw);
if (scripts[0]) console.log(`largest script: ${scripts[0].f}, ${scripts[0].raw} bytes (${scripts[0].br} brotli, ${scripts[0].gz} gzip)`);
console.log(`first-load transfer: ${totals.br} bytes with brotli, ${totals.gz} bytes with gzip`);

// What the console's first load transfers: index.html and every file it references (scripts,
// module preloads, stylesheets, icon) plus config.json, each gzip-compressed as CloudFront
// (Compress: true) and most servers send them. Prints a table and the total.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const files = ['index.html', 'config.json'];
for (const [, ref] of html.matchAll(/(?:src|href)="\/([^"]+)"/g)) if (!files.includes(ref)) files.push(ref);
let raw = 0;
let gzip = 0;
const rows = files.map((f) => {
  const bytes = readFileSync(join(dist, f));
  const zipped = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gzip += zipped;
  return [f, bytes.length, zipped];
});
const pad = (s, n) => String(s).padStart(n);
console.log(`${'file'.padEnd(40)} ${pad('bytes', 9)} ${pad('gzip', 9)}`);
for (const [f, b, z] of rows) console.log(`${f.padEnd(40)} ${pad(b, 9)} ${pad(z, 9)}`);
console.log(`${'first load'.padEnd(40)} ${pad(raw, 9)} ${pad(gzip, 9)}`);

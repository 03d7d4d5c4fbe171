// After `vite build`: writes a brotli (.br) and a gzip (.gz) copy beside each text asset of
// dist/, at the highest levels (done once per build, so the time does not matter), so that a
// server can send them as they are with `Content-Encoding` instead of compressing per request.
// A copy that is not smaller than the original is not written (the server sends the original).
import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const COMPRESSIBLE = /\.(html|js|mjs|css|json|svg|txt|map|webmanifest|xml|ico)$/;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

let written = 0;
for (const path of files(dist)) {
  if (/\.(br|gz)$/.test(path)) {
    unlinkSync(path); // a copy from an earlier build
    continue;
  }
  if (!COMPRESSIBLE.test(path)) continue;
  const bytes = readFileSync(path);
  const br = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  const gz = gzipSync(bytes, { level: 9 });
  if (br.length < bytes.length) (writeFileSync(`${path}.br`, br), written++);
  if (gz.length < bytes.length) (writeFileSync(`${path}.gz`, gz), written++);
}
console.log(`precompressed: ${written} files (.br, .gz) in dist/`);

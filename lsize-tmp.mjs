import { readFileSync } from "node:fs";
import { brotliCompressSync, constants } from "node:zlib";
import { minify } from "terser";
const src = readFileSync(process.argv[2], "utf8");
const { code } = await minify(src, { compress: true, mangle: true });
const b = brotliCompressSync(Buffer.from(code), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
console.log(code.length, b);

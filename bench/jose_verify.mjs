// Baseline for the "batch verify, library" row: Node `jose` (panva) jwtVerify of the same
// tokens TrustID verifies, with the issuer's public JWK imported once. jose checks the
// signature and the JWT time claims only (no status list, schema or trust list).
//
// usage:  node bench/jose_verify.mjs FILE   (FILE: {"jwk": {...}, "tokens": [...]})
// stdout: {"verified": N, "seconds": S, "rate": N/S}
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

// jose is installed for the tests in tests/node (never shipped); resolve it from there.
const here = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(`${here}tests/node/package.json`);
const { importJWK, jwtVerify } = await import(pathToFileURL(require.resolve("jose")).href);

const { jwk, tokens } = JSON.parse(readFileSync(process.argv[2], "utf8"));
const key = await importJWK(jwk, "ES256");
for (const token of tokens.slice(0, 200)) await jwtVerify(token, key); // warm up
const started = process.hrtime.bigint();
let verified = 0;
for (const token of tokens) {
  await jwtVerify(token, key);
  verified += 1;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(JSON.stringify({ verified, seconds, rate: verified / seconds }) + "\n");

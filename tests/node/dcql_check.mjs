// Independent DCQL parser for TrustID's tests: npm `dcql` parses and validates each query.
//
// stdin:  [query, ...]
// stdout: [{"ok": true} | {"ok": false, "error": "..."}, ...]
import { DcqlQuery } from "dcql";

const queries = JSON.parse(await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (chunk) => (data += chunk));
  process.stdin.on("end", () => resolve(data));
}));
const results = queries.map((query) => {
  try {
    DcqlQuery.validate(DcqlQuery.parse(query));
    return { ok: true };
  } catch (error) {
    return { ok: false, error: String(error.message ?? error).slice(0, 300) };
  }
});
process.stdout.write(JSON.stringify(results));

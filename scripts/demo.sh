#!/usr/bin/env bash
# Quick start: install TrustID into .venv, then run the issuer (:8100) and the verifier
# (:8200) on the embedded SQLite default, with a demo agency and a trust list that lists
# the demo issuer. Ctrl-C stops both. Re-running keeps the data in ./var.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c "import vcore, issuer, verifier, wallet_cli" 2>/dev/null \
   || [ pyproject.toml -nt .venv/.trustid-installed ]; then
  echo "==> installing TrustID and its dependencies (first run takes a minute)"
  if ! { .venv/bin/python -m pip install --quiet --upgrade pip \
         && .venv/bin/python -m pip install --quiet -e .; } > .venv/install.log 2>&1; then
    cat .venv/install.log >&2
    echo "error: installing TrustID failed (log above, also in .venv/install.log)" >&2
    exit 1
  fi
  touch .venv/.trustid-installed
fi

export TRUSTID_DATA_DIR="${TRUSTID_DATA_DIR:-$PWD/var}"
export TRUSTID_ISSUER_URL="${TRUSTID_ISSUER_URL:-http://127.0.0.1:8100}"
export TRUSTID_VERIFIER_URL="${TRUSTID_VERIFIER_URL:-http://127.0.0.1:8200}"
issuer_hostport="${TRUSTID_ISSUER_URL#*://}"; issuer_hostport="${issuer_hostport%%/*}"
export TRUSTID_ALLOW_INSECURE_HOSTS="${TRUSTID_ALLOW_INSECURE_HOSTS:-$issuer_hostport}"
verifier_hostport="${TRUSTID_VERIFIER_URL#*://}"; verifier_hostport="${verifier_hostport%%/*}"
export TRUSTID_TRUST_LIST="${TRUSTID_TRUST_LIST:-$TRUSTID_DATA_DIR/trust-list.json}"
# Demo: revalidate status lists on every check (cheap with ETags on loopback) so a
# revocation shows at once; production keeps the list's ttl (300 s) or a cap of its own.
export TRUSTID_VERIFIER_STATUS_MAX_AGE="${TRUSTID_VERIFIER_STATUS_MAX_AGE:-0}"
mkdir -p "$TRUSTID_DATA_DIR"
chmod 700 "$TRUSTID_DATA_DIR"

BIN=.venv/bin
agency_file="$TRUSTID_DATA_DIR/demo-agency.json"
if [ ! -s "$agency_file" ]; then
  echo "==> creating the demo agency (accredited for every shipped credential type)"
  types=$($BIN/python -c "import json,subprocess,sys; print(','.join(t['type'] for t in json.loads(subprocess.run([sys.argv[1],'types','list','--json'],check=True,capture_output=True,text=True).stdout)))" "$BIN/trustid-issuer")
  (umask 077; $BIN/trustid-issuer agency create "Demo City Registry Office" --types "$types" --json > "$agency_file")
fi
# The trust list: this issuer's own entry (a real deployment points at the national list).
if [ "$TRUSTID_TRUST_LIST" = "$TRUSTID_DATA_DIR/trust-list.json" ]; then
  $BIN/python - "$TRUSTID_TRUST_LIST" <<'PY'
import json, subprocess, sys
entry = json.loads(subprocess.run([".venv/bin/trustid-issuer", "trust-entry", "--json"], check=True, capture_output=True, text=True).stdout)
with open(sys.argv[1], "w", encoding="utf-8") as fh:
    json.dump({"issuers": [entry]}, fh, indent=2)
PY
fi

api_key=$($BIN/python -c "import json,sys; print(json.load(open(sys.argv[1]))['api_key'])" "$agency_file")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$BIN/trustid-issuer serve --host 127.0.0.1 --port "${TRUSTID_ISSUER_PORT:-8100}" & pids+=($!)
$BIN/trustid-verifier serve --host 127.0.0.1 --port "${TRUSTID_VERIFIER_PORT:-8200}" & pids+=($!)

for _ in $(seq 1 100); do
  if $BIN/python -c "import httpx,sys; [httpx.get(u + '/healthz', timeout=1).raise_for_status() for u in sys.argv[1:]]" \
       "$TRUSTID_ISSUER_URL" "$TRUSTID_VERIFIER_URL" 2>/dev/null; then break; fi
  sleep 0.3
done

cat <<MSG

  TrustID is running.
    issuer    $TRUSTID_ISSUER_URL   (API docs: $TRUSTID_ISSUER_URL/docs)
    verifier  $TRUSTID_VERIFIER_URL   (service-counter page: $TRUSTID_VERIFIER_URL/)
    data      $TRUSTID_DATA_DIR  (demo agency API key in demo-agency.json)

  The commands are in .venv/bin; in another terminal put them on your PATH first:
    cd $PWD && source .venv/bin/activate
    export TRUSTID_DATA_DIR=$TRUSTID_DATA_DIR   # the admin commands act on this data directory
    trustid-issuer agency list                  # trustid-verifier client create NAME, trustid-wallet init, ...

  Try it:
    export KEY=$api_key
    curl -s -X POST $TRUSTID_ISSUER_URL/credentials/issue -H "Authorization: Bearer \$KEY" \\
      -H 'Content-Type: application/json' -d @examples/issue-resident.json > /tmp/issued.json
    python3 -c 'import json; r = json.load(open("/tmp/issued.json")); print("credentialId", r["credentialId"]); json.dump({"verifiableCredential": r["verifiableCredential"]}, open("/tmp/vc.json", "w"))'
    curl -s -X POST $TRUSTID_VERIFIER_URL/credentials/verify -H 'Content-Type: application/json' \\
      -d @/tmp/vc.json | python3 -m json.tool

  A wallet gets it over OpenID4VCI (offer QR + transaction code), then answers the
  counter over OpenID4VP ("over 18"; or press Over 18 on the counter page):
    export TRUSTID_ALLOW_INSECURE_HOSTS=$issuer_hostport,$verifier_hostport   # the wallet: plain http on loopback
    curl -s $TRUSTID_ISSUER_URL/credential-offers -H "Authorization: Bearer \$KEY" \\
      -H 'Content-Type: application/json' -d @examples/offer-resident.json > /tmp/offer.json
    OFFER_ID=\$(python3 -c 'import json; print(json.load(open("/tmp/offer.json"))["offerId"])')
    TX_CODE=\$(python3 -c 'import json; print(json.load(open("/tmp/offer.json"))["txCode"])')
    curl -s -H "Authorization: Bearer \$KEY" -o /tmp/offer.png $TRUSTID_ISSUER_URL/credential-offers/\$OFFER_ID/qr.png
    trustid-wallet init && trustid-wallet receive --qr /tmp/offer.png --tx-code \$TX_CODE
    curl -s $TRUSTID_VERIFIER_URL/presentation-requests -H 'Content-Type: application/json' \\
      -d '{"preset": "age_over_18"}' > /tmp/request.json
    REQUEST_ID=\$(python3 -c 'import json; print(json.load(open("/tmp/request.json"))["id"])')
    curl -s -o /tmp/request.png $TRUSTID_VERIFIER_URL/presentation-requests/\$REQUEST_ID/qr.png
    trustid-wallet answer --qr /tmp/request.png
    curl -s $TRUSTID_VERIFIER_URL/presentation-requests/\$REQUEST_ID | python3 -m json.tool

  Ctrl-C stops both services.
MSG
wait

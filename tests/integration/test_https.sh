#!/usr/bin/env bash
# The gateway's HTTP server over TLS (<http tlsCertificate tlsKey>, gateway/http_server.c):
# a certificate made by the openssl CLI for 127.0.0.1, the daemon answering HTTPS that curl
# verifies against it, plain HTTP on the same port refused, a certificate without its key
# refused at start with a sentence.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/serve-lib.bash
. "$(dirname "$0")/serve-lib.bash"

serve_setup 30
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$GW_DIR/tls.key" -out "$GW_DIR/tls.crt" \
    > /dev/null 2>&1
chmod 600 "$GW_DIR/tls.key"
sed -i "s|<http address=\"127.0.0.1\" port=\"$GW_PORT\"/>|<http address=\"127.0.0.1\" port=\"$GW_PORT\" tlsCertificate=\"tls.crt\" tlsKey=\"tls.key\"/>|" \
    "$GW_CONFIG"
if serve_start; then ok "the daemon starts with a TLS certificate"; else
    not_ok "the daemon starts with a TLS certificate"; done_testing; exit; fi

OUT=$(curl -s --max-time 5 --cacert "$GW_DIR/tls.crt" -w '\n%{http_code}' "https://127.0.0.1:$GW_PORT/api/health")
is "$(printf '%s' "$OUT" | tail -n 1)" 200 "GET /api/health over HTTPS, the certificate verified"
like "$OUT" '"schema_version"' "the health answer came through"
if curl -s --max-time 5 "https://127.0.0.1:$GW_PORT/api/health" > /dev/null 2>&1; then
    not_ok "a client that does not trust the certificate refuses it"
else
    ok "a client that does not trust the certificate refuses it"
fi
CODE=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GW_PORT/api/health")
isnt "$CODE" 200 "plain HTTP on the TLS port gets no answer"
serve_stop TERM
is "$GW_EXIT" 0 "SIGTERM stops the daemon"

sed -i 's| tlsKey="tls.key"||' "$GW_CONFIG"
run_gateway serve --config "$GW_CONFIG"
is "$RUN_STATUS" 2 "a certificate without its key: the daemon refuses to start"
like "$RUN_STDERR" 'names a TLS certificate without its key: give both tlsCertificate and tlsKey' \
    "and says what to give"
done_testing

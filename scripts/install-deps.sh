#!/usr/bin/env bash
# Installs what building and testing the gateway needs, and nothing that is already there.
#
#   scripts/install-deps.sh        (`make deps`; `make test` runs it first)
#
# 1. Debian packages: asks dpkg which of the packages below are missing, says which it
#    installs and why, and installs only those with apt-get (running `apt-get update` only
#    when the package lists do not know a package or are too stale to download it).
#    As root (CI) it installs; otherwise it prints the exact command to run and fails.
# 2. npm test peers: `npm ci` in tests/peers/ when node_modules is missing or older than
#    package-lock.json, so the peers are exactly the locked versions.
# It is idempotent: a second run installs nothing and prints one summary line.
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)

# Package and the reason we need it; the reason is printed when it is installed.
PACKAGES=(
    "build-essential|C compiler, make and libc headers to build the gateway"
    "pkg-config|finds compiler and linker flags of the libraries below"
    "libxml2-dev|XML parsing, XSD validation and EDIFACT-XML (parsers/, gateway/)"
    "libxslt1-dev|XSLT mappings to and from the canonical document (xslt/)"
    "libjansson-dev|JSON for the HTTP API and web orders"
    "libsqlite3-dev|the embedded store: messages, history, job queue, master data, orders"
    "libssl-dev|SHA-256 names of the content store; later S/MIME, CMS and TLS for AS2"
    "libmicrohttpd-dev|the gateway's HTTP server (/api, later /as2 and /ui)"
    "libcurl4-openssl-dev|SMTP and IMAP for the e-mail channel and approval mails; later AS2 sending"
    "libssh2-1-dev|the SFTP channel: pulling from and pushing to partners' SFTP servers"
    "libgmime-3.0-dev|MIME: building mails with documents attached, reading inbound mails"
    "zlib1g-dev|AS2 compression (RFC 5402 CompressedData; Debian's OpenSSL has no zlib)"
    "python3-aiosmtpd|SMTP server for the approval-mail and e-mail channel tests"
    "openssh-server|a real sshd on loopback for the SFTP channel tests"
    "dovecot-imapd|a real IMAP server on loopback for the e-mail channel tests"
    "libcmocka-dev|unit test framework (tests/unit/)"
    "clang|libFuzzer harnesses and sanitizer builds (tests/fuzz/)"
    "libclang-rt-14-dev|clang's libFuzzer and sanitizer runtimes (-fsanitize=fuzzer,address,undefined)"
    "nodejs|runs the npm test peers (tests/peers/) and npm benchmarks"
    "npm|installs the npm test peers from tests/peers/package-lock.json"
    "time|GNU time, measures peak RSS in benchmarks"
    "python3|benchmark input generator (bench/gen_orders.py) and helper scripts"
    "libxml2-utils|xmllint, validates XML output against XSDs in tests"
    "jq|reads the gateway's JSON output in the e-mail channel tests"
)

say() { printf 'install-deps: %s\n' "$*"; }

is_installed() {
    # "ii" = wanted install, currently installed; anything else (rc, un, absent) is missing.
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | cut -c1-2)" = "ii" ]
}

# A Node.js from another Debian source (NodeSource's "nodejs" ships npm inside it) already
# does the job, and Debian's npm package would conflict with it: judge these two by the
# commands they provide, not by the package names.
node_ok() { command -v node >/dev/null 2>&1; }
npm_ok() { command -v npm >/dev/null 2>&1; }

missing=()
reasons=()
for entry in "${PACKAGES[@]}"; do
    pkg=${entry%%|*}
    why=${entry#*|}
    case "$pkg" in
        nodejs) if node_ok; then continue; fi ;;
        npm) if npm_ok; then continue; fi ;;
    esac
    if ! is_installed "$pkg"; then
        missing+=("$pkg")
        reasons+=("$pkg: $why")
    fi
done

apt_summary="all ${#PACKAGES[@]} Debian packages present"
if [ "${#missing[@]}" -gt 0 ]; then
    say "missing Debian packages:"
    for r in "${reasons[@]}"; do
        printf '  %s\n' "$r"
    done
    if [ "$(id -u)" -ne 0 ]; then
        say "not root, so not installing. Run:"
        printf '  sudo apt-get update && sudo apt-get install -y --no-install-recommends %s\n' \
            "${missing[*]}"
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Update the lists only when they cannot serve us: a package without an install
    # candidate means they are empty or lack it.
    need_update=no
    for pkg in "${missing[@]}"; do
        cand=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
        if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
            need_update=yes
        fi
    done
    if [ "$need_update" = yes ]; then
        say "package lists do not know every package: apt-get update"
        apt-get update -q
    fi
    say "apt-get install ${missing[*]}"
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
        # Usually stale lists pointing at versions the mirror no longer has: refresh, retry once.
        say "install failed; refreshing package lists and trying again"
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
    apt_summary="installed ${#missing[@]} Debian package(s): ${missing[*]}"
fi

# npm peers. npm writes node_modules/.package-lock.json on every install, so its age tells
# when node_modules was last made from the lockfile.
PEERS="$ROOT/tests/peers"
marker="$PEERS/node_modules/.package-lock.json"
if [ ! -f "$PEERS/package-lock.json" ]; then
    say "tests/peers/package-lock.json is missing"
    exit 1
fi
if [ ! -f "$marker" ] || [ "$PEERS/package-lock.json" -nt "$marker" ]; then
    say "installing npm test peers (npm ci in tests/peers)"
    (cd "$PEERS" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$marker"
    npm_summary="npm peers installed"
else
    npm_summary="npm peers up to date"
fi

say "$apt_summary; $npm_summary"

#!/usr/bin/env bash
# The command line's basic contract (DESIGN.md, Interfaces): --help succeeds and lists the
# commands; an unknown command fails with a message on stderr, so scripts and cron jobs
# that call the gateway can trust its exit status.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

run_gateway --help
is "$RUN_STATUS" 0 "gateway --help exits 0"
like "$RUN_STDOUT" 'edi check' "gateway --help on stdout mentions 'edi check'"

run_gateway no-such-command-xyz
isnt "$RUN_STATUS" 0 "an unknown command exits non-zero"
# 124 would be our timeout and 126/127 a missing binary, >128 a crash: not a clean refusal
if [ "$RUN_STATUS" -ge 1 ] && [ "$RUN_STATUS" -le 123 ]; then
    ok "an unknown command exits with an ordinary error status ($RUN_STATUS)"
else
    not_ok "an unknown command exits with an ordinary error status" "status: $RUN_STATUS"
fi
like "$RUN_STDERR" '[^[:space:]]' "an unknown command says something on stderr"
like "$RUN_STDERR" 'no-such-command-xyz' "the message names the unknown command"

done_testing

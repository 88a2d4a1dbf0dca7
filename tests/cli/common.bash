# common.bash: what the CLI test scripts (tests/cli/*.sh) share. Source it
# after setting DOPPEL (the binary) and tmp (a scratch directory).
#
#   t NAME          start test NAME
#   ok / fail MSG   count a pass / a failure (printed with the test's name)
#   run ARGS...     run doppel; stdout, stderr and status kept in $tmp
#   run_in F ARGS   the same with file F on standard input
#   rc              the last run's exit status
#   expect_exit N / expect_err TEXT / expect_out TEXT / expect_err_re ERE
#   expect_no_err TEXT / expect_empty_out
#                   checks on the last run; on failure they count it, show
#                   the start of stderr or stdout, and return 1
#   finish          print "N passed, N failed" and return non-zero on failure
passed=0
failed=0
current=""

t() { current=$1; }
ok() { passed=$((passed + 1)); }
fail() {
    failed=$((failed + 1))
    echo "FAIL $current: $*"
}
run() {
    "$DOPPEL" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    echo $? >"$tmp/rc"
}
run_in() {
    local in=$1
    shift
    "$DOPPEL" "$@" >"$tmp/out" 2>"$tmp/err" <"$in"
    echo $? >"$tmp/rc"
}
rc() { cat "$tmp/rc"; }
expect_exit() {
    local got
    got=$(rc)
    [ "$got" = "$1" ] || { fail "exit $got, expected $1; stderr: $(head -c 600 "$tmp/err")"; return 1; }
}
expect_err() {
    grep -qF -- "$1" "$tmp/err" || { fail "stderr lacks '$1': $(head -c 600 "$tmp/err")"; return 1; }
}
expect_err_re() {
    grep -qE -- "$1" "$tmp/err" || { fail "stderr does not match /$1/: $(head -c 600 "$tmp/err")"; return 1; }
}
expect_no_err() {
    ! grep -qF -- "$1" "$tmp/err" || { fail "stderr has '$1': $(grep -F -- "$1" "$tmp/err" | head -c 600)"; return 1; }
}
expect_empty_out() {
    [ ! -s "$tmp/out" ] || { fail "stdout not empty: $(head -c 300 "$tmp/out")"; return 1; }
}
expect_out() {
    grep -qF -- "$1" "$tmp/out" || { fail "stdout lacks '$1': $(head -c 600 "$tmp/out")"; return 1; }
}
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

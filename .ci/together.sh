#!/usr/bin/env bash
# `together.sh MAIN OTHER...`: runs npm script MAIN and, at the same time, the OTHER scripts one
# after another; fails if any of them failed. MAIN's output shows as it comes; each OTHER's is
# held and shown whole after MAIN ends, so two tools never interleave their lines.
# `npm test` type-checks and lints beside the unit and renderer tests: vitest runs those in
# cores − 1 workers, so on a 2-core machine one file at a time, and a core sits idle.
set -uo pipefail
main=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# One after another: together they are about a third of MAIN's time, and a third process would
# only slow MAIN down.
(
  for script in "$@"; do
    code=0
    npm run -s "$script" >"$dir/$script.out" 2>&1 || code=$?
    echo "$code" >"$dir/$script.code"
  done
) &
others=$!
status=0
npm run "$main" || status=$?
wait "$others"
for script in "$@"; do
  code=$(cat "$dir/$script.code")
  echo
  echo "> npm run $script (beside $main): $([ "$code" -eq 0 ] && echo ok || echo "FAILED, exit $code")"
  cat "$dir/$script.out"
  [ "$code" -eq 0 ] || status=$code
done
exit "$status"

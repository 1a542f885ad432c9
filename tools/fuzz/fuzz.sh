#!/usr/bin/env bash
# Runs the libFuzzer target over load, init and execute for a while (default 30 minutes).
#
#   tools/fuzz/fuzz.sh [SECONDS] [extra libFuzzer flags...]
#
# Builds build/fuzz/fuzz_program (tools/fuzz/build.sh), makes the seed corpus from models/
# when missing (tools/fuzz/make_corpus.py; upstream's programs too when executorch is
# installed), then fuzzes into build/fuzz/work/corpus, which keeps growing from run to run.
# The committed regressions (tests/fuzz/regressions/) are seeds as well. A finding is
# written to build/fuzz/artifacts/ (crash-*, timeout-*, oom-*) and the script exits non-zero;
# fix it and commit the input to tests/fuzz/regressions/ (if small) or a unit test in runtime/.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-1800}
shift || true
tools/fuzz/build.sh
py=.venv/bin/python
if [[ ! -d build/fuzz/corpus ]] || [[ -z "$(ls -A build/fuzz/corpus)" ]]; then
  upstream=""
  PYTHONPATH=python $py -c "import executorch.exir" 2>/dev/null && upstream="--upstream"
  PYTHONPATH=python $py tools/fuzz/make_corpus.py $upstream --bundle
fi
mkdir -p build/fuzz/work/corpus build/fuzz/artifacts
# -timeout: one input over 10 s is a hang; -rss_limit_mb bounds memory (a corrupt size that
# got through would be an oom-* finding); -max_len covers the seeds (make_corpus --max-bytes).
status=0
nice -n 10 build/fuzz/fuzz_program -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=262144 -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/ "$@" \
  build/fuzz/work/corpus build/fuzz/corpus tests/fuzz/regressions >build/fuzz/work/last_run.log 2>&1 || status=$?
grep -E "^(#[0-9]+ +DONE|Done|==[0-9]+==ERROR|SUMMARY|stat::|.*artifact|INFO: seed corpus)" build/fuzz/work/last_run.log || true
echo "fuzz.sh: libFuzzer exit status $status; full log: build/fuzz/work/last_run.log" >&2
exit "$status"

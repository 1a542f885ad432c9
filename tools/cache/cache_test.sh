#!/usr/bin/env bash
# The shared-cache test (.ci/run runs it after make test; README "Shared build cache and
# remote execution"): every model image of //app and //models, for the host and the
# Cortex-M55, is built against a fresh nginx cache (tools/cache/nginx_cache.sh, loopback);
# then `bazel clean` and the same build again must execute no action (every compile, link,
# export and embed a remote cache hit); then the same build from a copy of the checkout in
# another directory, with its own output base, .venv path and PATH, as another clone or
# machine would, must be all cache hits too (no absolute path of the checkout or the venv
# in the cache keys). Prints each build's time; the last line is
#   cache_test: PASS (...)   or   cache_test: FAIL: <why>
# and the exit status is non-zero on failure.
#
#   tools/cache/cache_test.sh [--keep]     --keep: leave the scratch directory for a look
#
# Its own output bases and cache directory under a scratch dir ($TMPDIR), the disk cache off
# (--disk_cache=), only loopback traffic; each build is bounded (CACHE_TEST_BUILD_TIMEOUT,
# default 1800 s). Bazel runs under the shared lock /work/.bazel.lock when that file exists.
# Installs nginx with apt-get when it is missing (root or sudo).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd)"

keep=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cache_test: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'cache_test: %s\n' "$*" >&2; }
fail() { echo "cache_test: FAIL: $*"; exit 1; }

if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
  say "installing nginx (Debian's, with the WebDAV module)"
  sudo=""; [[ "$(id -u)" == 0 ]] || sudo="sudo"
  $sudo apt-get install -y -q nginx >/dev/null || fail "could not install nginx: apt-get install nginx"
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/slimtorch-cache-test.XXXXXX")"
cache_dir="$scratch/cache"
bases=()
lock=()
[[ -e /work/.bazel.lock ]] && lock=(flock -o /work/.bazel.lock)
timeout_s="${CACHE_TEST_BUILD_TIMEOUT:-1800}"

cleanup() {
  tools/cache/nginx_cache.sh stop "$cache_dir" || true
  for base in "${bases[@]}"; do
    # Stop each build's server; its output base has read-only trees: let Bazel delete it.
    (cd "$repo" && bazel --output_base="$base" clean --expunge >/dev/null 2>&1) || true
    (cd "$repo" && bazel --output_base="$base" shutdown >/dev/null 2>&1) || true
  done
  if [[ $keep == 1 ]]; then say "kept $scratch"; else chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"; fi
}
trap cleanup EXIT

# A free loopback port (not the .bazelrc's 8470: a developer's own cache may run there).
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="$(tools/cache/nginx_cache.sh start "$cache_dir" "$port")"
say "cache at $url ($cache_dir)"

# Every model image: //app:model_runtime and //models:<model>_runtime (float and int8).
base1="$scratch/base1"
bases+=("$base1")
images=()
while IFS= read -r t; do images+=("$t"); done < <(
  bazel --output_base="$base1" query --noshow_progress \
    'filter("_runtime$", kind(cc_binary, //app:* + //models:*)) except attr(tags, "manual", //app:* + //models:*)' 2>/dev/null
)
[[ ${#images[@]} -gt 0 ]] || fail "bazel query found no model images in //app and //models"
say "${#images[@]} images: ${images[*]}"

# build NAME WORKSPACE OUTPUT_BASE [extra env...]: host, then Cortex-M55, against the cache;
# prints the summary lines and leaves "<seconds> <processes line>" per platform in $scratch/NAME.
build() {
  local name="$1" ws="$2" base="$3"
  shift 3
  local platform flags start end log
  : >"$scratch/$name"
  for platform in host arm_m55; do
    flags=(--config=remote_cache "--remote_cache=$url" --disk_cache= --noshow_progress)
    [[ $platform == arm_m55 ]] && flags+=(--config=arm_m55)
    log="$scratch/$name.$platform.log"
    start=$(date +%s.%N)
    if ! (cd "$ws" && env "$@" "${lock[@]}" timeout "$timeout_s" \
      bazel --output_base="$base" build "${flags[@]}" "${images[@]}") >"$log" 2>&1; then
      tail -30 "$log" >&2
      fail "$name build ($platform) failed or took over ${timeout_s}s; log above"
    fi
    end=$(date +%s.%N)
    local summary
    summary="$(grep -E '^INFO: [0-9]+ processes' "$log" | tail -1)"
    [[ -n "$summary" ]] || { tail -30 "$log" >&2; fail "$name build ($platform): no process summary in Bazel's output"; }
    printf '%s %.1f %s\n' "$platform" "$(echo "$end - $start" | bc)" "${summary#INFO: }" >>"$scratch/$name"
  done
  sed "s/^/cache_test: $name: /" "$scratch/$name" >&2
}

# executed NAME: the processes of build NAME that were neither cache hits nor internal
# (symlinks, writing files); empty when the build executed nothing.
executed() {
  sed -E 's/^[^ ]+ [0-9.]+ [0-9]+ processes:? ?//; s/\.$//' "$scratch/$1" | tr ',' '\n' |
    sed -E 's/^ +//' | grep -vE '^$|^[0-9]+ (remote cache hit|internal)$' || true
}
seconds() { awk '{ s += $2 } END { printf "%.1f", s }' "$scratch/$1"; }
hits() { grep -oE '[0-9]+ remote cache hit' "$scratch/$1" | awk '{ s += $1 } END { print s + 0 }'; }

build first "$repo" "$base1"
[[ -z "$(executed first)" ]] && fail "the first build executed nothing: the cache was not empty or nothing was built"

(cd "$repo" && bazel --output_base="$base1" clean) >/dev/null 2>&1
build second "$repo" "$base1"
second_ran="$(executed second | paste -sd, -)"
[[ -z "$second_ran" ]] || fail "after bazel clean the rebuild executed actions ($second_ran) instead of cache hits: an action's key or output is not reproducible (rebuild with --execution_log_json_file and compare)"

# Another clone: the same sources elsewhere, its own .venv path (a link to the same
# environment) and output base, a PATH with that venv in front as an activated venv has.
copy="$scratch/checkout2"
mkdir -p "$copy"
tar -C "$repo" --exclude=./.git --exclude='./bazel-*' --exclude=./.venv --exclude=./build \
  --exclude=./user.bazelrc -cf - . | tar -C "$copy" -xf -
ln -s "$(readlink -f "$repo/.venv")" "$copy/.venv"
base2="$scratch/base2"
bases+=("$base2")
build clone "$copy" "$base2" "PATH=$copy/.venv/bin:$PATH"
clone_ran="$(executed clone | paste -sd, -)"
[[ -z "$clone_ran" ]] || fail "a clone in another directory executed actions ($clone_ran): an absolute path of the checkout, the venv or PATH is in their cache keys"

entries="$(find "$cache_dir/store" -type f | wc -l)"
echo "cache_test: PASS (${#images[@]} images x host+M55: first build $(seconds first) s, after bazel clean $(seconds second) s with $(hits second) cache hits and nothing executed, another clone $(seconds clone) s with $(hits clone) hits; $entries cache entries)"

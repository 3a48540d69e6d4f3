#!/usr/bin/env bash
# A real single-node Slurm: a 4-shard parens study of the default model (the README's main job) submitted with its
# reduction and merge by `sharplens slurm parens --submit --wait`, compared with an unsharded run; then one array task
# cancelled mid-run, the run resubmitted (only the missing shards) and compared again; a 2-shard probe run; a 3-shard
# ssm-study of two tiny encoders trained here (a CodeSSM and a RoCoder, 2 steps each), compared with an unsharded
# ssm-study, then one shard deleted and resubmitted alone; `--submit` without Slurm refused.
# Needs root: installs slurm-wlm and munge when missing, writes a munge key and a one-node slurm.conf in a temporary
# folder, starts munged, slurmctld and slurmd there and stops them (and only them) at exit. Skips with a reason otherwise.
# Usage: tests/slurm/run.sh   (SHARPLENS_SLURM_KEEP=1 keeps the temporary folder for reading)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD

skip() { echo "SKIP tests/slurm/run.sh: $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root (installs slurm-wlm and munge, starts munged, slurmctld and slurmd); run it as root"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  command -v apt-get >/dev/null || skip "slurm-wlm and munge are not installed and there is no apt-get to install them"
  echo "installing slurm-wlm and munge"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge) >/dev/null \
    || skip "could not install slurm-wlm and munge with apt-get"
fi

# The model and the CLI: the README's main job names the default model.
MODEL=$(sed -n 's/.* -- parens --model \([^ ]*\) .*/\1/p' README.md | head -n 1)
[ -n "$MODEL" ] && [ -f "$MODEL/config.json" ] || { echo "FAIL: no default model found from README.md's main job (got '$MODEL')"; exit 1; }
MODEL=$(readlink -f "$MODEL")
dotnet build -c Release src/SharpLens.Cli -v q -nologo >/dev/null
S=$REPO/src/SharpLens.Cli/bin/Release/net10.0/sharplens
STUDY=(--model "$MODEL" --n 8 --ablation-n 2 --batch 4)

WORK=$(mktemp -d /tmp/sharplens-slurm.XXXXXX)
export SLURM_CONF=$WORK/slurm.conf
started=()
stop() {
  if [ ${#started[@]} -gt 0 ]; then
    scontrol shutdown >/dev/null 2>&1 || true
    for f in "$WORK/slurmctld.pid" "$WORK/slurmd.pid" "$WORK/munged.pid"; do
      [ -f "$f" ] || continue
      pid=$(cat "$f"); kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    echo "stopped ${started[*]}"
  fi
  [ "${SHARPLENS_SLURM_KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap stop EXIT

# munge with its own key and socket
dd if=/dev/urandom of="$WORK/munge.key" bs=1 count=1024 status=none
chmod 400 "$WORK/munge.key"
munged --force --key-file="$WORK/munge.key" --socket="$WORK/munge.socket" --pid-file="$WORK/munged.pid" \
  --log-file="$WORK/munged.log" --seed-file="$WORK/munged.seed"
started+=(munged)

# one node: this machine as slurmd -C describes it, on ports of our own
NODE=$(slurmd -C | head -n 1)
HOST=$(hostname -s)
mkdir -p "$WORK/ctld" "$WORK/spool"
cat > "$SLURM_CONF" <<EOF
ClusterName=sharplens-test
SlurmctldHost=$HOST
SlurmUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$WORK/munge.socket
StateSaveLocation=$WORK/ctld
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
$NODE State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -f "$SLURM_CONF"; started+=(slurmctld)
slurmd -f "$SLURM_CONF"; started+=(slurmd)
for _ in $(seq 60); do [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && break; sleep 1; done
[ "$(sinfo -h -o %T)" = idle ] || { echo "FAIL: the node did not come up: $(sinfo -h -o '%T %E' 2>&1)"; tail -5 "$WORK/slurmctld.log" "$WORK/slurmd.log"; exit 1; }
echo "slurm up: $(sinfo -h -o '%P %D %c %T')"

# same REF RUN: every CSV, results.json (but its stage timings) and report.html (but its stage times) are identical
same() {
  for f in accuracy logit_lens dla_layers dla_heads counting_heads ablation; do
    cmp -s "$1/$f.csv" "$2/$f.csv" || { echo "FAIL: $2/$f.csv differs from the unsharded run's"; diff "$1/$f.csv" "$2/$f.csv" | head -5; return 1; }
  done
  diff <(sed '/"stage_seconds": {/,/}/d' "$1/results.json") <(sed '/"stage_seconds": {/,/}/d' "$2/results.json") >/dev/null \
    || { echo "FAIL: $2/results.json differs from the unsharded run's"; return 1; }
  cmp -s <(sed 's/Stage times (s): [^<]*//' "$1/report.html") <(sed 's/Stage times (s): [^<]*//' "$2/report.html") \
    || { echo "FAIL: $2/report.html differs from the unsharded run's"; return 1; }
  echo "same as the unsharded run: 6 CSVs, results.json, report.html ($2)"
}

echo "== unsharded reference"
"$S" parens "${STUDY[@]}" --out "$WORK/ref" >"$WORK/ref.log"

echo "== 4 shards on Slurm, with the reduction and the merge"
"$S" slurm parens "${STUDY[@]}" --out "$WORK/run" --array 4 --submit --wait --poll 1 | tee "$WORK/run.log"
same "$WORK/ref" "$WORK/run"

echo "== one array task cancelled mid-run, then resubmitted"
"$S" slurm parens "${STUDY[@]}" --out "$WORK/run2" --array 4 --submit | tee "$WORK/run2.log"
JID=$(sed -n 's/^submitted measure: job \([0-9]*\)$/\1/p' "$WORK/run2.log")
for _ in $(seq 600); do squeue -h -j "${JID}_1" -o %T 2>/dev/null | grep -q RUNNING && break; sleep 0.1; done
squeue -h -j "${JID}_1" -o %T | grep -q RUNNING || { echo "FAIL: array task ${JID}_1 never ran"; exit 1; }
scancel "${JID}_1"
echo "cancelled array task ${JID}_1 while it ran"
for _ in $(seq 600); do [ -z "$(squeue -h -o %i)" ] && break; sleep 0.5; done
[ ! -e "$WORK/run2/shards/measure-0001-of-0004" ] || { echo "FAIL: the cancelled shard left a folder"; exit 1; }
[ ! -e "$WORK/run2/report.html" ] || { echo "FAIL: the merge ran although a shard was cancelled"; exit 1; }
echo "left: $(ls "$WORK/run2/shards" | tr '\n' ' ')"
"$S" slurm parens "${STUDY[@]}" --out "$WORK/run2" --array 4 --submit --wait --poll 1 | tee "$WORK/run2b.log"
grep -q "^submitting: measure shards 1/4, means, ablate shards 0/4, 1/4, 2/4, 3/4, merge$" "$WORK/run2b.log" \
  || { echo "FAIL: the resubmission did not resubmit exactly the missing shards"; exit 1; }
same "$WORK/ref" "$WORK/run2"

echo "== probe: 2 shards on Slurm and the merge vs an unsharded probe"
mkdir "$WORK/py"
cat > "$WORK/py/m.py" <<'EOF'
def add(a, b=1):
    x = a + b
    if x > 2:
        return x
    return add(x, b)

def scale(values, factor):
    out = []
    for v in values:
        out.append(v * factor)
    return out

class Box:
    def area(self, w, h):
        s = w * h
        return s
EOF
"$S" data probe-pairs --task sibling --source "$WORK/py" --out "$WORK/pairs.jsonl" --per-label 30 --seed 1 >/dev/null
PROBE=(--model "$MODEL" --pairs "$WORK/pairs.jsonl" --probe both --mode kmeans --clusters-per-label 4)
"$S" probe "${PROBE[@]}" --out "$WORK/probe-ref" >/dev/null 2>&1
"$S" slurm probe --out "$WORK/probe" --array 2 --submit --wait --poll 1 -- "${PROBE[@]}" | tee "$WORK/probe.log"
cut -d, -f1-16 "$WORK/probe-ref/probe.csv" > "$WORK/a.csv"; cut -d, -f1-16 "$WORK/probe/probe.csv" > "$WORK/b.csv"   # column 17: seconds
cmp -s "$WORK/a.csv" "$WORK/b.csv" || { echo "FAIL: the merged probe.csv differs from the unsharded run's"; diff "$WORK/a.csv" "$WORK/b.csv" | head; exit 1; }
echo "same as the unsharded probe run: probe.csv ($(($(wc -l <"$WORK/b.csv") - 1)) rows, timings aside)"

echo "== ssm-study: 3 shards on Slurm and the merge vs an unsharded ssm-study"
# two tiny encoders, a CodeSSM (BiGS) and a RoCoder (RoFormer), trained 2 steps on the probe's Python with one tokenizer
TRAIN=(--objective mlm --corpus "$WORK/py" --tokenizer "$WORK/ssm/tok" --layers 2 --d-model 16 --heads 2 --d-state 4 --seq-len 32 --batch 2
       --steps 2 --warmup 1 --checkpoint-every 0 --threads 1 --precision fp32)
"$S" train --arch bigs "${TRAIN[@]}" --train-tokenizer 300 --out "$WORK/ssm/codessm" >"$WORK/train.log" 2>&1 || { echo "FAIL: train"; tail "$WORK/train.log"; exit 1; }
"$S" train --arch roberta-rope "${TRAIN[@]}" --out "$WORK/ssm/rocoder" >>"$WORK/train.log" 2>&1 || { echo "FAIL: train"; tail "$WORK/train.log"; exit 1; }
echo '{"models": [{"folder": "codessm", "role": "codessm", "variant": "pretrained"}, {"folder": "rocoder", "role": "rocoder", "variant": "pretrained"}]}' \
  > "$WORK/ssm/manifest.json"
for t in sibling dataflow; do "$S" data probe-pairs --task $t --source "$WORK/py" --out "$WORK/ssm/pairs/$t.jsonl" --per-label 10 --seed 1 2>/dev/null; done
# 2 models × 2 tasks × 2 layers = 8 probe units
SSM=(--manifest "$WORK/ssm/manifest.json" --pairs-dir "$WORK/ssm/pairs" --tasks sibling,dataflow --layers 0,1 --kernel-length 64 --clusters-per-label 4 --linear-steps 20)
"$S" ssm-study "${SSM[@]}" --out "$WORK/ssm-ref" --no-cache >"$WORK/ssm-ref.log" 2>&1 || { echo "FAIL: unsharded ssm-study"; tail "$WORK/ssm-ref.log"; exit 1; }
"$S" slurm ssm-study --out "$WORK/ssm-run" --array 3 --submit --wait --poll 1 -- "${SSM[@]}" | tee "$WORK/ssm-run.log"
# a CSV without its "seconds" and "cached" columns (timings; which shard extracted a feature pass), JSON and HTML without timings
drop_cols() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds" || $i == "cached") drop[i] = 1 }
  { line = ""; sep = ""; for (i = 1; i <= NF; i++) if (!(i in drop)) { line = line sep $i; sep = "," }; print line }' "$1"; }
json_no_time() { sed -e '/"stage_seconds": {/,/}/d' -e '/"seconds":/d' -e '/"cached":/d' "$1"; }
html_no_time() { sed -E -e 's/Stage times \(s\): [^<]*//' -e 's#<td>[0-9.]+</td></tr>#</tr>#g' "$1"; }
same_ssm() {
  for f in probes layer_map features kernels shifts scores retention claims; do
    cmp -s <(drop_cols "$1/$f.csv") <(drop_cols "$2/$f.csv") \
      || { echo "FAIL: $2/$f.csv differs from the unsharded ssm-study's"; diff <(drop_cols "$1/$f.csv") <(drop_cols "$2/$f.csv") | head -5; return 1; }
  done
  cmp -s <(json_no_time "$1/results.json") <(json_no_time "$2/results.json") \
    || { echo "FAIL: $2/results.json differs from the unsharded ssm-study's"; diff <(json_no_time "$1/results.json") <(json_no_time "$2/results.json") | head -5; return 1; }
  cmp -s <(html_no_time "$1/report.html") <(html_no_time "$2/report.html") || { echo "FAIL: $2/report.html differs from the unsharded ssm-study's"; return 1; }
  echo "same as the unsharded ssm-study: 8 CSVs, results.json, report.html, timings and the feature-cache flag aside ($2)"
}
same_ssm "$WORK/ssm-ref" "$WORK/ssm-run"
rm -rf "$WORK/ssm-run/shards/ssm-0001-of-0003" "$WORK/ssm-run/report.html"
"$S" slurm ssm-study --out "$WORK/ssm-run" --array 3 --submit --wait --poll 1 -- "${SSM[@]}" | tee "$WORK/ssm-run2.log"
grep -q "^submitting: ssm shards 1/3, merge$" "$WORK/ssm-run2.log" || { echo "FAIL: the ssm-study resubmission did not resubmit exactly the missing shard"; exit 1; }
same_ssm "$WORK/ssm-ref" "$WORK/ssm-run"

echo "== --submit without Slurm on PATH"
mkdir "$WORK/bin"; ln -s "$(readlink -f "$(command -v dotnet)")" "$WORK/bin/dotnet"
set +e; PATH=$WORK/bin "$S" slurm parens "${STUDY[@]}" --out "$WORK/none" --array 4 --submit 2>"$WORK/none.err"; rc=$?; set -e
[ "$rc" = 2 ] && [ "$(wc -l <"$WORK/none.err")" = 1 ] && grep -q "^error: --submit needs Slurm's sbatch on PATH" "$WORK/none.err" && [ ! -e "$WORK/none" ] \
  || { echo "FAIL: --submit without Slurm: exit $rc, stderr: $(cat "$WORK/none.err")"; exit 1; }
echo "refused: $(cat "$WORK/none.err")"
echo "PASS tests/slurm/run.sh"

#!/usr/bin/env bash
# SSM-Interpret part 1 (issue 12): CodeSSM, RoCoder and CodeSSM-HF pretrained with MLM under identical conditions, then
# each fine-tuned on type inference and code search; writes the nine model folders and manifest.json (read by
# `sharplens ssm-study --manifest`). Resumable: rerun the script; finished steps are skipped, a stopped pretraining run
# continues from its checkpoint (--resume), and a fine-tuning run (short, written atomically) starts over.
#
#   SOURCES="/path/to/python/src1 /path/to/src2" TOKENS=20000000 models/ssm-interpret/reproduce.sh
#
# Every knob is an environment variable (defaults below). The three pretraining runs share the corpus (one functions
# corpus, one token cache), the tokenizer, the seed (so the same data order and masks), seq-len, batch, token budget,
# optimiser and schedule; `sharplens ssm-sizes` picks the MLP widths so that the parameter counts agree within 5 %.
# Wall time (docs/ssm-interpret-training.md): NOT measured at full budget. A tiny-budget measurement (4 steps at the
# defaults, --threads 1, niced, 400-token vocabulary, shared 2-core machine under load) scaled to TOKENS=20,000,000 gives
# per pretraining ≈ 6.5-7 h (codessm, 810-860 tok/s), ≈ 7.5-8 h (rocoder, 690-740 tok/s), ≈ 5.5-7.5 h (codessm-hf);
# per fine-tuning with FT_STEPS=1000 ≈ 1.5 h (type inference, 5-6 s/step) and ≈ 2.5 h (code search, 8-9 s/step).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHARPLENS="${SHARPLENS:-sharplens}"                  # the CLI (e.g. a published binary or `dotnet path/SharpLens.Cli.dll`)
SOURCES="${SOURCES:?set SOURCES to one or more folders DIR[:GLOB] of Python code}"
OUT="${OUT:-$HERE}"                                  # model folders + manifest.json (committed)
WORK="${WORK:-$HERE/work}"                           # functions corpus, token cache, training runs with checkpoints (not committed)
VALID="${VALID:-0.05}"; TEST="${TEST:-0.1}"          # fractions of files (by content hash) in valid / test
VOCAB="${VOCAB:-8192}"                               # byte-level BPE trained on train.jsonl
TOKENS="${TOKENS:-20000000}"                         # pretraining budget per model (tokens)
LAYERS="${LAYERS:-12}"; D_MODEL="${D_MODEL:-256}"; HEADS="${HEADS:-4}"; D_STATE="${D_STATE:-64}"
CONV_KERNEL="${CONV_KERNEL:-4}"; CONV_MERGE="${CONV_MERGE:-sum}"
SEQ_LEN="${SEQ_LEN:-256}"; BATCH="${BATCH:-16}"; LR="${LR:-1e-3}"; MIN_LR="${MIN_LR:-1e-4}"; WARMUP="${WARMUP:-500}"
SEED="${SEED:-1234}"; THREADS="${THREADS:-auto}"; PRECISION="${PRECISION:-auto}"; CHECKPOINT_EVERY="${CHECKPOINT_EVERY:-200}"
EVAL_MLM_MAX="${EVAL_MLM_MAX:-2000}"; EXPORT_DTYPE="${EXPORT_DTYPE:-bfloat16}"   # weights stored as bf16: half the size
FT_STEPS="${FT_STEPS:-1000}"; FT_BATCH="${FT_BATCH:-16}"; FT_SEQ_LEN="${FT_SEQ_LEN:-$SEQ_LEN}"; FT_LR="${FT_LR:-2e-4}"; FT_SEED="${FT_SEED:-1}"
TYPES="${TYPES:-16}"; EVAL_PAIRS="${EVAL_PAIRS:-1000}"; POOL="${POOL:-1000}"
# Lanes: run two copies side by side on disjoint ROLES (one thread each) once the tokenizer and the token cache exist,
# e.g. ROLES="codessm codessm-hf" in one shell and ROLES=rocoder in another; STAGES picks pretrain / finetune / manifest
# (manifest includes the model cards and SCORES.md), FT_TASKS the fine-tunings (typeinf / search).
ROLES="${ROLES:-codessm rocoder codessm-hf}"; STAGES="${STAGES:-pretrain finetune manifest}"; FT_TASKS="${FT_TASKS:-typeinf search}"
has() { case " $2 " in *" $1 "*) return 0;; *) return 1;; esac; }

FUNCTIONS="$WORK/functions"; TOK="$WORK/tokenizer"; CACHE="$WORK/token_cache"
mkdir -p "$OUT" "$WORK"
say() { echo "[$(date -u +%H:%M:%S)] $*"; }

# 1. the functions corpus (seconds)
if [ ! -f "$FUNCTIONS/manifest.json" ]; then
  say "data functions → $FUNCTIONS"
  args=(); for s in $SOURCES; do args+=(--source "$s"); done
  $SHARPLENS data functions "${args[@]}" --valid "$VALID" --test "$TEST" --out "$FUNCTIONS"
else say "skip: $FUNCTIONS exists"; fi

# 2. pretraining, three models, identical conditions (the first run also trains the tokenizer when there is none)
# The exact command of each step, in one place: run by the steps and shown in the model cards.
pretrain_cmd() {  # ROLE ARCH D_MLP [extra train options] → CMD
  local role="$1" arch="$2" dmlp="$3"; shift 3
  CMD=($SHARPLENS train --arch "$arch" --objective mlm --corpus "$FUNCTIONS/train.jsonl" --tokenizer "$TOK" --cache "$CACHE" --out "$WORK/runs/$role" \
    --layers "$LAYERS" --d-model "$D_MODEL" --heads "$HEADS" --d-mlp "$dmlp" --d-state "$D_STATE" --seq-len "$SEQ_LEN" --batch "$BATCH" \
    --tokens "$TOKENS" --lr "$LR" --min-lr "$MIN_LR" --warmup "$WARMUP" --seed "$SEED" --threads "$THREADS" --precision "$PRECISION" \
    --checkpoint-every "$CHECKPOINT_EVERY" --eval-mlm "$FUNCTIONS/valid.jsonl" --eval-mlm "$FUNCTIONS/test.jsonl" --eval-mlm-max "$EVAL_MLM_MAX" \
    --export-dtype "$EXPORT_DTYPE" "$@")
}
pretrain() {  # ROLE ARCH D_MLP [extra train options]
  local role="$1" arch="$2" dmlp="$3"; shift 3
  local run="$WORK/runs/$role" dst="$OUT/$role"
  if [ -f "$dst/mlm_eval.json" ]; then say "skip: $dst is finished"; return; fi
  local extra=()
  if [ -f "$run/checkpoint/checkpoint.safetensors" ]; then extra+=(--resume); fi
  if [ ! -f "$TOK/tokenizer.json" ]; then extra+=(--train-tokenizer "$VOCAB"); fi
  say "train $role ($arch, d_mlp $dmlp) → $run ${extra[*]:-}"
  pretrain_cmd "$role" "$arch" "$dmlp" "$@" "${extra[@]}"
  "${CMD[@]}"
  # the committed folder: the run's files without checkpoint/ (optimiser state) and snapshots
  rm -rf "$dst.tmp" && mkdir -p "$dst.tmp"
  for f in "$run"/*; do if [ -f "$f" ]; then cp "$f" "$dst.tmp/"; fi; done
  rm -rf "$dst" && mv "$dst.tmp" "$dst"
}

if [ ! -f "$TOK/tokenizer.json" ]; then
  # sizes need the vocabulary: CodeSSM (whose widths do not depend on it) trains the tokenizer first
  pretrain codessm bigs $((4 * D_MODEL))
fi
eval "$($SHARPLENS ssm-sizes --tokenizer "$TOK" --layers "$LAYERS" --d-model "$D_MODEL" --heads "$HEADS" --d-state "$D_STATE" \
  --seq-len "$SEQ_LEN" --conv-kernel "$CONV_KERNEL" --conv-merge "$CONV_MERGE" --format sh)"
say "widths: codessm d_mlp $CODESSM_D_MLP ($CODESSM_PARAMS), rocoder d_mlp $ROCODER_D_MLP ($ROCODER_PARAMS), codessm-hf d_mlp $CODESSM_HF_D_MLP ($CODESSM_HF_PARAMS)"
if has pretrain "$STAGES"; then
  if has codessm "$ROLES"; then pretrain codessm bigs "$CODESSM_D_MLP"; fi
  if has rocoder "$ROLES"; then pretrain rocoder roberta-rope "$ROCODER_D_MLP"; fi
  if has codessm-hf "$ROLES"; then pretrain codessm-hf bigs "$CODESSM_HF_D_MLP" --conv-kernel "$CONV_KERNEL" --conv-merge "$CONV_MERGE"; fi
fi

# 3. fine-tuning, two tasks × three models, identical settings
finetune_cmd() {  # ROLE TASK VARIANT [extra finetune options] → CMD
  local role="$1" task="$2" variant="$3"; shift 3
  local threads=(); if [ "$THREADS" != auto ]; then threads=(--threads "$THREADS"); fi
  CMD=($SHARPLENS finetune --task "$task" --role "$role" --model "$OUT/$role" --data "$FUNCTIONS" --out "$OUT/$role-$variant" --steps "$FT_STEPS" \
    --batch "$FT_BATCH" --seq-len "$FT_SEQ_LEN" --lr "$FT_LR" --seed "$FT_SEED" --precision "$PRECISION" --export-dtype "$EXPORT_DTYPE" "${threads[@]}" "$@")
}
typeinf_args=(--types "$TYPES"); search_args=(--eval-pairs "$EVAL_PAIRS" --pool "$POOL")
finetune() {  # ROLE TASK VARIANT [extra finetune options]
  local role="$1" task="$2" variant="$3"; shift 3
  local dst="$OUT/$role-$variant"
  if [ -f "$dst/finetune_result.json" ]; then say "skip: $dst is finished"; return; fi
  say "finetune $role on $task → $dst"
  finetune_cmd "$role" "$task" "$variant" "$@"
  "${CMD[@]}"
}
if has finetune "$STAGES"; then
  for role in $ROLES; do
    if has typeinf "$FT_TASKS"; then finetune "$role" type-inference typeinf "${typeinf_args[@]}"; fi
    if has search "$FT_TASKS"; then finetune "$role" code-search search "${search_args[@]}"; fi
  done
fi
if ! has manifest "$STAGES"; then say "done: stages $STAGES for $ROLES"; exit 0; fi

# 4. the manifest `sharplens ssm-study --manifest` reads (folders relative to it)
entries=""
for role in codessm rocoder codessm-hf; do
  entries+="    {\"folder\": \"$role\", \"role\": \"$role\", \"variant\": \"pretrained\"},"$'\n'
  for variant in typeinf search; do
    entries+="    {\"folder\": \"$role-$variant\", \"role\": \"$role\", \"variant\": \"$variant\", \"from\": \"$role\"},"$'\n'
  done
done
printf '{\n  "models": [\n%s\n  ]\n}\n' "${entries%,$'\n'}" > "$OUT/manifest.json.tmp"
mv "$OUT/manifest.json.tmp" "$OUT/manifest.json"
say "done: $OUT/manifest.json"

# 5. model cards (every number read from the folder's own files by `sharplens card`) and the scores table
knobs="SOURCES=\"$SOURCES\" TOKENS=$TOKENS LAYERS=$LAYERS D_MODEL=$D_MODEL HEADS=$HEADS D_STATE=$D_STATE SEQ_LEN=$SEQ_LEN BATCH=$BATCH LR=$LR MIN_LR=$MIN_LR WARMUP=$WARMUP SEED=$SEED THREADS=$THREADS PRECISION=$PRECISION VOCAB=$VOCAB FT_STEPS=$FT_STEPS FT_BATCH=$FT_BATCH FT_LR=$FT_LR FT_SEED=$FT_SEED TYPES=$TYPES EVAL_PAIRS=$EVAL_PAIRS POOL=$POOL CONV_KERNEL=$CONV_KERNEL CONV_MERGE=$CONV_MERGE models/ssm-interpret/reproduce.sh"
$SHARPLENS card --scores "$OUT/manifest.json" > "$OUT/SCORES.md.tmp" && mv "$OUT/SCORES.md.tmp" "$OUT/SCORES.md"
printf '## Scores of the whole set (SCORES.md)\n\n' > "$WORK/card-notes.md" && cat "$OUT/SCORES.md" >> "$WORK/card-notes.md"
card() {  # FOLDER TITLE (CMD holds the step's command); every card ends with the scores table of the whole set
  $SHARPLENS card "$OUT/$1" --title "$2" --command "# everything: $knobs" --command "# this folder's step (WORK=$WORK, OUT=$OUT):" --command "${CMD[*]}" \
    --notes "$WORK/card-notes.md" >/dev/null
}
pretrain_cmd codessm bigs "$CODESSM_D_MLP"; card codessm "CodeSSM (BiGS), pretrained with MLM"
pretrain_cmd rocoder roberta-rope "$ROCODER_D_MLP"; card rocoder "RoCoder (RoFormer encoder, RoPE), pretrained with MLM"
pretrain_cmd codessm-hf bigs "$CODESSM_HF_D_MLP" --conv-kernel "$CONV_KERNEL" --conv-merge "$CONV_MERGE"; card codessm-hf "CodeSSM-HF (BiGS + parallel short convolution), pretrained with MLM"
for role in codessm rocoder codessm-hf; do
  finetune_cmd "$role" type-inference typeinf "${typeinf_args[@]}"; card "$role-typeinf" "$role fine-tuned on type inference"
  finetune_cmd "$role" code-search search "${search_args[@]}"; card "$role-search" "$role fine-tuned on code search"
done
say "done: model cards and $OUT/SCORES.md"

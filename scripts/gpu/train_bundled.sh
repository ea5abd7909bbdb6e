#!/bin/sh
# Train both bundled models (FER-2013 7-class and FER+ 8-class, vgg_fer_wide at 48 px) side by side on
# one GPU, in one call of a lent GPU machine: the commands that made models/fer2013_7class.pt and
# models/ferplus_default.pt (docs/training.md, "Training the bundled models on a GPU").
#
#   sh scripts/gpu/train_bundled.sh PART0 PART1     # parts from scripts/gpu/pack_datasets.py
#
# Batch 256 (linear-scaled LR 0.04, 5 warm-up epochs): on the lent H200 a step costs about 20 ms
# whatever the batch (per-step overhead, not arithmetic), so 256 gives 4x the epochs of 64 in the
# same minutes; 90 epochs took 5.7 min for both runs together.
# Settings (environment): OUT (results; default runs/gpu), DATA (unpacked data; /tmp/data),
# EPOCHS (90), or BUDGET (seconds of training: scripts/gpu/plan_epochs.py sizes EPOCHS by timing real
# steps), DEVICE (cuda), PYTHON (python3), SMOKE=1 (two steps, one epoch: a dry run).
# Results: OUT/<run>/best.pt and history.json, OUT/<run>.log, OUT/plan.log; last.pt is removed at the
# end (it is the resume state, 3x the model, and a finished cosine run does not resume).
set -eu
OUT=${OUT:-runs/gpu}
DATA=${DATA:-/tmp/data}
BATCH=256
DEVICE=${DEVICE:-cuda}
PY=${PYTHON:-python3}
export PYTHONPATH="$PWD" PYTHONUNBUFFERED=1
mkdir -p "$OUT"
[ -d "$DATA/ferplus" ] || "$PY" scripts/gpu/pack_datasets.py unpack --workers 16 --out "$DATA" "$@"

LIMIT=""
if [ "${SMOKE:-0}" = 1 ]; then
    EPOCHS=1 LIMIT="--max-steps-per-epoch 2"
elif [ -n "${BUDGET:-}" ]; then
    EPOCHS=$("$PY" scripts/gpu/plan_epochs.py --arch vgg_fer_wide --batch-size $BATCH --train-items 28709 \
        --val-items 3589 --budget-s "$BUDGET" --max-epochs 200 --device "$DEVICE" 2>>"$OUT/plan.log") || EPOCHS=60
fi
EPOCHS=${EPOCHS:-90}
echo "epochs: $EPOCHS" >>"$OUT/plan.log"

COMMON="--arch vgg_fer_wide --input-size 48 --channels 1 --epochs $EPOCHS --patience $EPOCHS --batch-size $BATCH
 --optimizer sgd --lr 0.04 --momentum 0.9 --weight-decay 5e-4 --warmup-epochs 5 --schedule cosine
 --imbalance none --augment-preset strong_erasing --ema-decay 0.999 --seed 0 --monitor accuracy
 --amp --channels-last --num-threads 4 --log-every 200 --device $DEVICE $LIMIT"
STOP=${STOP:-1800}  # seconds: a run cut short still leaves its best.pt behind

# shellcheck disable=SC2086  # COMMON is a list of flags
timeout "$STOP" "$PY" -m ml train $COMMON --data "$DATA/fer2013_sharp" --train-split train --val-split val \
    --task emotion --label-mode majority --label-smoothing 0.1 --out-dir "$OUT/fer2013" >"$OUT/fer2013.log" 2>&1 &
FER2013=$!
# shellcheck disable=SC2086
timeout "$STOP" "$PY" -m ml train $COMMON --data "$DATA/ferplus" --train-split FER2013Train \
    --val-split FER2013Valid --label-mode distribution --va-head --va-loss-weight 0.2 \
    --out-dir "$OUT/ferplus" >"$OUT/ferplus.log" 2>&1 &
FERPLUS=$!
status=0
wait "$FER2013" || status=$?
wait "$FERPLUS" || status=$?
rm -f "$OUT"/*/last.pt
tail -n 3 -- "$OUT/fer2013.log" "$OUT/ferplus.log"
exit "$status"

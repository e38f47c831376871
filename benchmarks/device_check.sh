#!/usr/bin/env bash
# Issue 22's device check: fused training's throughput and its step modes' PSNR, in about 7.5
# minutes on one H200 (each part has its own timeout, so a slow part cannot take the others'
# time; the whole stays under 8 minutes, leaving a 15-minute lease room for one rerun).
#
#   bash benchmarks/device_check.sh            # from the repository root; writes under $OUT
#   OUT=/tmp/check DEVICE=cpu QUICK=1 bash benchmarks/device_check.sh   # a smoke test, anywhere
#
# Needs python3 with torch, numpy, pandas, pyyaml, pillow, scikit-image and tqdm (the H200 image
# has them; PyAV, which only the demo's encoder needs, is stood in for when missing).
#
# Expected output, one file per part under $OUT (each ends with "exit <status>"; 124 = timed out):
#   env.txt         python, torch and CUDA versions, the device, PyTorch's TF32 defaults
#                   (cuDNN convolutions true, matmuls false).
#   throughput.txt  benchmarks/train_throughput.py --fuse 1,2,4,8,16: for espcn, srcnn, vdsr, edsr
#                   and wdsr at x2, x3, x4 (LR patches 48x54, 64x60, 48x54) a row of LR
#                   patch-steps per second per model: "alone" (today's loop; README measured ESPCN
#                   5089/4616/5529 and WDSR 1126/1018/972 on an H200), then G=1..16 fused (each
#                   model's own rate in a group of G; "oom" where a group did not fit), then the
#                   gain at G=16: G x rate / alone, how much faster models get trained. Then the
#                   paper config's device-hours before (every unit alone, planned by
#                   stdo.workflow.plan; README's older count gave 527) and after (fused groups).
#                   Issue 22 is done where 8 x ESPCN's G=8 rate is at least 10 x its alone rate,
#                   WDSR's at least 3 x, and "after" is at most 100 device-hours.
#   psnr_espcn.txt, psnr_wdsr.txt
#                   benchmarks/step_modes.py on a test cell (8 real 1080p frames at x4, 400 LR
#                   patches; 4 models of seeds 0..3): per variant (alone, fused, tf32-off, bf16,
#                   compile) patch-steps/s per model, mean PSNR, the largest PSNR difference from
#                   the same seed trained alone, and "yes" where that is at most 0.05 dB. Expected:
#                   fused within 0.01 dB (float rounding); a mode becomes config/paper.yaml's
#                   default only with "yes" and a higher rate than "fused".
#   bf16.txt        train_throughput.py --amp bf16 for espcn and wdsr at x4, G=8: bf16's rates.
set -u
OUT=${OUT:-device_out}
DEVICE=${DEVICE:-cuda}
mkdir -p "$OUT"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
if ! "$PY" -c "import av" 2>/dev/null; then  # render_frames does not encode: a stand-in will do
    mkdir -p /tmp/stdo_av_stub && echo "# stand-in for PyAV (not used by the benchmarks)" >/tmp/stdo_av_stub/av.py
    export PYTHONPATH="$PYTHONPATH:/tmp/stdo_av_stub"
fi
if [ "${QUICK:-0}" = 1 ]; then  # smoke test: every part, tiny sizes
    TP=(--steps 2 --warmup 1 --fuse 1,2 --backbones espcn --scales 4)
    PE=(--steps 25 --frames 3 --models 2 --variants alone,fused,bf16)
    PW=(--steps 25 --frames 3 --models 2 --variants alone,fused)
    BF=(--steps 2 --warmup 1 --fuse 2 --backbones espcn --scales 4)
else
    TP=(--warmup 5 --steps 50 --target-seconds 0.3 --fuse 1,2,4,8,16)
    PE=(--steps 1000 --models 4 --variants alone,fused,tf32-off,bf16,compile)
    PW=(--steps 400 --models 4 --variants alone,fused,tf32-off,bf16,compile)
    BF=(--warmup 5 --steps 50 --target-seconds 0.3 --fuse 8 --amp bf16 --backbones espcn,wdsr --scales 4)
fi

part() {  # part NAME SECONDS COMMAND...: run with a timeout, output and exit status to $OUT/NAME.txt
    local name=$1 limit=$2
    shift 2
    echo "== $name: $*" >&2
    timeout "$limit" "$@" >"$OUT/$name.txt" 2>&1
    echo "exit $?" >>"$OUT/$name.txt"
    tail -n 3 "$OUT/$name.txt" >&2
}

part env 30 "$PY" -c "
import sys, torch
print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda)
print('device', torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none')
print('tf32 defaults: cudnn', torch.backends.cudnn.allow_tf32, 'matmul', torch.backends.cuda.matmul.allow_tf32)
"
part throughput 180 "$PY" benchmarks/train_throughput.py --device "$DEVICE" "${TP[@]}"
part psnr_espcn 100 "$PY" benchmarks/step_modes.py --device "$DEVICE" --backbone espcn "${PE[@]}"
part psnr_wdsr 140 "$PY" benchmarks/step_modes.py --device "$DEVICE" --backbone wdsr "${PW[@]}"
part bf16 40 "$PY" benchmarks/train_throughput.py --device "$DEVICE" "${BF[@]}"
echo "outputs in $OUT" >&2

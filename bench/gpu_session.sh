#!/usr/bin/env bash
# A GPU session's checks as one command, for a machine lent for minutes (see bench/cuda.py).
#   bash bench/gpu_session.sh probe   # versions, grid.sync() cost, each case's kernel, bench
#   bash bench/gpu_session.sh tests   # the cuda tests on the GPU, then LeNet end to end
#   bash bench/gpu_session.sh final   # bench, LeNet, the cuda tests, the plain-product variant
# Installs recipec (editable, no index) into the python3 it finds, with the wheels in
# .gpu/whl where that python lacks them (lark, optuna...), and writes logs to $OUT (default
# bench/results). Each stage has its own time limit so one slow stage cannot eat the lease.
# A machine that cannot see ../shared gets .gpu/shared in its place: copy ../shared/data's
# mnist AND mnist1d folders there (the tests' first steps read mnist1d).
set -u
OUT=${OUT:-bench/results}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 NUMBA_ENABLE_CUDASIM=0 RECIPEC_CACHE_DIR=/tmp/recipec-cache
stage=${1:-probe}
# numba-cuda 0.30 registers an overload of np.row_stack, which NumPy 2.5 removed: on an image
# that pairs them, give NumPy the old alias back before anything imports numba-cuda
if ! python3 -c "import numpy; numpy.row_stack" 2>/dev/null; then
  mkdir -p /tmp/shim
  echo "import numpy; numpy.row_stack = numpy.vstack" > /tmp/shim/sitecustomize.py
  export PYTHONPATH=/tmp/shim${PYTHONPATH:+:$PYTHONPATH}
fi

if ! python3 -c "import recipec.compiler" 2>/dev/null; then
  if [ -d .gpu/whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile .gpu/whl/*.whl || exit 1
  fi
  python3 -m pip install -q --no-index --no-deps --no-build-isolation -e . || exit 1
fi
# the tests and the benchmark look for the shared data beside the checkout
[ -e ../shared ] || { [ -d .gpu/shared ] && ln -s "$PWD/.gpu/shared" ../shared; }

case "$stage" in
probe)
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv
  timeout 150 python3 -m bench.cuda_probe 2>&1 | tee "$OUT/probe.log"
  timeout 300 python3 -m bench.cuda --epochs 2 2>&1 | tee "$OUT/bench.log"
  ;;
tests)
  timeout 240 python3 -m pytest -q -x -p no:cacheprovider tests/test_cuda.py --durations=12 \
    -k "same_seed or stay_on_the_device or round_trips or fit_and_predict or first_steps or recorded" \
    2>&1 | tee "$OUT/tests.log"
  timeout 200 python3 -m bench.cuda --epochs 1 --cases none --lenet 2>&1 | tee "$OUT/lenet.log"
  ;;
final)
  timeout 200 python3 -m bench.cuda --epochs 2 2>&1 | tee "$OUT/bench.log"
  cp bench/results/cuda.json "$OUT/cuda_bench.json"
  timeout 130 python3 -m bench.cuda --epochs 1 --cases none --lenet 2>&1 | tee "$OUT/lenet.log"
  cp bench/results/cuda.json "$OUT/cuda_lenet.json"
  timeout 120 python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py --durations=8 \
    -k "tiled or weight_gradient or kernels_are or same_seed or stay_on_the_device or round_trips or fit_and_predict or first_steps" \
    2>&1 | tee "$OUT/tests.log"
  RECIPEC_CUDA_MATMUL=plain timeout 70 python3 -m bench.cuda --epochs 1 \
    --cases mlp128_sgd_b64,mlp128_sgd_b256,mlp512_adam_b128 2>&1 | tee "$OUT/bench_plain.log"
  ;;
esac
cp bench/results/cuda.json "$OUT/" 2>/dev/null
true

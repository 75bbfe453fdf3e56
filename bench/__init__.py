"""recipec against PyTorch on MNIST-shaped training, measured in the same run: `python -m bench`.

Both systems start from the same weights (recipec's initial parameters copied into torch), see
the same batches in the same order (`epoch_order(seed, epoch, n, shuffle=True)`, last partial
batch dropped), use the same 2 threads, and are timed alternately, epoch by epoch.

    cases.py     the recipe texts and their torch.nn twins
    mnist.py     MNIST from its IDX files (or synthetic data of the same shape)
    torch_side.py  build the torch model from recipec's parameters, run steps in recipec's order
    machine.py   SGEMM rate, BLAS kernel, peak RSS, cold/warm compile in fresh subprocesses
    run.py       the command line and the measurement loop
    report.py    the rich table, results/latest.json and results/latest.png
"""

#!/usr/bin/env python3
"""SwiftGAN's `bench` beside the PyTorch reference (../shared/bench/torch_dcgan.py), same machine,
same sitting, runs interleaved so both see the same noise; prints medians and ratios.

    python3 Scripts/bench_compare.py                     # all configurations, 3 repeats
    python3 Scripts/bench_compare.py --python /tmp/torchenv/bin/python --repeats 5 --configs 64x3
    python3 Scripts/bench_compare.py --backend blas      # SwiftGAN's reference backend instead

Configurations (batch 64 per rank):
  64x3 r1: 64x64x3, 1 rank x 1 thread           vs PyTorch 1 thread
  64x3 r2: 64x64x3, 2 ranks x 1 thread (mpirun) vs PyTorch 2 threads
  32x1 r1 / r2: the 32x32x1 model likewise
PyTorch is run as pytorch/examples main.py computes the step, and with --freeze-d-in-g (no D
weight gradients in the G step, which SwiftGAN never computes); --bf16 adds SwiftGAN with
--precision bf16 and PyTorch under bfloat16 autocast, and their ratio. Where torch cannot be
imported only SwiftGAN's figures are printed. Peak resident memory is each
run's largest process. "FMA limit" is the share of the core's measured fp32 FMA throughput
that the step's convolution and GEMM work would need at the measured rate; "bf16 limit" the
share of the core's measured bf16 dot-product (vdpbf16ps) throughput in the bf16 run.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWIFTGAN = os.path.join(ROOT, '.build', 'release', 'swiftgan')
TORCH_BENCH = os.path.join(ROOT, '..', 'shared', 'bench', 'torch_dcgan.py')


def run(cmd, env=None):
    """Runs cmd and returns its last JSON line."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err}")
    line = [l for l in out.splitlines() if l.startswith('{')][-1]
    return json.loads(line)


def swiftgan(size, channels, ranks, steps, warmup, backend, precision='fp32'):
    args = [SWIFTGAN, 'bench', '--image-size', str(size), '--channels', str(channels), '--batch-size', '64',
            '--steps', str(steps), '--warmup', str(warmup), '--threads', '1', '--backend', backend,
            '--precision', precision, '--json']
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT='1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM='1')
    if ranks > 1:
        args = ['mpirun', '--mca', 'plm', 'isolated', '-np', str(ranks), '--bind-to', 'core'] + args
    r = run(args, env)
    return r['img_per_s'], r['peak_rss_mib'], r


def torch_bench(python, size, channels, threads, steps, warmup, freeze, bf16=False):
    args = [python, TORCH_BENCH, '--size', str(size), '--channels', str(channels), '--batch', '64',
            '--threads', str(threads), '--steps', str(steps), '--warmup', str(warmup), '--json']
    if freeze:
        args.append('--freeze-d-in-g')
    if bf16:
        args.append('--bf16')
    script = ('import resource, runpy, sys; sys.argv = sys.argv[1:]; '
              'runpy.run_path(sys.argv[0], run_name="__main__"); '
              'print("{\\"rss_mib\\": %f}" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))')
    proc = subprocess.run([python, '-c', script] + args[1:], capture_output=True, text=True,
                          env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    lines = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith('{')]
    result = next(l for l in lines if 'img_per_s' in l)
    rss = next(l for l in lines if 'rss_mib' in l)['rss_mib']
    return statistics.median(result['img_per_s']), rss


def median_run(values, runs):
    """The run whose value is the median of `values` (the lower middle one for an even count)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    return runs[order[(len(values) - 1) // 2]]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--python', default=sys.executable, help='a Python that can import torch')
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--configs', default='64x3,32x1')
    p.add_argument('--ranks', default='1,2')
    p.add_argument('--backend', default='onednn', choices=['onednn', 'blas'])
    p.add_argument('--bf16', action='store_true', help='also SwiftGAN --precision bf16 and PyTorch under bfloat16 autocast')
    args = p.parse_args()
    if not os.path.exists(SWIFTGAN):
        sys.exit(f'{SWIFTGAN} not found: run swift build -c release first')
    has_torch = subprocess.run([args.python, '-c', 'import torch'], capture_output=True).returncode == 0
    if not has_torch:
        print(f'note: {args.python} cannot import torch; printing SwiftGAN only')
    rows = []
    for config in args.configs.split(','):
        size, channels = (int(v) for v in config.split('x'))
        steps, warmup = (5, 1) if size == 64 else (10, 2)
        for ranks in (int(r) for r in args.ranks.split(',')):
            ours, theirs, frozen, half, our_half, our_rss, their_rss = [], [], [], [], [], [], []
            breakdowns, half_breakdowns = [], []
            for _ in range(args.repeats):
                ips, rss, breakdown = swiftgan(size, channels, ranks, steps, warmup, args.backend)
                ours.append(ips)
                our_rss.append(rss)
                breakdowns.append(breakdown)
                if args.bf16:
                    ips, _, half_breakdown = swiftgan(size, channels, ranks, steps, warmup, args.backend, 'bf16')
                    our_half.append(ips)
                    half_breakdowns.append(half_breakdown)
                if has_torch:
                    ips, rss = torch_bench(args.python, size, channels, ranks, steps, warmup, freeze=False)
                    theirs.append(ips)
                    their_rss.append(rss)
                    frozen.append(torch_bench(args.python, size, channels, ranks, steps, warmup, freeze=True)[0])
                    if args.bf16:
                        half.append(torch_bench(args.python, size, channels, ranks, steps, warmup, freeze=False, bf16=True)[0])
            # The shares (FMA limit, allreduce, bf16 limit) are those of the run with the median img/s.
            rows.append((config, ranks, ours, theirs, frozen, our_half, half, max(our_rss), max(their_rss) if their_rss else None,
                         median_run(ours, breakdowns), median_run(our_half, half_breakdowns) if our_half else None))
            print(f'# done {config} ranks={ranks}: ours {ours} torch {theirs} torch-freeze {frozen} ours-bf16 {our_half} torch-bf16 {half}',
                  flush=True)
    print()
    print(f'SwiftGAN backend: {args.backend}; medians of {args.repeats} interleaved runs')
    print('| model | SwiftGAN | img/s | PyTorch fp32 | img/s | ratio | PyTorch, no D grads in G step | ratio | FMA limit | allreduce share '
          '| RSS MiB ours / PyTorch | SwiftGAN bf16 | PyTorch bf16 | ratio | bf16 limit |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
    for config, ranks, ours, theirs, frozen, our_half, half, our_rss, their_rss, b, hb in rows:
        m = statistics.median(ours)
        t = statistics.median(theirs) if theirs else float('nan')
        f = statistics.median(frozen) if frozen else float('nan')
        oh = statistics.median(our_half) if our_half else float('nan')
        h = statistics.median(half) if half else float('nan')
        bf16_limit = f'{100 * hb["bf16_fraction"]:.0f}%' if hb else '—'
        layout = f'{ranks} rank{"s" if ranks > 1 else ""} x 1 thread'
        print(f'| {config.replace("x", "x" + config.split("x")[0] + "x", 1)} | {layout} | {m:.2f} | {ranks} thread{"s" if ranks > 1 else ""} | '
              f'{t:.2f} | {m / t:.2f} | {f:.2f} | {m / f:.2f} | {100 * b["fma_fraction"]:.0f}% | '
              f'{100 * b["communication_share"]:.1f}% | {our_rss:.0f} / {their_rss if their_rss is None else round(their_rss)} | '
              f'{oh:.2f} | {h:.2f} | {oh / h:.2f} | {bf16_limit} |')


if __name__ == '__main__':
    main()

"""python -m tests.fuzz --n 10000 --seed S [--jobs 2] [--shrink] [--effects | --writes | --containers | --objects]

Generates N random programs (seeds S .. S+N-1), checks diffc's gradients
against finite differences, prints a summary (counts per class, time,
refusal kinds) and every failure; with --shrink failures are shrunk and
printed as ready-to-paste pytest regression tests.

--effects generates the programs of gen.EffectsConfig instead: NumPy calls
writing into local arrays (out=, np.copyto, np.add.at, np.put,
operator.setitem, y.sort()...), helpers writing into their array arguments,
lists read whole and by item (also list arguments), decorated helpers.

--writes generates the programs of gen.WritesConfig: writes into arrays
(y[i] = e, y[i] op= e with every augmented operator, slices, rows, columns,
masks, index arrays with repeats) on local arrays and on arguments, arrays
filled in loops, recurrences, overwrite-then-read, stencils, writes in
branches and while loops, views read after a write (refused, never wrong). Each
sample is also checked in forward mode (diffc.jvp against the FD derivative
along a random tangent), and diffc must leave the caller's arrays unchanged.

--containers generates the programs of gen_containers.ContainersConfig: lists
and dicts used as storage (displays, append/extend/pop, item reads and writes,
ls[i] += e, d[k] = e, loops over items/values/keys/enumerate/zip, np.stack and
np.array of lists, sum/max/min/sorted, dicts of lists, lists of dicts, the
char-RNN hs[t] = np.tanh(... hs[t - 1])), list and dict comprehensions,
generator expressions, lambdas and nested defs closing over locals, and lists,
tuples and dicts as arguments (differentiated: finite differences leaf by
leaf). Each sample is also checked in forward mode (jvp with tangents of the
arguments' structure), and diffc must leave the arguments unchanged.

--objects generates the programs of gen_objects.ObjectsConfig: the --containers
programs plus module-level dataclasses, NamedTuples and a plain class made in
f (SimpleNamespace too), attribute reads and writes (o.v = e, o.v += e,
o.a[i] = e), objects in lists, functions held in variables, lists and a
module-level dict or passed to helpers, list edits (pop(i), insert, remove,
+=, [v] * n, slices), d.get / list(d.values()) / for k in d, nested
container writes, sets of constants, lambdas as map functions and key=; some
samples also check diffc.hvp (second order) against differences of diffc.grad.
"""
import argparse
import sys
import time

from .gen import EffectsConfig, WritesConfig
from .gen_containers import ContainersConfig
from .gen_objects import ObjectsConfig
from .runner import Summary, cli_flags, failure_report, run_many, shrink_many


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="number of programs (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    ap.add_argument("--seeds", type=str, default=None,
                    help="comma-separated explicit seeds (overrides --n/--seed)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--shrink", action="store_true", help="shrink failures to minimal regression tests")
    ap.add_argument("--shrink-seconds", type=float, default=60.0,
                    help="time budget per shrink (default 60)")
    ap.add_argument("--per-kind", type=int, default=3,
                    help="shrink at most this many failures per kind; 0 = all (default 3)")
    ap.add_argument("--show", action="store_true", help="print the program of every sample checked")
    ap.add_argument("--findings", type=str, default=None,
                    help="append the failure reports (markdown) to this file")
    ap.add_argument("--effects", action="store_true",
                    help="programs with in-place writes, argument-writing helpers, lists, decorators "
                         "(gen.EffectsConfig)")
    ap.add_argument("--writes", action="store_true",
                    help="programs writing into arrays (x[i] = v, x[i] op= v, slices, masks, index "
                         "arrays) in loops and branches, also checked in forward mode (gen.WritesConfig)")
    ap.add_argument("--containers", action="store_true",
                    help="programs with lists and dicts as storage, comprehensions, lambdas and local "
                         "functions, container arguments; also checked in forward mode "
                         "(gen_containers.ContainersConfig)")
    ap.add_argument("--objects", action="store_true",
                    help="programs with dataclasses, NamedTuples and other objects, functions held in "
                         "variables, list edits, sets and keyed lambdas; also checked in forward mode "
                         "and sometimes second order (gen_objects.ObjectsConfig)")
    a = ap.parse_args(argv)
    if a.effects + a.writes + a.containers + a.objects > 1:
        ap.error("--effects, --writes, --containers and --objects are separate program kinds: choose one")
    config = (WritesConfig if a.writes else EffectsConfig if a.effects
              else ContainersConfig if a.containers else ObjectsConfig if a.objects else None)

    seeds = [int(s) for s in a.seeds.split(",")] if a.seeds else list(range(a.seed, a.seed + a.n))
    t0 = time.time()
    last = [0.0]

    def progress(done, total):
        if sys.stderr.isatty() and time.time() - last[0] > 1.0:
            last[0] = time.time()
            print(f"\r{done}/{total}", end="", file=sys.stderr, flush=True)

    outcomes = run_many(seeds, jobs=a.jobs, progress=progress, config=config)
    if sys.stderr.isatty():
        print("\r", end="", file=sys.stderr)
    summary = Summary(outcomes, time.time() - t0)
    if config is not None:
        print(f"config: {config.__name__} ({cli_flags(config).strip()})")
    print(summary.text())
    if a.show:
        for o in outcomes:
            print(f"--- seed {o.seed}: {o.cls} {o.kind}")
            if o.program is not None:
                print(o.program.source)
    failures = summary.failures()
    if not failures:
        return 0
    print()
    print(f"{len(failures)} failures:")
    reports = []
    to_shrink = []
    if a.shrink:
        per = {}
        for o in failures:
            if o.cls == "INVALID":
                continue
            k = (o.cls, o.kind)
            per[k] = per.get(k, 0) + 1
            if a.per_kind == 0 or per[k] <= a.per_kind:
                to_shrink.append(o.seed)
        t1 = time.time()
        shrunk = shrink_many(to_shrink, jobs=a.jobs, seconds=a.shrink_seconds, config=config)
        print(f"(shrunk {len(to_shrink)} failures in {time.time() - t1:.1f}s)")
    else:
        shrunk = {}
    for o in failures:
        if o.seed in shrunk:
            orig, r = shrunk[o.seed]
            reports.append(failure_report(o.seed, orig, r, config=config))
        elif a.shrink:
            reports.append(f"### seed {o.seed}: {o.cls}: {o.kind} (not shrunk: enough of this kind; "
                           f"rerun with {cli_flags(config)}--seeds {o.seed} --shrink)")
        elif o.cls == "INVALID":
            src = o.program.source if o.program is not None else ""
            reports.append(f"### seed {o.seed}: INVALID: {o.kind}\n```\n{src}\n{o.msg}\n```")
        else:
            reports.append(failure_report(o.seed, o, None, config=config))
    text = "\n\n".join(reports)
    print(text)
    if a.findings:
        with open(a.findings, "a") as fh:
            fh.write(f"\n\n## fuzz run: {cli_flags(config)}seeds {seeds[0]}..{seeds[-1]} ({len(seeds)} programs)\n\n")
            fh.write("```\n" + summary.text() + "\n```\n\n")
            fh.write(text + "\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())

"""Run many seeds (optionally in parallel), summarise, shrink failures."""
import collections
import multiprocessing as mp
import time

from .oracle import run_seed, setup_worker
from .shrink import regression_test, shrink

FAILING = ("WRONG", "CRASH", "INVALID")


def _run(task):
    seed, config = task if isinstance(task, tuple) else (task, None)
    o = run_seed(seed, config)
    o.seed = seed
    return o


def _shrink(args):
    seed, seconds, config = args if len(args) == 3 else args + (None,)
    o = run_seed(seed, config)
    o.seed = seed
    if o.cls not in ("WRONG", "CRASH"):
        return seed, o, None
    t = time.time()
    r = shrink(o, max_seconds=seconds)
    r.shrink_seconds = time.time() - t
    return seed, o, r


def _pool(jobs):
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    return ctx.Pool(jobs, initializer=setup_worker, maxtasksperchild=200)


def run_many(seeds, jobs=1, progress=None, config=None):
    """Outcomes of all seeds (in seed order); ``config`` a gen.Config class
    (None: the default programs)."""
    seeds = list(seeds)
    out = {}
    if jobs <= 1:
        setup_worker()
        for s in seeds:
            out[s] = _run((s, config))
            if progress:
                progress(len(out), len(seeds))
    else:
        with _pool(jobs) as pool:
            for o in pool.imap_unordered(_run, [(s, config) for s in seeds], chunksize=4):
                out[o.seed] = o
                if progress:
                    progress(len(out), len(seeds))
    return [out[s] for s in seeds]


def shrink_many(seeds, jobs=1, seconds=60.0, config=None):
    """{seed: (original outcome, shrunk outcome)}."""
    tasks = [(s, seconds, config) for s in seeds]
    res = {}
    if jobs <= 1 or len(tasks) <= 1:
        setup_worker()
        for t in tasks:
            s, o, r = _shrink(t)
            res[s] = (o, r)
    else:
        with _pool(jobs) as pool:
            for s, o, r in pool.imap_unordered(_shrink, tasks):
                res[s] = (o, r)
    return res


class Summary:
    def __init__(self, outcomes, seconds):
        self.outcomes = outcomes
        self.seconds = seconds
        self.classes = collections.Counter(o.cls for o in outcomes)
        self.by_kind = collections.defaultdict(list)
        for o in outcomes:
            if o.cls != "OK":
                self.by_kind[(o.cls, o.kind)].append(o.seed)
        self.rejects = collections.Counter()
        for o in outcomes:
            self.rejects.update(o.rejects)

    def failures(self):
        return [o for o in self.outcomes if o.cls in FAILING]

    def text(self):
        n = len(self.outcomes)
        lines = [f"diffc fuzz: {n} programs in {self.seconds:.1f}s "
                 f"({n / max(self.seconds, 1e-9):.1f} programs/s)"]
        lines.append("  " + "  ".join(f"{c}: {self.classes.get(c, 0)}"
                                      for c in ("OK", "WRONG", "CRASH", "REFUSED", "INVALID")))
        for cls in ("WRONG", "CRASH", "INVALID", "REFUSED"):
            kinds = sorted(((k, s) for k, s in self.by_kind.items() if k[0] == cls),
                           key=lambda kv: -len(kv[1]))
            if not kinds:
                continue
            lines.append(f"{cls} by kind:")
            for (c, kind), seeds in kinds:
                shown = ", ".join(map(str, seeds[:12])) + (" ..." if len(seeds) > 12 else "")
                lines.append(f"  {len(seeds):5d}  {kind}")
                lines.append(f"         seeds: {shown}")
        if self.rejects:
            lines.append("samples rejected as unfair FD tests (then redrawn): " +
                         ", ".join(f"{k}: {v}" for k, v in self.rejects.most_common()))
        return "\n".join(lines)


def cli_flags(config):
    """The `python -m tests.fuzz` flags selecting ``config``."""
    if config is not None and getattr(config, "objects", False):
        return "--objects "
    if config is not None and getattr(config, "containers", False):
        return "--containers "
    if config is not None and getattr(config, "writes", False):
        return "--writes "
    return "--effects " if config is not None and getattr(config, "effects", False) else ""


def failure_report(seed, original, shrunk, config=None):
    o = shrunk or original
    head = f"### seed {seed}: {o.cls}: {o.kind}"
    parts = [head]
    if config is not None:
        parts.append(f"(reproduce: python -m tests.fuzz {cli_flags(config)}--seeds {seed} --shrink)")
    if shrunk is not None:
        parts.append(f"(shrunk in {getattr(shrunk, 'shrink_seconds', 0):.0f}s, "
                     f"{getattr(shrunk, 'shrink_evals', 0)} evaluations)")
    parts.append("```python")
    parts.append(regression_test(o, seed=seed).rstrip())
    parts.append("```")
    if o.cls == "CRASH" and o.msg:
        parts.append("traceback (tail):")
        parts.append("```")
        parts.append("\n".join(o.msg.strip().splitlines()[-8:]))
        parts.append("```")
    return "\n".join(parts)


def check_slice(seeds, jobs=1, config=None, shrink_first=8, shrink_seconds=20.0):
    """Run a fixed slice of seeds as a test: returns (summary, report), report
    None when no program is WRONG or CRASH, fewer than 3% are not checked and
    at most 2% INVALID; otherwise the text to fail with (every failing seed,
    the first failure of each kind shrunk to a regression test)."""
    t0 = time.time()
    seeds = list(seeds)
    outcomes = run_many(seeds, jobs=jobs, config=config)
    summary = Summary(outcomes, time.time() - t0)
    checked = sum(1 for o in outcomes if o.cls in ("OK", "WRONG", "CRASH", "REFUSED"))
    bad = [o for o in outcomes if o.cls in ("WRONG", "CRASH")]
    invalid = [o for o in outcomes if o.cls == "INVALID"]
    if checked < 0.97 * len(seeds):
        return summary, summary.text() + f"\nonly {checked} of {len(seeds)} programs were checked"
    if not bad and len(invalid) <= 0.02 * len(seeds):
        return summary, None
    first = {}
    for o in bad:
        first.setdefault((o.cls, o.kind), o.seed)
    shrunk = shrink_many(list(first.values())[:shrink_first], jobs=jobs, seconds=shrink_seconds, config=config)
    flags = cli_flags(config)
    parts = [summary.text(), "", f"{len(bad)} failing seeds: {[o.seed for o in bad]}"]
    for o in bad:
        if o.seed in shrunk:
            parts.append(failure_report(o.seed, *shrunk[o.seed], config=config))
        else:
            parts.append(f"### seed {o.seed}: {o.cls}: {o.kind} "
                         f"(python -m tests.fuzz {flags}--seeds {o.seed} --shrink)")
    for o in invalid:
        parts.append(f"### seed {o.seed}: INVALID (generator's fault): {o.kind} "
                     f"(python -m tests.fuzz {flags}--seeds {o.seed} --show)")
    return summary, "\n".join(parts)

"""What every subcommand shares: the one-line-error parser, the GA/training/execution flags, flags overlaid on the
config, flag names added to storage errors, and the graceful stop on Ctrl-C (SIGINT) or SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from gaterm.config import CROSSOVER_DEPTHS, PRUNERS
from gaterm.errors import GatermError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        raise GatermError(message)


def _int_at_least(low: int, rule: str) -> Callable[[str], int]:
    """An argparse type: an integer >= `low`; `rule` is what the error says it must be."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"must be {rule}, got {v}")
        return v

    return parse


positive_int = _int_at_least(1, "a positive integer")
non_negative_int = _int_at_least(0, ">= 0")


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def add_ga_options(p: argparse.ArgumentParser, per_arm: bool = True) -> None:
    """The GA and training flags shared by `--no-ui` runs and `compare` (which sets merge per arm itself)."""
    g = p.add_argument_group("genetic algorithm")
    g.add_argument("--population", type=positive_int, metavar="N",
                   help="individuals of generation 0, and of every generation after it (default 20)")
    g.add_argument("--survivors", type=positive_int, metavar="N",
                   help="the best N go on and are the parents (default 5; 10 in gaterm compare, as in the study)")
    g.add_argument("--generations", type=positive_int, metavar="N",
                   help="generation 0 and N - 1 more; with async, blocks of population - survivors children "
                   "(default 10)")
    g.add_argument("--mutation-prob", type=number, metavar="P",
                   help="the probability that each gene of a child changes (default 0.1)")
    g.add_argument("--target", type=number, metavar="X", help="stop when best accuracy >= X (or MAE <= X)")
    g.add_argument("--time-budget", type=number, metavar="SECONDS", help="start no evaluation after this")
    if per_arm:
        g.add_argument("--merge", action=argparse.BooleanOptionalAction, default=None,
                       help="children start from merged parent weights (default: on)")
        g.add_argument("--merge-strategy", metavar="NAME", help="merge strategy (default: select)")
        g.add_argument("--seed", type=non_negative_int, metavar="N")
    g.add_argument("--schedule", choices=("generational", "async"), metavar="KIND",
                   help="async (default: steady state, a child is bred from the best so far whenever a worker "
                   "is free) or generational (each generation waits for its slowest evaluation; the study's, and "
                   "gaterm compare's)")
    g.add_argument("--first-share", type=number, metavar="S",
                   help="async schedule with --time-budget: generation 0 starts evaluations during this share of "
                        "the budget only, then breeding begins (default 1: the whole population)")
    g.add_argument("--dedupe", action=argparse.BooleanOptionalAction, default=None,
                   help="mutate a child again until its genes differ from every individual's so far (default: "
                        "off, as in the study)")
    g.add_argument("--crossover-depth", choices=CROSSOVER_DEPTHS, metavar="RULE",
                   help="a child is as deep as either parent (either, the default) or as its deeper parent "
                   "(deeper, as in the study and gaterm compare)")
    g.add_argument("--init", choices=("random", "spread"), metavar="KIND",
                   help="generation 0: random (default) or spread (each gene's values covered evenly)")
    g.add_argument("--select-on", choices=("validation", "test"), metavar="SPLIT",
                   help="the split every decision uses: validation (default) or test (the study's protocol; "
                   "its reported test result is optimistically biased)")
    g.add_argument("--paired-control", action=argparse.BooleanOptionalAction, default=None,
                   help="also train each merged child from fresh init, for comparison only "
                   f"(default: {'off' if per_arm else 'on'})")
    add_training_options(p)
    e = p.add_argument_group("execution (results do not depend on these)")
    e.add_argument("--workers", type=positive_int, default=1, metavar="N",
                   help="evaluate N individuals at once in worker processes (default: 1)")
    e.add_argument("--scheduler", metavar="ADDRESS",
                   help="send evaluations to a Dask distributed scheduler, e.g. tcp://host:8786")
    k = p.add_argument_group("tracking")
    k.add_argument("--mlflow", metavar="URI",
                   help="also log the run to MLflow: a directory, a file: URI, sqlite:///FILE or http(s)://HOST "
                   "(default: the config's [tracking] mlflow_uri; off without one)")
    k.add_argument("--mlflow-experiment", metavar="NAME", help="MLflow experiment (default: gaterm)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bars or per-generation lines: only the final line (best result and run "
                   "directory)")


def add_training_options(p: argparse.ArgumentParser) -> None:
    """How each network is trained: early stopping, pruning, device."""
    t = p.add_argument_group("training")
    t.add_argument("--max-epochs", type=positive_int, metavar="N")
    t.add_argument("--patience", type=positive_int, metavar="N")
    t.add_argument("--merged-patience", type=non_negative_int, metavar="N",
                   help="early-stopping patience of merged children (default 0: the same as --patience)")
    t.add_argument("--min-delta", type=number, metavar="D")
    t.add_argument("--device", metavar="DEV", help="cpu (default) or cuda")
    t.add_argument("--threads", type=non_negative_int, metavar="N",
                   help="torch threads per evaluation (default: 1; --workers scales better)")
    t.add_argument("--prune", action=argparse.BooleanOptionalAction, default=None,
                   help="median pruning: stop an evaluation after epoch k when its best validation loss so far "
                   "is worse than the median of earlier evaluations' (same loss) best-so-far at epoch k "
                   "(default: on; off in gaterm compare, as in the study)")
    t.add_argument("--prune-warmup", type=non_negative_int, metavar="K",
                   help="epochs before pruning may start (5)")
    t.add_argument("--prune-startup", type=positive_int, metavar="N",
                   help="completed curves of the same loss needed before pruning starts (5)")
    t.add_argument("--pruner", choices=PRUNERS, metavar="RULE",
                   help="with --prune: median (default) or asha (successive halving: at epochs W+1, (W+1)*eta, ... "
                   "only the best 1/eta of the evaluations that reached the epoch go on)")
    t.add_argument("--prune-eta", type=positive_int, metavar="ETA",
                   help="asha: the rung factor and the share 1/ETA that goes on (3)")
    t.add_argument("--relative-patience", action=argparse.BooleanOptionalAction, default=None,
                   help="merged children stop after as many epochs without improvement as they took to reach "
                   "their best (at least 2, at most the patience; default: off)")
    t.add_argument("--prune-lag", type=non_negative_int, metavar="L",
                   help="an evaluation is compared with its generation's evaluations at least L + 1 positions "
                   "earlier; with pruning at most L + 1 run at once (3)")


def add_data_options(p: argparse.ArgumentParser) -> None:
    """Your own table: `--data FILE --label COLUMN` (the `table` data set), as `[data]` in the config file."""
    d = p.add_argument_group("your own data (a CSV or Parquet table)")
    d.add_argument("--data", metavar="FILE", help="train on this CSV or Parquet file (data set 'table')")
    d.add_argument("--label", metavar="COLUMN", help="the column to predict")
    d.add_argument("--task", choices=("auto", "classification", "regression"), metavar="TASK",
                   help="classification or regression (default: auto, inferred from the label column)")
    d.add_argument("--impute", choices=("none", "median"), metavar="RULE",
                   help="missing values: none (an error, default) or median (numbers: the training split's "
                   "median; categories: the most frequent)")


# flag (argparse dest) -> config key path
FLAG_TO_KEY: dict[str, tuple[str, ...]] = {
    "dataset": ("dataset",), "seed": ("seed",),
    "population": ("ga", "population"), "survivors": ("ga", "survivors"), "generations": ("ga", "generations"),
    "mutation_prob": ("ga", "mutation_prob"), "target": ("ga", "target"), "time_budget": ("ga", "time_budget_s"),
    "merge": ("ga", "merge"), "merge_strategy": ("ga", "merge_strategy"),
    "paired_control": ("ga", "paired_control"), "select_on": ("ga", "selection"), "init": ("ga", "init"),
    "schedule": ("ga", "schedule"), "first_share": ("ga", "first_share"), "dedupe": ("ga", "dedupe"),
    "max_epochs": ("training", "max_epochs"), "patience": ("training", "patience"),
    "merged_patience": ("training", "merged_patience"),
    "min_delta": ("training", "min_delta"), "device": ("training", "device"), "threads": ("training", "threads"),
    "prune": ("training", "prune"), "prune_warmup": ("training", "prune_warmup"),
    "mlflow": ("tracking", "mlflow_uri"), "mlflow_experiment": ("tracking", "experiment"),
    "data": ("data", "file"), "label": ("data", "label"), "task": ("data", "task"), "impute": ("data", "impute"),
    "init_from": ("ga", "init_from"),
    "prune_startup": ("training", "prune_startup"), "prune_lag": ("training", "prune_lag"),
    "pruner": ("training", "pruner"), "prune_eta": ("training", "prune_eta"),
    "relative_patience": ("training", "relative_patience"), "crossover_depth": ("ga", "crossover_depth"),
}
_PATH_FLAGS = ("data", "init_from")  # made absolute: worker processes and the stored config.toml need them so


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """The config keys the flags set, shaped like the TOML file (for `gaterm.config.config_from`)."""
    out: dict[str, Any] = {}
    for flag, key in FLAG_TO_KEY.items():
        value = getattr(args, flag, None)
        if value is None:
            continue
        if flag in _PATH_FLAGS:
            value = os.path.abspath(os.path.expanduser(value))
        if len(key) == 1:
            out[key[0]] = value
        else:
            out.setdefault(key[0], {})[key[1]] = value
    return out


@contextlib.contextmanager
def for_flag(flag: str) -> Iterator[None]:
    """Re-raise a user error with the flag it came from in front (`--out: DIR already holds a run`)."""
    try:
        yield
    except GatermError as exc:
        raise type(exc)(f"{flag}: {exc}") from None


class StopRequest(threading.Event):
    """Set by the first SIGINT or SIGTERM; `exit_code` is the shell's code for the signal that came (130 for
    Ctrl-C, 143 for SIGTERM)."""

    def __init__(self) -> None:
        super().__init__()
        self.signum: int | None = None

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)


class Aborted(KeyboardInterrupt):
    """A second stop signal: abort at once. `exit_code` as for `StopRequest`."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.exit_code = 128 + signum


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def graceful_stop(announce: Callable[[], None]) -> Iterator[StopRequest]:
    """A first Ctrl-C or SIGTERM (what batch schedulers send before SIGKILL) sets the yielded event, so the
    engine stops cleanly after the current epoch and keeps its work, and calls `announce`; a second signal of
    either kind aborts at once (`Aborted`). The previous handlers are restored on exit."""
    stop = StopRequest()

    def on_signal(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise Aborted(signum)
        stop.signum = signum
        stop.set()
        announce()

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


graceful_sigint = graceful_stop  # the former name

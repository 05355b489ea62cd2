"""The ``mpsim`` command: thin — it parses arguments and calls scenario/ and experiment/.

Exit codes: 0 ok; 2 bad input (``FILE:LINE: field: message``, no traceback);
1 an internal error (a bug: the traceback is printed).
"""

from __future__ import annotations

import atexit
import gc
import signal
import sys
import time
import traceback
from pathlib import Path

import click

from mpsim import __version__
from mpsim.core.errors import MpsimError, ScenarioError

def _bad_input(exc: MpsimError, file=None) -> None:
    if isinstance(exc, ScenarioError):
        lines = [str(exc)] + [str(e) for e in getattr(exc, "others", [])]
    elif getattr(exc, "one_line", False):        # not about a place in a file
        lines = [f"mpsim: {exc}"]
    else:
        lines = [f"{file or '<input>'}:0: {exc}"]
    for line in lines:
        click.echo(line, err=True)
    sys.exit(2)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the command stops cleanly (exit 143)."""


def _terminate(signum, frame):
    raise Terminated()


def _interrupted(exc, message="interrupted") -> None:
    click.echo(message, err=True)
    sys.exit(143 if isinstance(exc, Terminated) else 130)


def _guard(fn, file=None, interrupt=True):
    try:
        return fn()
    except MpsimError as exc:
        _bad_input(exc, file)
    except KeyboardInterrupt as exc:
        if not interrupt:
            raise
        _interrupted(exc)
    except Exception:  # a bug in mpsim: show everything
        traceback.print_exc()
        sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mpsim")
def main():
    """mpsim — a discrete-event simulator of how nodes join multipoint sessions.

    \b
    Examples:
      mpsim run scenarios/quickstart.yaml
      mpsim validate scenarios/*.yaml
      mpsim sweep scenarios/igmp_loss.yaml --jobs 2
      mpsim plot out/quickstart
      mpsim topo scenarios/quickstart.yaml -o topology.png
    """
    signal.signal(signal.SIGTERM, _terminate)
    atexit.unregister(_skip_last_collections)
    atexit.register(_skip_last_collections)


def _skip_last_collections() -> None:
    """At exit, freeze every object out of the cyclic collector: Python's last full
    collections would walk them all (0.2-0.4 s after a run with plots) only to free what
    the process drops anyway. Registered with atexit, so a test calling ``main`` in its own
    process is affected only when that process ends."""
    gc.freeze()


def _limit_option(fn):
    """``--limit NAME=VALUE``: raise one of mpsim's input limits for this command."""
    def apply(ctx, param, items):
        if items:
            from mpsim.core import limits
            try:
                limits.set_from_cli(items)
            except MpsimError as exc:
                click.echo(f"mpsim: {exc}", err=True)
                sys.exit(2)
        return items
    return click.option("--limit", "limits", multiple=True, metavar="NAME=VALUE", callback=apply,
                        expose_value=False, is_eager=True,
                        help="raise an input limit, e.g. topology_nodes=2000000 (the limits and "
                             "their defaults: docs/scenario.md)")(fn)


class _Progress:
    """A progress bar of simulated time, shown only on a terminal and only for runs
    that take more than about two seconds of wall time."""

    def __init__(self, duration: float, enabled: bool):
        self.duration = duration
        self.enabled = enabled
        self.start = time.perf_counter()
        self.bar = None
        self.task = None

    def __call__(self, now: float) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.perf_counter() - self.start < 2.0:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
            self.bar = Progress(TextColumn("simulating"), BarColumn(),
                                TextColumn("{task.completed:.1f}/{task.total:.1f} s simulated"),
                                TimeRemainingColumn(), transient=True, console=Console(stderr=True))
            self.bar.start()
            self.task = self.bar.add_task("sim", total=self.duration)
        self.bar.update(self.task, completed=min(now, self.duration))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@main.command()
@click.argument("scenario", type=click.Path())
@click.option("-o", "--out", type=click.Path(), help="output folder (default out/<name>/)")
@click.option("--seed", type=int, help="run seed (default: the scenario's)")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="override a field by dotted path, e.g. sessions.lecture.max_outstanding=4")
@click.option("--no-plots", is_flag=True, help="write the tables only")
@click.option("--format", "plot_format", type=click.Choice(["png", "svg"]), default="png")
@click.option("-q", "--quiet", is_flag=True, help="no progress bar, no table")
@_limit_option
def run(scenario, out, seed, overrides, no_plots, plot_format, quiet):
    """Run one SCENARIO and write its outputs.

    Example: mpsim run scenarios/quickstart.yaml -o out/quick --set topology.links.loss=0.01
    """
    from mpsim.experiment import run_scenario
    from mpsim.scenario import load_plan

    if seed is not None and seed < 0:
        _bad_input(ScenarioError(f"--seed {seed}: allowed an integer >= 0", file=scenario, line=0))
    plan = _guard(lambda: load_plan(scenario, overrides), scenario)
    progress = _Progress(plan.scenario.duration, sys.stderr.isatty() and not quiet)
    try:
        summary = _guard(lambda: run_scenario(scenario, out, seed=seed, plan=plan,
                                              plots=not no_plots, plot_format=plot_format,
                                              progress=progress), scenario, interrupt=False)
    except KeyboardInterrupt as exc:
        progress.close()
        where = out or "the output folder"
        _interrupted(exc, f"interrupted: {where} holds the new run, complete" if
                     getattr(exc, "outputs", "old") == "new" else
                     f"interrupted: {where} is as it was before")
    finally:
        progress.close()
    if not quiet:
        _print_summary(summary)


def _print_summary(summary) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{summary['scenario']} (seed {summary['seed']}): {summary['joins']} joins, "
                        f"{summary['simulated_duration']:g} s simulated in {summary['wall_time']:g} s")
    for column in ("method", "outcomes", "n", "mean", "p50", "p95"):
        table.add_column(column, justify="right" if column in ("n", "mean", "p50", "p95") else "left")

    def ms(value):
        return "-" if value is None else f"{value * 1e3:.1f} ms"

    for method, data in summary["methods"].items():
        lat = data["latency"]
        outcomes = ", ".join(f"{k} {v}" for k, v in data["outcomes"].items())
        table.add_row(method + (" (first data)" if method == "nonrooted" else ""), outcomes,
                      str(lat["n"]), ms(lat["mean"]), ms(lat["p50"]), ms(lat["p95"]))
    console = Console()
    console.print(table)
    console.print(f"outputs in {summary['out']}/")


@main.command()
@click.argument("scenario", type=click.Path())
@click.option("-o", "--out", type=click.Path(),
              help="results store (default out/<name>-sweep/); finished runs there are kept")
@click.option("--jobs", "-j", type=int, help="local worker processes (default: every core; 1 runs "
                                            "in this process)")
@click.option("--scheduler", metavar="ADDRESS", help="run on the Dask cluster at ADDRESS "
                                                     "(tcp://HOST:PORT)")
@click.option("--dask-local", type=int, metavar="N", help="run on a Dask LocalCluster of N workers")
@click.option("--seed", type=int, help="base seed (default: the scenario's)")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="override a field by dotted path before the grid, e.g. sweep.replications=5")
@click.option("--fresh", is_flag=True, help="discard the runs of a different sweep in OUT")
@click.option("--no-plots", is_flag=True, help="write the tables only")
@click.option("--format", "plot_format", type=click.Choice(["png", "svg"]), default="png")
@click.option("-q", "--quiet", is_flag=True, help="no progress bar, no table")
@_limit_option
def sweep(scenario, out, jobs, scheduler, dask_local, seed, overrides, fresh, no_plots, plot_format,
          quiet):
    """Run the sweep of SCENARIO: every grid point x replications, resumably.

    Each run's tables are kept in OUT/runs/ as soon as it ends: the same command
    again (after Ctrl-C, a crash, a reboot) makes only the missing runs. Then
    sweep.csv / sweep.parquet (mean latency with a 95 % t-interval, Kaplan-Meier
    p50/p95 with bootstrap intervals, success ratio with a Wilson interval,
    messages and attempts per join) and plots/.

    Example: mpsim sweep scenarios/igmp_loss.yaml --jobs 2
    """
    from mpsim.experiment import SweepInterrupted
    from mpsim.experiment import sweep as run_sweep

    def go():
        return run_sweep(scenario, jobs=jobs, scheduler=scheduler, dask_local=dask_local, out=out,
                         overrides=overrides, seed=seed, fresh=fresh, plots=not no_plots,
                         plot_format=plot_format, progress=sys.stderr.isatty() and not quiet)

    command = " ".join(["mpsim", *(_quote(a) for a in sys.argv[1:])]) if sys.argv[1:2] == \
        ["sweep"] else f"mpsim sweep {scenario}"
    try:
        result = _guard(go, scenario, interrupt=False)
    except SweepInterrupted as exc:
        _interrupted(exc.__context__ if isinstance(exc.__context__, Terminated) else exc,
                     f"{exc}; resume with the same command: {command}")
    except KeyboardInterrupt as exc:     # after the runs, or before the first
        _interrupted(exc, f"interrupted; every finished run is kept: resume with the same "
                          f"command: {command}")
    if not quiet:
        _print_sweep(result)
    if result.failed:
        failed = result.runs[result.runs.status != "ok"]
        first = failed.iloc[0]
        click.echo(f"{result.failed} of {len(result.runs)} runs failed (see {result.store}/runs.csv); "
                   f"the first, point {first.point} replication {first.replication}: {first.error}",
                   err=True)
        sys.exit(1)


def _quote(arg: str) -> str:
    import shlex
    return shlex.quote(arg)


def _print_sweep(result) -> None:
    """A table per grid point and (session, method): mean latency ± the half-width of its
    95 % interval, Kaplan–Meier p95, the fraction of joins connected."""
    from rich.console import Console
    from rich.table import Table

    from mpsim.analysis import SWEEP_COLUMNS

    table = result.table
    params = [c for c in table.columns[1:] if c not in SWEEP_COLUMNS]
    shown = table[table.session != "*"]
    stats = {(row.point, row.session, row.method, row.statistic): row
             for row in shown.itertuples(index=False)}
    groups = list(dict.fromkeys((row.point, row.session, row.method)
                                for row in shown.itertuples(index=False)))
    out = Table(title=f"{len(result.runs)} runs ({result.ran} made now, {result.kept} kept"
                      f"{f', {result.failed} failed' if result.failed else ''}) in "
                      f"{result.wall:.1f} s")
    for name in params:
        out.add_column(name.rsplit(".", 1)[-1], justify="right")
    for name in ("session", "method"):
        out.add_column(name)
    for name in ("mean latency ± 95 % CI", "p95 (KM)", "connected"):
        out.add_column(name, justify="right")
    values = table.drop_duplicates("point").set_index("point")
    for point, session, method in groups[:40]:
        mean = stats[(point, session, method, "latency_mean")]
        p95 = stats[(point, session, method, "latency_p95")]
        success = stats[(point, session, method, "success_ratio")]
        half = (mean.ci_high - mean.ci_low) / 2
        out.add_row(*(str(values.loc[point, p]) for p in params), session, method,
                    _seconds(mean.value) + ("" if half != half else f" ± {_seconds(half)}"),
                    _seconds(p95.value), f"{success.value:.0%} of {success.n}")
    console = Console()
    console.print(out)
    if len(groups) > 40:
        console.print(f"... {len(groups) - 40} more rows in sweep.csv")
    console.print(f"outputs in {result.store}/ (sweep.csv, sweep.parquet, runs/, plots/)")


def _seconds(value) -> str:
    if value != value:
        return "-"
    if value == float("inf"):
        return "not reached"
    return f"{value * 1e3:.1f} ms" if abs(value) < 1 else f"{value:.2f} s"


@main.command()
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE")
@click.option("--explain", is_flag=True, help="print the scenario reference (every field, its unit, "
                                              "default and meaning)")
@_limit_option
def validate(files, overrides, explain):
    """Check scenario FILES without running them.

    Example: mpsim validate scenarios/*.yaml
    """
    from mpsim.scenario import load_plan

    if explain:
        from mpsim.scenario.reference import render
        click.echo(render())
        if not files:
            return
    if not files:
        click.echo("validate: give one or more scenario files (or --explain)", err=True)
        sys.exit(2)

    bad = False
    for file in files:
        try:
            load_plan(file, overrides)
            click.echo(f"{file}: ok")
        except MpsimError as exc:
            bad = True
            lines = [str(exc)] + [str(e) for e in getattr(exc, "others", [])]
            for line in lines:
                click.echo(line, err=True)
        except KeyboardInterrupt as exc:
            _interrupted(exc)
        except Exception:
            traceback.print_exc()
            sys.exit(1)
    sys.exit(2 if bad else 0)


@main.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--format", "plot_format", type=click.Choice(["png", "svg"]), default="png")
def plot(out, plot_format):
    """Redraw the plots of a finished run or sweep in OUT.

    Example: mpsim plot out/quickstart
    """
    from mpsim.experiment import draw_sweep
    from mpsim.experiment.figures import draw_run
    from mpsim.experiment.store import MANIFEST

    if (Path(out) / MANIFEST).is_file():
        draw = draw_sweep
    elif (Path(out) / "events.parquet").is_file():
        draw = draw_run
    else:
        click.echo(f"{out}:0: not a run's output folder (no events.parquet) nor a sweep's "
                   f"(no {MANIFEST})", err=True)
        sys.exit(2)
    from mpsim.experiment.outputs import replace_plots
    for path in _guard(lambda: replace_plots(out, lambda staging: draw(out, plot_format, into=staging)),
                       out):
        click.echo(path)


@main.command()
@click.argument("source", type=click.Path())
@click.option("-o", "--out", "output", type=click.Path(dir_okay=False), default="topology.png",
              help="image to write (PNG or SVG by extension)")
@click.option("--run", "run_dir", type=click.Path(file_okay=False),
              help="a finished run's folder: draw its link load and multicast trees too")
@_limit_option
def topo(source, output, run_dir):
    """Draw and describe the topology of a SCENARIO or a GRAPHFILE.

    Example: mpsim topo scenarios/quickstart.yaml -o topology.png --run out/quickstart
    """
    from mpsim.experiment.topology import describe_topology

    text = _guard(lambda: describe_topology(source, output, run_dir), source)
    click.echo(text)


if __name__ == "__main__":
    main()

"""Every plot kind, drawn for the quickstart run through the command line."""

import matplotlib.image as mpimg
from click.testing import CliRunner

from mpsim.cli import main
from tests.plot.helpers import DPI, assert_figure

QUICKSTART = "scenarios/quickstart.yaml"


def test_quickstart_plots_are_non_trivial_pngs_of_the_expected_size(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", QUICKSTART, "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    plots = out / "plots"
    assert sorted(p.name for p in plots.iterdir()) == ["join_latency_cdf.png", "sequence.png",
                                                       "timeline.png"]
    assert_figure(plots / "join_latency_cdf.png", 7.5, 4.8)      # a fixed size
    h, w = assert_figure(plots / "timeline.png", width_in=10)   # 10 in wide, a row per host
    assert h >= 3 * DPI
    h, w = assert_figure(plots / "sequence.png")                 # a lifeline per node
    assert w >= 8 * DPI and h >= 6 * DPI
    # `mpsim plot` redraws the same files, also as SVG.
    result = CliRunner().invoke(main, ["plot", str(out), "--format", "svg"])
    assert result.exit_code == 0, result.output
    assert (plots / "timeline.svg").read_text().lstrip().startswith("<?xml")


def test_topo_draws_the_quickstart_topology(tmp_path):
    target = tmp_path / "topology.png"
    result = CliRunner().invoke(main, ["topo", QUICKSTART, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "7 routers, 6 links, 8 hosts" in result.output
    h, w = mpimg.imread(target).shape[:2]
    assert_figure(target)
    assert w >= 6 * DPI


def test_topo_with_a_run_draws_load_and_trees(tmp_path):
    out = tmp_path / "run"
    assert CliRunner().invoke(main, ["run", QUICKSTART, "-o", str(out), "-q", "--no-plots"]).exit_code == 0
    trees = (out / "trees.csv").read_text().splitlines()
    assert trees[0] == "session,src,dst" and "lecture,teacher,0" in trees
    target = tmp_path / "loaded.png"
    result = CliRunner().invoke(main, ["topo", QUICKSTART, "-o", str(target), "--run", str(out)])
    assert result.exit_code == 0, result.output
    assert_figure(target)
    bad = CliRunner().invoke(main, ["topo", QUICKSTART, "-o", str(target), "--run", str(tmp_path)])
    assert bad.exit_code == 2 and "Traceback" not in bad.output

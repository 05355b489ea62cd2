"""The look shared by every mpsim figure: fonts, a colour-blind-safe palette, saving.

Figures are built on ``matplotlib.figure.Figure`` directly (never ``pyplot``), so
drawing neither needs a display nor touches global state: the Agg renderer
writes PNG, the SVG backend SVG, and nothing stays open after a function returns.
"""

from __future__ import annotations

import contextlib
import os
import struct
import zlib
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with any common colour
#: vision deficiency and in greyscale by lightness.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
#: A cycle of the palette for lines and series (black and yellow last: poor on white lines).
CYCLE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")
#: Bar colour of each join outcome.
OUTCOME_COLOURS = {
    "connected": OKABE_ITO["bluish_green"], "rejected": OKABE_ITO["vermillion"],
    "timed_out": OKABE_ITO["orange"], "unreachable": OKABE_ITO["reddish_purple"],
    "cancelled": OKABE_ITO["grey"], "pending": OKABE_ITO["sky_blue"],
}
#: How each socket indication is marked on a host's row or lifeline.
INDICATION_MARKERS = {
    "FD_ACCEPT": dict(marker="^", color=OKABE_ITO["blue"], markeredgecolor="white", markersize=7),
    "FD_CONNECT": dict(marker="o", color=OKABE_ITO["black"], markeredgecolor="white", markersize=6),
    "FD_READ": dict(marker="D", color=OKABE_ITO["yellow"], markeredgecolor="black", markersize=5),
    "FD_CLOSE": dict(marker="X", color=OKABE_ITO["reddish_purple"], markeredgecolor="black",
                     markersize=7, markeredgewidth=0.5),
}
DPI = 150
FORMATS = ("png", "svg")

RC = {
    "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "figure.titlesize": 12,
    "xtick.labelsize": 9, "ytick.labelsize": 9, "legend.fontsize": 9, "legend.title_fontsize": 9,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": False,
    "grid.color": "#dddddd", "grid.linewidth": 0.6, "axes.prop_cycle": matplotlib.cycler(color=CYCLE),
    "figure.dpi": DPI, "savefig.dpi": DPI, "svg.hashsalt": "mpsim", "svg.fonttype": "path",
    "figure.constrained_layout.use": True,
}


@contextlib.contextmanager
def style():
    """The mpsim look, for the figures drawn inside the block."""
    with matplotlib.rc_context(RC):
        yield


def figure(width: float, height: float) -> Figure:
    """A new figure of ``width`` × ``height`` inches at ``DPI``, constrained layout."""
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def output_path(path, format=None) -> tuple[Path, str]:
    """The file to write and its format: ``format`` if given, else the suffix of ``path``
    (png or svg), else png. A missing or contradicting suffix is set to the format's."""
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    fmt = (format or (suffix if suffix in FORMATS else "png")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"plot format {format!r} is not supported; use one of {', '.join(FORMATS)}")
    if suffix != fmt:
        path = path.with_suffix(f".{fmt}") if suffix in FORMATS or not suffix else \
            path.with_name(f"{path.name}.{fmt}")
    return path, fmt


def save(fig: Figure, path, format=None) -> Path:
    """Write ``fig`` (deterministically: no date in SVG) and return the path written."""
    path, fmt = output_path(path, format)
    path.parent.mkdir(parents=True, exist_ok=True)
    # written aside and renamed into place: a file there is replaced whole, and a link
    # planted there is replaced, never written through
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if fmt == "png":
            temporary.write_bytes(png_bytes(fig))
        else:
            fig.savefig(temporary, format=fmt, dpi=DPI, metadata={"Date": None})
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
    return path


def png_bytes(fig: Figure) -> bytes:
    """``fig`` drawn once by Agg, as an opaque RGB PNG at ``DPI``. Written here rather than
    by Pillow, whose search for the best filter of each row takes several times as long
    as compressing: rows unfiltered, zlib level 1 (files a third larger, a tenth the time)."""
    if fig.dpi != DPI:
        fig.set_dpi(DPI)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[..., :3]
    height, width = rgb.shape[:2]
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)     # each row: filter 0, pixels
    rows[:, 0] = 0
    rows[:, 1:].reshape(height, width, 3)[...] = rgb
    per_metre = round(DPI / 0.0254)
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
              (b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
              (b"tEXt", b"Software\0mpsim (matplotlib)"),
              (b"IDAT", zlib.compress(rows.data, 1)), (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in chunks)


def note(ax, text: str) -> None:
    """Write ``text`` in the middle of an empty axes (a figure with nothing to show says why)."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#555555")
    ax.set_axis_off()


def thin_labels(count: int, most: int) -> int:
    """Label every k-th of ``count`` ticks so that at most ``most`` are labelled; returns k."""
    return max(1, -(-count // most))

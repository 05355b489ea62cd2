"""Checks on written figures: the pixel size promised and not a blank canvas."""

from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np

DPI = 150


def read_png(path) -> np.ndarray:
    return mpimg.imread(path)


def assert_figure(path, width_in=None, height_in=None, min_colours=60, min_ink=0.01):
    """The PNG at ``path`` is ``width_in`` × ``height_in`` inches at 150 dpi (when given),
    has at least ``min_colours`` distinct colours and at least ``min_ink`` of its pixels
    not white; returns (height, width) in pixels."""
    image = read_png(path)
    h, w = image.shape[:2]
    if width_in is not None:
        assert w == round(width_in * DPI), (w, width_in)
    if height_in is not None:
        assert h == round(height_in * DPI), (h, height_in)
    rgb = (image[..., :3] * 255).round().astype(np.uint32).reshape(-1, 3)
    colours = np.unique((rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2])
    assert len(colours) >= min_colours, f"{path}: only {len(colours)} colours"
    ink = np.mean(np.any(rgb < 245, axis=1))
    assert ink >= min_ink, f"{path}: {ink:.3%} of the pixels are not white"
    return h, w

"""Named RNG streams: stable names, order independence, and the loss-flag iterators."""

import math
from itertools import islice

import numpy as np
import pytest

from mpsim.core.errors import ParameterError
from mpsim.core.rng import (RngStreams, bernoulli_flags, block_sizes, blocks,
                            gilbert_elliott_flags, name_key)


def test_same_name_same_first_draw_across_instances():
    assert RngStreams(7).stream("link:0->1:loss").random() == \
        RngStreams(7).stream("link:0->1:loss").random()


def test_order_of_creation_does_not_matter():
    one = RngStreams(11)
    a1, b1 = one.stream("a").random(5), one.stream("b").random(5)
    other = RngStreams(11)
    other.stream("c").random(100)               # an unrelated stream drawn first
    b2, a2 = other.stream("b").random(5), other.stream("a").random(5)
    assert (a1 == a2).all() and (b1 == b2).all()


def test_different_names_and_seeds_give_different_draws():
    streams = RngStreams(1)
    assert streams.stream("a").random() != streams.stream("b").random()
    assert RngStreams(1).stream("a").random() != RngStreams(2).stream("a").random()


def test_large_seeds_use_all_their_bits():
    """Seeds differing only above bit 32 give different streams."""
    assert RngStreams(1).stream("a").random() != RngStreams(1 + 2**32).stream("a").random()


def test_stream_is_the_same_object_and_names_are_listed_in_creation_order():
    streams = RngStreams(0)
    assert streams.stream("x") is streams.stream("x")
    streams.stream("a")
    assert streams.names() == ["x", "a"]


def test_name_key_is_a_fixed_digest():
    """BLAKE2b, not Python's salted hash(): the key is the same in every process."""
    import hashlib
    digest = hashlib.blake2b(b"link:0->1:delay", digest_size=16).digest()
    assert name_key("link:0->1:delay") == [int.from_bytes(digest[i:i + 4], "little")
                                          for i in (0, 4, 8, 12)]
    assert all(0 <= w < 2**32 for w in name_key("x"))


@pytest.mark.parametrize("seed", [-1, 1.5, "1", True, None])
def test_bad_seed(seed):
    with pytest.raises(ParameterError) as info:
        RngStreams(seed)
    assert repr(seed) in str(info.value) and "allowed" in str(info.value)


def test_uniforms_continue_across_blocks():
    got = list(islice(blocks(RngStreams(3).stream("u").random, block_sizes(4)), 10))
    rng = RngStreams(3).stream("u")
    assert got == np.concatenate([rng.random(4) for _ in range(3)])[:10].tolist()


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_bernoulli_flags_degenerate(p):
    flags = list(islice(bernoulli_flags(RngStreams(1).stream("l"), p), 10_000))
    assert flags == [bool(p)] * 10_000


def test_bernoulli_flags_rate():
    n, p = 50_000, 0.2
    flags = np.fromiter(islice(bernoulli_flags(RngStreams(1).stream("l"), p), n), bool)
    assert abs(flags.mean() - p) < 3 * math.sqrt(p * (1 - p) / n)


def test_gilbert_elliott_flags_stay_in_one_state_when_it_cannot_be_left():
    # p = 0: never leaves good; r = 0: stationary state is bad, never leaves
    assert not any(islice(gilbert_elliott_flags(RngStreams(1).stream("g"), 0.0, 0.5, 0.0, 1.0), 20_000))
    assert all(islice(gilbert_elliott_flags(RngStreams(1).stream("g"), 0.5, 0.0, 0.0, 1.0), 20_000))


def test_gilbert_elliott_flags_partial_loss_in_each_state():
    """h_G = 0.05, h_B = 0.5: stationary loss (r h_G + p h_B)/(p + r), batch-means SE."""
    p, r, hg, hb, n = 0.02, 0.1, 0.05, 0.5, 200_000
    flags = np.fromiter(islice(gilbert_elliott_flags(RngStreams(4).stream("g"), p, r, hg, hb), n), bool)
    expected = (r * hg + p * hb) / (p + r)
    batches = flags.reshape(50, -1).mean(axis=1)
    se = batches.std(ddof=1) / math.sqrt(50)
    assert se < 0.05 * expected                    # the test can tell 5 % apart
    assert abs(flags.mean() - expected) < 3 * se

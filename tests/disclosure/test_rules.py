"""The published fee items are checked against the contracts: which amounts the text never states."""

import pytest

from nursery_ops.disclosure.rules import unpublished_amounts


@pytest.mark.parametrize(
    ("text", "amounts_fen", "missing"),
    [
        ("全日托 2800 元/月", [280000], []),
        ("全日托 2,800 元/月", [280000], []),
        ("全日托 ¥2,800.00 每月", [280000], []),
        ("伙食费 20 元/天", [2000], []),
        ("伙食费 20.00 元/天", [2000], []),
        ("伙食费 20.5 元/天", [2050], []),
        ("全日托 2800 元/月", [300000], [300000]),
        ("全日托 28000 元/年", [280000], [280000]),  # 2800 is not 28000
        ("押金 1000 元", [100000, 0], []),  # no deposit charged: nothing to publish
        ("", [280000, 2000], [280000, 2000]),
        ("伙食费 19.99 元/天", [2000], [2000]),
    ],
)
def test_an_amount_counts_as_published_only_when_the_text_states_it(text, amounts_fen, missing):
    assert unpublished_amounts(text, amounts_fen) == missing

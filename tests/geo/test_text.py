"""Script folding: Hong Kong's own character forms fold like the standard Traditional ones."""

import pytest

from geo.text import normalise_query, to_simplified


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("醫務衞生局", "医务卫生局"),  # Hong Kong's 衞 (standard Traditional 衛)
        ("衛生署", "卫生署"),
        ("香港科技大學", "香港科技大学"),
    ],
)
def test_hong_kong_forms_become_simplified(traditional, simplified):
    assert to_simplified(traditional) == simplified


def test_a_query_in_either_script_finds_the_hong_kong_form():
    assert normalise_query("醫衞局") == normalise_query("医卫局") == normalise_query("醫衛局")
    assert normalise_query("Ｈong  Kong 醫衞局") == "hongkong医卫局"

"""docs/scenario.md is the reference generated from the models; they must not drift apart."""

from pathlib import Path

from click.testing import CliRunner

from mpsim.cli import main
from mpsim.protocols import PROVIDERS
from mpsim.scenario import model
from mpsim.scenario.reference import render, sections

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario.md"


def test_docs_scenario_md_matches_the_models():
    assert DOC.read_text() == render(), "regenerate: python -c 'from mpsim.scenario.reference " \
        "import render; open(\"docs/scenario.md\",\"w\").write(render())'"


def test_every_field_is_described_and_every_model_has_a_section():
    documented = {cls for _, cls in sections()}
    for cls in documented:
        for name, field in cls.model_fields.items():
            assert field.description, f"{cls.__name__}.{name} has no description"
    models = {obj for obj in vars(model).values()
              if isinstance(obj, type) and issubclass(obj, model.Strict) and obj is not model.Strict
              and obj not in (model.ActionBase, model.LinkAttributes)
              and not issubclass(obj, model.SessionBase)}   # (documented by their parts, below)
    models |= {cls.options for cls in PROVIDERS.values() if cls.options is not None}
    assert models <= documented, models - documented


def test_every_provider_option_block_has_a_section():
    """The blocks inside a provider's options (atm timers, igmp, pim ...) are documented too."""
    titles = [title for title, _ in sections()]
    for expected in ("sessions[] provider: atm", "sessions[].timers (atm)",
                     "sessions[].igmp (ipmc, conference)", "sessions[].pim (ipmc, conference)",
                     "sessions[].timers (conference)"):
        assert expected in titles


def test_validate_explain_prints_the_reference():
    result = CliRunner().invoke(main, ["validate", "--explain"])
    assert result.exit_code == 0
    assert result.output.strip() == render().strip()

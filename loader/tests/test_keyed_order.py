"""A keyed table's files apply in order, across runs too: a run that finds an earlier file of
the table held by another run leaves the later ones for a later run
(orchestration._after_held_keyed)."""

from __future__ import annotations

from local_tables import write

from lakehouse_loader.config import PipelineConfig
from lakehouse_loader.orchestration import _after_held_keyed


def test_later_files_of_a_keyed_table_wait_for_an_earlier_one_held_elsewhere(
    config: PipelineConfig,
) -> None:
    write(config, "members.contract.yaml", "primary_key: [id]\n")
    for name in ("members/0.csv", "members/1.csv", "members/2.csv", "orders/a.csv", "orders/b.csv"):
        write(config, name, "id,name\n1,x\n")
    held = {"data/raw/members/1.csv", "data/raw/orders/a.csv"}
    chosen = ["data/raw/members/0.csv", "data/raw/members/2.csv", "data/raw/orders/b.csv"]
    now, waiting = _after_held_keyed(chosen, held, config)
    # members/0.csv comes before the held file: it loads. Files of a table without a key
    # load in any order: orders/b.csv loads beside the held orders/a.csv.
    assert now == ["data/raw/members/0.csv", "data/raw/orders/b.csv"]
    assert waiting == ["data/raw/members/2.csv"]


def test_nothing_waits_when_no_file_of_the_table_is_held(config: PipelineConfig) -> None:
    write(config, "members.contract.yaml", "primary_key: [id]\n")
    write(config, "members/1.csv", "id\n1\n")
    write(config, "members/2.csv", "id\n2\n")
    chosen = ["data/raw/members/1.csv", "data/raw/members/2.csv"]
    assert _after_held_keyed(chosen, {"data/raw/other.csv"}, config) == (chosen, [])

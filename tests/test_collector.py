"""The command runs with fewer cyclic garbage collections and gives the caller's back."""

import gc

import pytest

from comaspec._collector import YOUNG_THRESHOLD, fewer_collections


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_the_young_threshold_is_raised_inside_and_restored_after(thresholds):
    gc.set_threshold(700, 10, 10)
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_or_collection_turned_off_is_left_alone(thresholds):
    for setting in ((50_000, 5, 5), (0, 10, 10)):
        gc.set_threshold(*setting)
        with fewer_collections():
            assert gc.get_threshold() == setting
        assert gc.get_threshold() == setting


def test_restored_when_the_block_raises(thresholds):
    gc.set_threshold(700, 10, 10)
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10)


def test_the_command_runs_with_it_and_gives_the_caller_s_settings_back(thresholds, monkeypatch, capsys):
    from comaspec import cli

    seen = []

    def run(args):
        seen.append(gc.get_threshold())
        return 0

    gc.set_threshold(700, 10, 10)
    parser = cli.build_parser()
    parser.set_defaults(run=run)
    for action in parser._subparsers._group_actions:
        for sub in action.choices.values():
            sub.set_defaults(run=run)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main(["catalog"]) == 0
    assert seen == [(YOUNG_THRESHOLD, 10, 10)]
    assert gc.get_threshold() == (700, 10, 10)

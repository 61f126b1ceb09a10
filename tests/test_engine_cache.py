"""Stale numba cache indexes of the engine are removed before they can be loaded."""

import os
import pickle

from scorematch.engine import remove_stale_cache_indexes


def touch(path, mtime, text=""):
    path.write_text(text)
    os.utime(path, (mtime, mtime))


def test_indexes_older_than_the_source_go_with_their_data_and_newer_ones_stay(tmp_path):
    source = tmp_path / "engine.py"
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    touch(source, 2000.0)
    # an index from an earlier version of the module: it pickles a class that is gone,
    # which is what makes numba raise on it
    stale = cache / "engine._accumulate_block-391.py311.nbi"
    stale.write_bytes(pickle.dumps(("version", b"cscorematch.engine\nBlockWork\n")))
    os.utime(stale, (1000.0, 1000.0))
    touch(cache / "engine._accumulate_block-391.py311.1.nbc", 1000.0)
    touch(cache / "engine._accumulate_block-391.py311.2.nbc", 1000.0)
    fresh = cache / "engine._advance-980.py311.nbi"
    touch(fresh, 3000.0)
    touch(cache / "engine._advance-980.py311.1.nbc", 3000.0)
    other = cache / "population.helper-10.py311.nbi"  # another module's cache
    touch(other, 1000.0)

    remove_stale_cache_indexes(cache, source=source)

    assert sorted(p.name for p in cache.iterdir()) == [
        "engine._advance-980.py311.1.nbc",
        "engine._advance-980.py311.nbi",
        "population.helper-10.py311.nbi",
    ]
    assert source.exists()


def test_a_missing_cache_directory_is_no_error(tmp_path):
    source = tmp_path / "engine.py"
    touch(source, 2000.0)
    remove_stale_cache_indexes(tmp_path / "__pycache__", source=source)
    assert not (tmp_path / "__pycache__").exists()

"""Merge: combine the stores of a registry scanned in shards (``scan --shard K/N``) into one run.

Each input store contributes its newest run. The runs must be finished, of the same registry
(same sha256), checklist and as-of date, and of different shards; anything else is refused with
one line naming the input and the fix. The output gets one new finished run holding every
site's result, findings and pages, noted "merge of ..."; ``siteaudit report`` renders it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .errors import InputError
from .models import RunInfo, RunState
from .store import Store

__all__ = ["merge_stores"]


def _input_run(path: Path) -> tuple[RunInfo, dict[str, object]]:
    if not path.is_file():
        raise InputError(f"{path}: no such store; give the .db files the shard scans wrote")
    with Store(path) as store:  # also brings an older store up to the current schema
        run = store.latest_run(finished=False)
        if run is None:
            raise InputError(f"{path}: the store holds no run; scan its shard first")
        if run.state is not RunState.FINISHED:
            raise InputError(
                f"{path}: run {run.id} is {run.state.value}; finish it with "
                f"'siteaudit scan ... --resume --db {path}' before merging"
            )
        return run, store.run_settings(run.id)


def _check_compatible(first: tuple[Path, RunInfo], other: tuple[Path, RunInfo]) -> None:
    (path0, run0), (path, run) = first, other
    if run.registry_hash != run0.registry_hash:
        raise InputError(
            f"{path}: run {run.id} scanned another registry ({run.registry}, sha256 "
            f"{run.registry_hash[:12]}) than {path0} ({run0.registry_hash[:12]}); "
            "merge shards of the same registry file only"
        )
    if run.as_of != run0.as_of:
        raise InputError(
            f"{path}: run {run.id} is as of {run.as_of}, {path0} as of {run0.as_of}; "
            "scan every shard with the same --as-of"
        )
    if run.checklist != run0.checklist:
        raise InputError(
            f"{path}: run {run.id} used checklist {run.checklist!r}, {path0} {run0.checklist!r}; "
            "scan every shard with the same --checklist"
        )


def merge_stores(out: Path, inputs: Sequence[Path]) -> RunInfo:
    """Merge the newest run of each input store into a new finished run of ``out``."""
    if not inputs:
        raise InputError("merge: give the output store and at least one input store")
    out_resolved = out.resolve()
    seen: set[Path] = set()
    for path in inputs:
        resolved = path.resolve()
        if resolved == out_resolved:
            raise InputError(f"{path}: is also the output; write the merge to a new file")
        if resolved in seen:
            raise InputError(f"{path}: is given twice; name each shard's store once")
        seen.add(resolved)
    runs = [(path, *_input_run(path)) for path in inputs]
    first = (runs[0][0], runs[0][1])
    shards: dict[str, Path] = {}
    for path, run, _settings in runs:
        _check_compatible(first, (path, run))
        if run.shard:
            if run.shard in shards:
                raise InputError(
                    f"{path}: holds shard {run.shard}, like {shards[run.shard]}; "
                    "give each shard's store once"
                )
            counts = {s.split("/")[1] for s in shards} | {run.shard.split("/")[1]}
            if len(counts) > 1:
                raise InputError(
                    f"{path}: shard {run.shard} splits the registry into another number of "
                    "shards than the other inputs; merge shards of one split"
                )
            shards[run.shard] = path
    parts = [
        f"{path.name} run {run.id}" + (f" (shard {run.shard})" if run.shard else "")
        for path, run, _settings in runs
    ]
    base = runs[0][1]
    with Store(out) as store:
        merged = store.start_run(
            registry=base.registry,
            registry_hash=base.registry_hash,
            checklist=base.checklist,
            as_of=base.as_of,
            total=sum(run.total for _path, run, _settings in runs),
            settings=runs[0][2],
            note="merge of " + ", ".join(parts),
        )
        try:
            for path, run, _settings in runs:
                pages_run = run.pages_from if run.pages_from is not None else run.id
                store.copy_results(path, run.id, pages_run, merged.id)
        except BaseException:
            store.delete_run(merged.id)
            raise
        return store.finish_run(merged.id)

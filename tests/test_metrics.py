import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from causepairs.metrics import bidirectional_auc, mann_whitney_auc, score_breakdown


def sklearn_bidirectional_auc(y, s):
    """The challenge's definition, written directly with scikit-learn."""
    return 0.5 * (roc_auc_score(y == 1, s) + roc_auc_score(y == -1, -s))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("tied", [False, True])
def test_matches_scikit_learn(seed, tied):
    rng = np.random.default_rng(seed)
    y = rng.choice([-1, 0, 1], size=300)
    s = y * 0.7 + rng.normal(size=300)
    if tied:
        s = np.round(s)  # many ties, between and within classes
    assert bidirectional_auc(y, s) == pytest.approx(sklearn_bidirectional_auc(y, s), abs=1e-12)


def test_hand_made_cases():
    y = np.array([1, 1, -1, -1, 0, 0])
    assert bidirectional_auc(y, y) == 1.0
    assert bidirectional_auc(y, -y) == 0.0
    assert bidirectional_auc(y, np.zeros(6)) == 0.5
    # Only the ranking matters.
    assert bidirectional_auc(y, np.exp(3.0 * y)) == 1.0
    # A->B pairs above the rest, but B->A pairs tied with the neither class: 1 and 0.75.
    s = np.array([2.0, 2.0, 0.0, 0.0, 0.0, 0.0])
    assert bidirectional_auc(y, s) == pytest.approx((1.0 + 0.75) / 2)
    # One B->A pair ranked below one of the four negatives of its term: 7 of 8 comparisons won.
    s = np.array([5.0, 5.0, -5.0, -3.0, -4.0, 0.0])
    assert bidirectional_auc(y, s) == pytest.approx((1.0 + (1 - 1.0 / 8)) / 2)


def test_a_missing_class_leaves_its_term_out():
    y = np.array([1, 1, 0, 0])  # no B->A pair: the second term is undefined
    s = np.array([0.9, 0.1, 0.5, -1.0])
    assert bidirectional_auc(y, s) == pytest.approx(roc_auc_score(y == 1, s))
    assert np.isnan(bidirectional_auc(np.zeros(4), s))
    assert np.isnan(mann_whitney_auc(np.ones(3, bool), [1, 2, 3]))


def test_random_scores_near_one_half():
    rng = np.random.default_rng(7)
    y = rng.choice([-1, 0, 1], size=5000)
    assert abs(bidirectional_auc(y, rng.normal(size=5000)) - 0.5) < 0.02


@pytest.mark.parametrize("y,s,match", [
    ([1, 2], [0.0, 1.0], "only -1, 0 and 1"),
    ([1, 0], [0.0], "shape"),
    ([1, 0], [0.0, np.nan], "finite"),
    ([[1, 0]], [[0.0, 1.0]], "one-dimensional"),
])
def test_validation(y, s, match):
    with pytest.raises(ValueError, match=match):
        bidirectional_auc(y, s)


def test_breakdown():
    rng = np.random.default_rng(3)
    n = 600
    details = rng.integers(1, 5, size=n)
    y = np.select([details == 1, details == 2], [1, -1], 0)
    s = y + rng.normal(scale=0.8, size=n)
    a_type = rng.choice(["Numerical", "Categorical", "Binary"], size=n, p=[0.7, 0.2, 0.1])
    b_type = rng.choice(["Numerical", "Categorical", "Binary"], size=n, p=[0.7, 0.2, 0.1])
    out = score_breakdown(y, s, details, a_type, b_type)
    assert out.overall == pytest.approx(sklearn_bidirectional_auc(y, s))

    combo = np.char.add(np.vectorize(lambda t: t[0])(a_type), np.vectorize(lambda t: t[0])(b_type))
    assert out.by_types["n"].sum() == n
    member = combo == "NC"
    assert out.by_types.loc["NC", "bidirectional_auc"] == pytest.approx(
        sklearn_bidirectional_auc(y[member], s[member]))

    rows = out.by_details
    assert rows["n"].tolist() == [int((details == k).sum()) for k in (1, 2, 3, 4)]
    assert rows.iloc[0]["auc_vs_rest"] == pytest.approx(roc_auc_score(details == 1, s))
    assert rows.iloc[1]["auc_vs_rest"] == pytest.approx(roc_auc_score(details == 2, -s))
    assert rows.iloc[3]["auc_vs_rest"] == pytest.approx(roc_auc_score(details == 4, -np.abs(s)))

    text = out.to_text()
    assert text.splitlines()[-1] == f"bidirectional_auc={out.overall:.4f}"
    assert "NC" in text and "A-B (confounded)" in text
    assert out.to_dict()["by_types"]["NC"]["n"] == int(member.sum())


def test_breakdown_refuses_unknown_type_strings():
    from causepairs.metrics import score_breakdown

    y = np.array([1, -1, 0])
    s = np.array([0.5, -0.5, 0.0])
    with pytest.raises(ValueError, match=r"b_type\[1\] is 'Numeric'; expected one of"):
        score_breakdown(y, s, a_type=["Numerical"] * 3, b_type=["Binary", "Numeric", "Binary"])
    spelled = score_breakdown(y, s, a_type=["numerical"] * 3, b_type=["Binary"] * 3)
    assert spelled.to_text() == score_breakdown(y, s, a_type=["Numerical"] * 3,
                                                b_type=["Binary"] * 3).to_text()

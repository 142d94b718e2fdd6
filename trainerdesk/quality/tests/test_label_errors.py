"""The pure detector on synthetic data with known flipped labels, its not-enough-data
answers, and the run through the service with the inline task backend."""

import random

import pytest

from trainerdesk.quality.label_errors import NotEnoughData, find_label_errors

CLASSES = ["business", "sport", "tech"]


def synthetic(n=600, flip=0.06, seed=7):
    """Texts made of class-specific words plus shared filler; `flip` of the labels changed
    to another class at random. Returns texts, noisy labels, true labels, flipped indices."""
    rng = random.Random(seed)
    own = {c: [f"{name[:3]}word{i}" for i in range(25)] for c, name in enumerate(CLASSES)}
    shared = [f"common{i}" for i in range(60)]
    texts, truth = [], []
    for i in range(n):
        label = i % len(CLASSES)
        words = rng.sample(own[label], 5) + rng.sample(shared, 8)
        rng.shuffle(words)
        texts.append(" ".join(words))
        truth.append(label)
    flipped = set(rng.sample(range(n), int(n * flip)))
    noisy = [(t + rng.randint(1, len(CLASSES) - 1)) % len(CLASSES) if i in flipped else t
             for i, t in enumerate(truth)]  # fmt: skip
    return texts, noisy, truth, flipped


@pytest.mark.parametrize("model", ["sgd", "logreg"])
def test_flipped_labels_rank_at_the_top(model):
    texts, noisy, truth, flipped = synthetic()
    seen = []
    result = find_label_errors(
        texts, noisy, n_classes=3, model=model, seed=1, on_progress=lambda i, k: seen.append((i, k))
    )
    assert seen == [(i, 5) for i in range(1, 6)]
    assert result.folds == 5 and result.items == len(texts)
    top = [s.index for s in result.suspects[: len(flipped)]]
    # Random ranking would put ~6% of the flipped items here; a model that saw the labels
    # it predicts (no cross-validation) would trust them and find few.
    assert len(flipped.intersection(top)) / len(flipped) >= 0.8
    for s in result.suspects:
        assert s.given == noisy[s.index]
        assert 0.0 <= s.confidence_given <= 1.0 and 0.0 <= s.quality <= 1.0
    hits = [s for s in result.suspects if s.index in flipped]
    assert sum(s.likely == truth[s.index] for s in hits) / len(hits) >= 0.9
    assert [s.rank for s in result.suspects] == list(range(1, len(result.suspects) + 1))
    qualities = [s.quality for s in result.suspects]
    assert qualities == sorted(qualities)  # most suspect (lowest quality) first


def test_same_seed_same_answer_and_label_nobody_used():
    texts, noisy, _truth, _flipped = synthetic(n=300)
    # Class 3 exists in the schema but nobody chose it: it must not break anything.
    a = find_label_errors(texts, noisy, n_classes=4, seed=3)
    b = find_label_errors(texts, noisy, n_classes=4, seed=3)
    assert a.suspects == b.suspects
    assert all(s.likely != 3 and s.given != 3 for s in a.suspects)


def test_small_class_shrinks_the_folds():
    texts, noisy, _truth, _flipped = synthetic(n=120, flip=0)
    texts += ["rare words here", "rare words there", "rare words everywhere"]
    noisy += [2, 2, 2]
    noisy = [0 if n == 2 else n for n in noisy[:-3]] + [2, 2, 2]  # class 2: exactly 3 items
    seen = []
    result = find_label_errors(texts, noisy, n_classes=3, on_progress=lambda i, k: seen.append(k))
    assert result.folds == 3 and set(seen) == {3}


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([], "No labelled items"),
        ([0, 0, 0, 0], 'Every labelled item has the label "business"'),
        ([0, 0, 0, 1], 'The label "sport" has only 1 labelled item'),
    ],
)
def test_not_enough_data(labels, message):
    texts = [f"text number {i}" for i in range(len(labels))]
    with pytest.raises(NotEnoughData, match=message):
        find_label_errors(texts, labels, n_classes=3, label_names=CLASSES)


def test_texts_without_words():
    with pytest.raises(NotEnoughData, match="no words to learn from"):
        find_label_errors(["a", "b", "c", "d"], [0, 0, 1, 1], n_classes=2)


def test_bad_arguments():
    with pytest.raises(ValueError, match="differ in length"):
        find_label_errors(["a"], [0, 1], n_classes=2)
    with pytest.raises(ValueError, match="model: must be one of"):
        find_label_errors(["a", "b"], [0, 1], n_classes=2, model="bert")
    with pytest.raises(ValueError, match="class indices must be in 0..1"):
        find_label_errors(["a", "b"], [0, 2], n_classes=2)

"""The value model: a customer's spend over the next horizon (money), learned online with river.

Labels arrive late, as for the loyalty model (:mod:`models.loyalty`): a customer's value
features (:func:`models.value_features.value_features`) are snapshotted at a moment ``t`` with
what they had spent so far; each later order within the horizon sets the snapshot's spend to the
customer's total then less the total at ``t`` (so a duplicated order event that the profile
ignored changes nothing); once the horizon has passed (:meth:`ValueModel.expire`), the snapshot
is learned with label = spend in ``(t, t + horizon]``. The caller snapshots at each order and,
for customers who have gone quiet, every so often (:func:`due_for_snapshot`): a model that only
saw customers at the moment they bought would never learn what silence means.

Spend is heavy-tailed and mostly zero, so the model predicts on a log scale and turns that back
into money with a calibration learned from the same labels. By default (``family="linear"``):

- ``target="two-part"``: P(buys) from a logistic regression times E[spend | buys] from a linear
  median regression of ``log(spend)`` on the buyers (``spend_loss``: a few huge orders do not
  pull it), with the log-normal mean correction;
- ``target="log"``: a linear regression of ``log1p(spend)``; ``"rank"``: of the spend's rank;
  ``"tweedie"``: a log-link Tweedie regression of the spend itself (its mean, zeros included);

on :func:`value_inputs` (logs of counts, days and money, ratios and one-hot bins), their
weights averaged over about ``averaging_window`` labels. Other families
(:mod:`models.value_learners`: river's trees and forests) replace the linear learners, or blend
their score with the linear model's (``family_weight``); they were compared on training-data
checks only and are not the default: the best of them, a blend with a random forest, led by
less than the checks' noise and costs an order of magnitude more per event
(docs/customers-and-models.md, "How the model was chosen"). :meth:`ValueModel.score_one` is
the ranking score (log scale); :meth:`ValueModel.predict_one` the money: by default the mean
spend of the latest ~1,000 snapshots with that score (binned scores, monotone by
pool-adjacent-violators, interpolated), so that totals match what customers spend on average,
not a median; Duan's smearing and a ratio estimator were compared too (``money``,
:mod:`models.value_money`).

**The rule ranks until the model ranks better.** Each label also scores the value rule's
expected spend of the same snapshot (:func:`models.value_inputs.rule_spend`, what
:func:`models.value.expected_value` says from the customer's history alone).
:meth:`ValueModel.value_one` is the money a customer is ranked and shown by: the model's, once
both progressive scores have :data:`MIN_EVIDENCE` labels in their windows and the model's
Spearman plus top-decile capture is no worse than the rule's by more than ``1 / sqrt(labels)``
(about one standard error of a rank correlation: the doubt goes to the model), else the rule's;
once the model ranks, it hands back only when worse by :data:`HAND_BACK` times that.
On a short history the model has learned from few horizons and ranks worse than the rule (the
first 200 days of Online Retail II: Spearman 0.44 against the rule's 0.52,
docs/customers-and-models.md); on the shipped logs' full histories it ranks better. The verdict
is taken again every :data:`VERDICT_EVERY` labels, at the same labels live and in a replay.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from river import stats

from models.late_labels import DAY, LateLabels, Snapshot, seconds_of
from models.value import ValueSource
from models.value_inputs import FEATURE_GROUPS, OPTIONAL_GROUPS, rule_spend, value_inputs
from models.value_learners import (
    DISPERSIONS, FAMILIES, LOSSES, WEIGHTINGS, Averaged, Dispersion, Family, Loss, Part, Target, Weighting,
)
from models.value_metrics import ValueScore
from models.value_money import MONEY, Calibration, Money, Ratio, Smearing
from models.value_ranking import RANKER_WEIGHTINGS, PairwiseRanker, RankerWeighting

__all__ = [
    "FEATURE_GROUPS",
    "HAND_BACK",
    "MIN_EVIDENCE",
    "VERDICT_EVERY",
    "PendingValue",
    "Ranker",
    "Target",
    "ValueModel",
    "due_for_snapshot",
    "value_inputs",
    "who_ranks",
]

_TARGETS = ("log", "two-part", "rank", "tweedie")
Ranker = Literal["pairwise"]
_RANKERS = ("pairwise",)

#: Labels both progressive scores need in their windows before the model may rank instead of the rule
#: (fewer, and a verdict flips with the noise of a few hundred labels: CDNOW's sample at 200 and 300).
MIN_EVIDENCE = 1000
#: Once the model ranks, it hands back to the rule only when it ranks worse by this many times the
#: margin: values do not flip between the two with every verdict's noise (the CDNOW master file's
#: replay flipped 29 times without it, 3 with it; where each log ends up is the same).
HAND_BACK = 2.0
#: Labels between two verdicts on who ranks (each ranks the scores' windows once).
VERDICT_EVERY = 100


# The correction of each part's log-scale estimate by ``money``: the ratio scales the median itself.
_CORRECTIONS = {"calibration": "log-normal", "median-calibration": "none", "smearing": "smearing", "ratio": "none"}


class PendingValue(Snapshot):
    """A snapshot waiting for the end of its horizon: plain data the worker can store as JSON."""

    predicted: float | None  # money predicted as of the snapshot (None until the model is as it was then)
    spent_so_far: float  # the customer's total order spend at the snapshot
    spent: float  # spend within the horizon so far


def due_for_snapshot(last_snapshot_at: dt.datetime | None, now: dt.datetime, every_days: float = 30.0) -> bool:
    """Whether a customer last snapshotted at ``last_snapshot_at`` is due a periodic snapshot.

    The worker snapshots each customer at every order; one who has been silent for
    ``every_days`` since their latest snapshot is due another (one who never had one is due).

    Examples
    --------
    >>> t = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> due_for_snapshot(t, t + dt.timedelta(days=29)), due_for_snapshot(t, t + dt.timedelta(days=30))
    (False, True)
    >>> due_for_snapshot(None, t)
    True

    """
    if last_snapshot_at is None:
        return True
    return (now - last_snapshot_at).total_seconds() >= every_days * DAY


def who_ranks(now: ValueSource, lead: float, labels: int) -> ValueSource:
    """Who ranks next: the model (``"learned"``) or the rule, from the model's ``lead`` over ``labels``.

    ``lead`` is the model's progressive Spearman plus top-decile capture less the rule's, over
    the same latest ``labels``; the margin is ``1 / sqrt(labels)``, ``HAND_BACK`` times that to
    hand back once the model ranks; below :data:`MIN_EVIDENCE` labels nothing changes.

    >>> who_ranks("rule", -0.02, 2000), who_ranks("rule", -0.03, 2000)
    ('learned', 'rule')
    >>> who_ranks("learned", -0.03, 2000), who_ranks("learned", -0.05, 2000)
    ('learned', 'rule')
    >>> who_ranks("rule", 0.5, 999)
    'rule'

    """
    if labels < MIN_EVIDENCE:
        return now
    margin = (1.0 if now == "rule" else HAND_BACK) / math.sqrt(labels)
    return "learned" if lead >= -margin else "rule"


def tiered(inputs: Mapping[str, float], past_spend: float, threshold: float | None) -> dict[str, float]:
    """The inputs, and each again under ``name@top`` for a customer whose past spend is above ``threshold``.

    With ``top`` (1 in the top tier, else 0), a linear model gets an intercept and slopes of its
    own for the customers whose past spend is in the top tier; ``None``: no threshold learned yet.

    >>> tiered({"orders": 0.7}, past_spend=900.0, threshold=500.0)
    {'orders': 0.7, 'top': 1.0, 'orders@top': 0.7}
    >>> tiered({"orders": 0.7}, past_spend=90.0, threshold=500.0)
    {'orders': 0.7, 'top': 0.0}

    """
    out = dict(inputs)
    top = threshold is not None and past_spend > threshold
    out["top"] = 1.0 if top else 0.0
    if top:
        out.update({f"{k}@top": v for k, v in inputs.items()})
    return out


_Averaged = Averaged  # the names older checkpoints pickled
_Calibration = Calibration


class ValueModel(LateLabels[PendingValue]):
    """Online spend over the next ``horizon_days`` (money), with labels that arrive late.

    Parameters
    ----------
    horizon_days
        The horizon of the spend predicted.
    target
        ``"log"`` (regression of log1p spend), ``"two-part"`` (P(buys) x E[spend | buys]) or
        ``"rank"`` (regression of the spend's mid-rank among past labels), ``"tweedie"`` (a
        log-link regression of the spend itself: its mean, see ``tweedie_power``).
    learning_rate
        Step of the regressions (and of their intercepts); steps are normalised by the size of
        the inputs (NLMS), so any rate below 1 is stable.
    l2
        L2 penalty on the weights.
    averaging_window
        Predictions use an exponential moving average of the weights over about this many
        learned labels (``None``: the latest weights).
    feature_groups
        Which groups of :func:`value_inputs` to use (default: all).
    calibration_window
        About how many recent labels the money calibration remembers: few enough that it follows
        a score still settling (the median regression's steps from zero weights), chosen on
        training-data checks by the total predicted against the actual and the MAE
        (docs/customers-and-models.md; 5,000 before, which left totals 0.6-0.9 of the actual).
    score_window
        Labels in the window of the progressive rank figures (:class:`ValueScore`).
    max_pending_per_customer
        Oldest snapshots of a customer are dropped (never learned) beyond this many within
        one horizon.
    family
        The learners' family (:mod:`models.value_learners`): ``"linear"`` (the default), or
        river's trees and forests ``"arf"``, ``"amf"``, ``"hat"``, ``"bagging"``.
    family_weight
        With a tree family, its weight in the score, the rest on the linear model's (both
        log1p of a spend estimate); 1: the family alone.
    family_target
        The target of the family's scorer (``None``: ``target``).
    trees
        Trees of the ensembles.
    weighting
        ``"snapshot"``: every snapshot learned at full weight; ``"customer"``: each at 1 / the
        customer's snapshots within its horizon, so that a customer weighs about the same per
        horizon however often they were snapshotted (as in the rank figures, where each counts
        once) — frequent buyers are snapshotted at every order, silent ones every 30 days.
    spend_loss
        Loss of the two-part model's linear regression of the buyers' log spend
        (:data:`models.value_learners.LOSSES`): by default the median's, so that a few huge
        orders do not pull the fit (chosen on training-data checks, docs/customers-and-models.md).
    money
        How the log-scale estimate becomes money (:mod:`models.value_money`): ``"calibration"``,
        the mean spend of past snapshots with that score; ``"smearing"``, the model's own
        estimate with Duan's smearing factor of its residuals (over about ``smearing_window``
        labels); ``"ratio"``, the model's own median estimate (uncorrected) times what the latest labels (about
        ``calibration_window``) spent over what it estimated for them. The last two keep the
        ranking of the model's estimate.
    dispersion
        The variance of the buyers' log spend in the linear two-part model's log-normal mean:
        ``"global"``, one for everyone; ``"learned"``, a linear regression of the squared
        residuals on the inputs (:class:`models.value_learners.Part`).
    tweedie_power
        With ``target="tweedie"``: the power of the Tweedie deviance of the one-part log-link
        regression of spend itself, zeros included (:class:`models.value_learners.MeanGLM`;
        1: Poisson). ``spend_loss="gamma"`` makes the two-part model's E[spend | buys] such a
        regression too (power 2, Gamma), with no log-normal correction. Neither is the default:
        they led less on the training-data checks (docs/customers-and-models.md).
    tier_quantile
        If set (e.g. 0.8), the inputs also go again, with an intercept of their own, for the
        customers whose past spend (``net_spend``) is above this quantile of the past spend of the
        snapshots learned so far (river's ``stats.Quantile``): slopes of their own for the big
        spenders (:func:`tiered`). Not the default, for the same reason.
    ranker
        ``"pairwise"``: the ranking score is the two-part (or other) score plus a linear
        correction learned from pairs of labels by the RankNet loss (:mod:`models.value_ranking`),
        each new label paired with ``ranker_pairs`` labels drawn from the latest
        ``ranker_buffer``, pairs weighted by ``ranker_weighting``, at ``ranker_learning_rate``
        (``None``: ``learning_rate``); the money stays the
        calibration of that score. ``None`` (the default): no correction.
    spend_weight
        If set (``c``), the regression of the buyers' spend learns each label at
        ``1 + log1p(spend) / c`` times its weight, so that its fit is closest where the top
        decile is decided (P(buys) learns every label alike). ``None`` (the default): alike.

    Examples
    --------
    >>> day = lambda n: dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=n)
    >>> model = ValueModel(horizon_days=30)
    >>> model.snapshot("c1", {"orders": 3, "revenue": 90.0}, at=day(0), spent_so_far=90.0)
    >>> model.snapshot("c2", {"orders": 1, "revenue": 10.0}, at=day(0), spent_so_far=10.0)
    >>> model.resolve("c1", at=day(10), spent_total=130.0)   # c1 spent 40 more within 30 days
    1
    >>> model.n_learned, model.n_pending                     # ... learned when the horizon ends
    (0, 2)
    >>> model.expire(now=day(31))
    2
    >>> model.n_learned, model.score.n, model.score.total_actual
    (2, 2, 40.0)

    """

    def __init__(
        self,
        horizon_days: float = 90.0,
        target: Target = "two-part",
        learning_rate: float = 0.1,
        l2: float = 0.0,
        averaging_window: int | None = 3000,
        feature_groups: Sequence[str] = FEATURE_GROUPS,
        calibration_window: int = 1000,
        score_window: int = 2000,
        max_pending_per_customer: int = 16,
        family: Family = "linear",
        family_weight: float = 1.0,
        family_target: Target | None = None,
        trees: int = 10,
        weighting: Weighting = "snapshot",
        spend_loss: Loss = "quantile",
        money: Money = "calibration",
        smearing_window: int = 1000,
        dispersion: Dispersion = "global",
        tweedie_power: float = 1.0,
        tier_quantile: float | None = None,
        ranker: Ranker | None = None,
        ranker_weighting: RankerWeighting = "gap",
        ranker_pairs: int = 4,
        ranker_buffer: int = 1000,
        ranker_learning_rate: float | None = None,
        spend_weight: float | None = None,
    ) -> None:
        if target not in _TARGETS:
            raise ValueError(f"ValueModel: expected target among {_TARGETS}, found {target!r}")
        if family_target is not None and family_target not in _TARGETS:
            raise ValueError(f"ValueModel: expected family target among {_TARGETS}, found {family_target!r}")
        unknown = sorted(set(feature_groups) - set(FEATURE_GROUPS + OPTIONAL_GROUPS))
        if unknown:
            raise ValueError(f"ValueModel: expected feature groups among {FEATURE_GROUPS + OPTIONAL_GROUPS}, "
                             f"found {unknown}")
        if family not in FAMILIES:
            raise ValueError(f"ValueModel: expected a family among {FAMILIES}, found {family!r}")
        if weighting not in WEIGHTINGS:
            raise ValueError(f"ValueModel: expected a weighting among {WEIGHTINGS}, found {weighting!r}")
        if spend_loss not in LOSSES:
            raise ValueError(f"ValueModel: expected a spend loss among {LOSSES}, found {spend_loss!r}")
        if dispersion not in DISPERSIONS:
            raise ValueError(f"ValueModel: expected a dispersion among {DISPERSIONS}, found {dispersion!r}")
        if "tweedie" in (target, family_target) and family != "linear" and family_weight == 1.0:
            raise ValueError("ValueModel: the tweedie target is a linear model's; expected family 'linear'")
        if not 1.0 <= tweedie_power < 2.0:
            raise ValueError(f"ValueModel: expected a Tweedie power in [1, 2), found {tweedie_power!r}")
        if tier_quantile is not None and not 0.0 < tier_quantile < 1.0:
            raise ValueError(f"ValueModel: expected a tier quantile in (0, 1), found {tier_quantile!r}")
        if ranker is not None and ranker not in _RANKERS:
            raise ValueError(f"ValueModel: expected a ranker among {_RANKERS} or None, found {ranker!r}")
        if ranker_weighting not in RANKER_WEIGHTINGS:
            raise ValueError(f"ValueModel: expected a ranker weighting among {RANKER_WEIGHTINGS}, "
                             f"found {ranker_weighting!r}")
        if ranker is not None and money not in ("calibration", "median-calibration"):
            raise ValueError("ValueModel: a ranker's score is no spend estimate; expected money 'calibration'")
        if ranker_pairs < 1 or ranker_buffer < 1:
            raise ValueError(f"ValueModel: expected ranker pairs and buffer of at least 1, "
                             f"found {ranker_pairs!r} and {ranker_buffer!r}")
        if spend_weight is not None and not spend_weight > 0.0:
            raise ValueError(f"ValueModel: expected a positive spend weight scale, found {spend_weight!r}")
        if money not in MONEY:
            raise ValueError(f"ValueModel: expected money among {MONEY}, found {money!r}")
        if money == "smearing" and "rank" in (target, family_target):
            raise ValueError("ValueModel: the rank target has no smearing of spend; expected money 'calibration'")
        if not 0.0 < family_weight <= 1.0:
            raise ValueError(f"ValueModel: expected a family weight in (0, 1], found {family_weight!r}")
        self.horizon_days = horizon_days
        self.target = target
        self.learning_rate = learning_rate
        self.l2 = l2
        self.averaging_window = averaging_window
        self.feature_groups = tuple(feature_groups)
        self.calibration_window = calibration_window
        self.score_window = score_window
        self.max_pending_per_customer = max_pending_per_customer

        self.family = family
        self.family_weight = family_weight
        self.family_target: Target = family_target or target
        self.trees = trees
        self.weighting = weighting
        self.spend_loss = spend_loss
        self.money = money
        self.smearing_window = smearing_window
        self.dispersion = dispersion
        self.tweedie_power = tweedie_power
        self.tier_quantile = tier_quantile
        self.ranker = ranker
        self.ranker_weighting = ranker_weighting
        self.ranker_pairs = ranker_pairs
        self.ranker_buffer = ranker_buffer
        self.ranker_learning_rate = ranker_learning_rate
        self.spend_weight = spend_weight
        self._ranker = None if ranker is None else PairwiseRanker(
            learning_rate if ranker_learning_rate is None else ranker_learning_rate, l2, ranker_pairs, ranker_buffer, averaging_window, ranker_weighting)
        # past spend above which a customer is in the top tier, among the snapshots learned so far
        self._tier = stats.Quantile(tier_quantile) if tier_quantile is not None else None
        # (weight, part): the family's part, blended with the linear model's below full weight
        self._parts: list[tuple[float, Part]] = []
        if family != "linear":
            self._parts.append((family_weight, Part(family, self.family_target, learning_rate, l2,
                                                     averaging_window, trees, smearing_window=smearing_window)))
        if family == "linear" or family_weight < 1.0:
            weight = 1.0 if family == "linear" else 1.0 - family_weight
            self._parts.append((weight, Part("linear", target, learning_rate, l2, averaging_window, trees,
                                             spend_loss, smearing_window, dispersion, tweedie_power)))
        self._calibration = _Calibration(window=calibration_window)
        self._ratio = Ratio(window=calibration_window)
        self._score = ValueScore(window=score_window)
        self._rule_score = ValueScore(window=score_window)  # the value rule's, on the same labels
        self._ranked_by: ValueSource = "rule"
        self._start_waiting()
        self._n = 0

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A checkpoint from before snapshots were predicted as of their time has none waiting.
        state.setdefault("_unpredicted", [])
        state.setdefault("weighting", "snapshot")  # checkpoints from before the option
        state.setdefault("spend_loss", "squared")
        state.setdefault("money", "calibration")  # checkpoints from before the smearing
        state.setdefault("smearing_window", 1000)
        state.setdefault("dispersion", "global")
        state.setdefault("tweedie_power", 1.0)  # checkpoints from before the mean regressions
        state.setdefault("tier_quantile", None)
        state.setdefault("_tier", None)
        state.update({k: state.get(k, v) for k, v in (  # checkpoints from before the ranker
            ("ranker", None), ("ranker_weighting", "gap"), ("ranker_pairs", 4), ("ranker_buffer", 1000),
            ("ranker_learning_rate", None),
            ("spend_weight", None), ("_ranker", None))})
        # A checkpoint from before the verdict showed the model; it goes on until the rule's score has evidence.
        state.setdefault("_rule_score", ValueScore(window=state.get("score_window", 2000)))
        state.setdefault("_ranked_by", "learned")
        if "_parts" not in state:  # a checkpoint from before the families: one linear part
            part = Part.__new__(Part)
            log_variance = state.pop("_log_variance")
            part.__dict__.update(target=state["target"], spend=state.pop("_spend"), buys=state.pop("_buys"),
                                 log_variance=log_variance, n=state["_n"], ranks=None,
                                 smearing=Smearing(prior_variance=log_variance), variance=None, mean=False)
            if part.target == "log":
                part.buys = None
            state.update(_parts=[(1.0, part)], family="linear", family_weight=1.0,
                         family_target=state["target"], trees=10)
        self.__dict__.update(state)

    # -- prediction ---------------------------------------------------------------------------

    def _base_score(self, inputs: Mapping[str, float]) -> float:
        correction = _CORRECTIONS[self.money]
        return sum(weight * part.score(inputs, correction) for weight, part in self._parts)

    def _score_inputs(self, inputs: Mapping[str, float]) -> float:
        base = self._base_score(inputs)
        return base if self._ranker is None else base + self._ranker.correction(inputs)

    def _inputs(self, x: Mapping[str, float]) -> dict[str, float]:
        inputs = value_inputs(x, self.feature_groups, self.horizon_days)
        if self._tier is not None:
            inputs = tiered(inputs, float(x.get("net_spend", 0.0)), self._tier.get())
        return inputs

    def score_one(self, x: Mapping[str, float]) -> float:
        """The ranking score of value features ``x``: log1p of the model's own spend estimate."""
        return self._score_inputs(self._inputs(x))

    def predict_one(self, x: Mapping[str, float]) -> float:
        """Expected spend over the horizon, in money (a mean: see ``money``)."""
        score = self.score_one(x)
        if self.money == "smearing":
            return max(math.expm1(score), 0.0)
        if self.money == "ratio":
            return max(math.expm1(score) * self._ratio.factor, 0.0)
        return max(self._calibration.money(score, fallback=math.expm1(score)), 0.0)

    def rule_one(self, x: Mapping[str, float]) -> float:
        """The value rule's expected spend over the horizon (money) for value features ``x``."""
        return rule_spend(x, self.horizon_days)

    @property
    def ranked_by(self) -> ValueSource:
        """Who ranks the customers now: the model (``"learned"``) or the value rule (see the module's notes)."""
        return self._ranked_by

    def value_one(self, x: Mapping[str, float]) -> float:
        """The money a customer with value features ``x`` is ranked and shown by: :meth:`predict_one` or :meth:`rule_one`."""
        return self.predict_one(x) if self._ranked_by == "learned" else self.rule_one(x)

    def _take_verdict(self) -> None:
        labels = min(self._score.in_window, self._rule_score.in_window)
        self._ranked_by = who_ranks(self._ranked_by, self._score.ranking - self._rule_score.ranking, labels)

    # -- learning -----------------------------------------------------------------------------

    def learn_one(self, x: Mapping[str, float], y: float, weight: float = 1.0) -> None:
        """Learn one labelled example directly: value features ``x`` and the spend ``y`` that followed.

        ``weight`` scales the linear learners' steps (the money calibration counts every label).
        """
        spent = max(float(y), 0.0)
        inputs = self._inputs(x)
        if self._tier is not None:  # the tier's threshold moves after this label is learned
            self._tier.update(float(x.get("net_spend", 0.0)))
        if self.money in ("calibration", "median-calibration"):
            self._calibration.update(self._score_inputs(inputs), spent)
        elif self.money == "ratio":
            self._ratio.update(max(math.expm1(self._score_inputs(inputs)), 0.0), spent)
        if self._ranker is not None:  # pairs scored by the parts as they were before this label
            self._ranker.learn(inputs, spent, self._base_score, weight)
        spend_weight = 1.0 if self.spend_weight is None else 1.0 + math.log1p(spent) / self.spend_weight
        for _, part in self._parts:
            part.learn(inputs, spent, weight, spend_weight)
        self._n += 1

    def snapshot(
        self, customer_id: str, features: Mapping[str, float], at: dt.datetime, spent_so_far: float
    ) -> None:
        """Keep the customer's value features at ``at`` until its horizon ends.

        ``spent_so_far`` is the customer's total order spend at ``at`` (orders at ``at``
        included). A second snapshot of the customer at the same moment replaces the first.
        The progressive figures score the prediction the model makes for it once it has learned
        every label that ended by ``at`` (see :meth:`expire`): as of the snapshot, however far
        behind or ahead the caller's learning runs.
        """
        self._keep(customer_id, {
            "at": seconds_of(at),
            "features": {k: float(v) for k, v in features.items()},
            "predicted": None,
            "spent_so_far": float(spent_so_far),
            "spent": 0.0,
        })

    def resolve(self, customer_id: str, at: dt.datetime, spent_total: float) -> int:
        """The customer ordered at ``at`` and has now spent ``spent_total`` in all.

        Snapshots taken before ``at`` and within the horizon of it get their spend set to
        ``spent_total`` less their ``spent_so_far`` (learned when their horizon ends, by
        :meth:`expire`). Returns the number of snapshots whose spend changed.
        """
        changed = 0
        for entry in self._covering(customer_id, at):
            spent = max(float(spent_total) - entry["spent_so_far"], entry["spent"])
            changed += spent != entry["spent"]
            entry["spent"] = spent
        return changed

    def _predicted(self, entry: PendingValue) -> float | None:
        return entry["predicted"]

    def _predict_now(self, entry: PendingValue) -> None:
        entry["predicted"] = self.predict_one(entry["features"])

    def _learn_pending(self, entry: PendingValue, waiting: list[PendingValue]) -> None:
        """The snapshot's spend within its horizon; ``weighting="customer"``: at 1 / the customer's snapshots in it."""
        weight = 1.0
        if self.weighting == "customer":
            # The customer's snapshots taken within this one's horizon (itself included) are all
            # still waiting: their number depends on the log alone.
            end = entry["at"] + self.horizon_days * DAY
            weight = 1.0 / sum(1 for e in waiting if entry["at"] <= e["at"] < end)
        predicted = entry["predicted"]
        self._score.update(self.predict_one(entry["features"]) if predicted is None else predicted, entry["spent"])
        self._rule_score.update(self.rule_one(entry["features"]), entry["spent"])
        if self._rule_score.n % VERDICT_EVERY == 0:
            self._take_verdict()
        self.learn_one(entry["features"], entry["spent"], weight)

    # -- state --------------------------------------------------------------------------------

    @staticmethod
    def _copy(entry: PendingValue) -> PendingValue:
        return {
            "at": float(entry["at"]),
            "features": {k: float(v) for k, v in entry["features"].items()},
            "predicted": None if entry["predicted"] is None else float(entry["predicted"]),
            "spent_so_far": float(entry["spent_so_far"]),
            "spent": float(entry["spent"]),
        }

    def without_pending(self) -> ValueModel:
        """A copy that predicts as this one does, without the snapshots waiting (cheap to take).

        What a reader on another thread scores with while this model goes on learning.

        >>> model = ValueModel()
        >>> model.learn_one({"orders": 2.0, "revenue": 50.0}, 20.0)
        >>> model.snapshot("c1", {"orders": 1.0}, dt.datetime(2024, 1, 1, tzinfo=dt.UTC), spent_so_far=5.0)
        >>> twin = model.without_pending()
        >>> twin.n_pending, twin.predict_one({"orders": 2.0}) == model.predict_one({"orders": 2.0})
        (0, True)

        """
        waiting = self._pending, self._deadlines, self._unpredicted
        self._pending, self._deadlines, self._unpredicted = {}, [], []
        try:
            return copy.deepcopy(self)
        finally:
            self._pending, self._deadlines, self._unpredicted = waiting

    @property
    def score(self) -> ValueScore:
        """Delayed prequential MAE, totals and rank figures: each snapshot's prediction against its spend."""
        return self._score

    @property
    def rule_score(self) -> ValueScore:
        """The same figures for the value rule's expected spend of the same snapshots."""
        return self._rule_score

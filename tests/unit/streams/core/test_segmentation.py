"""Behavioural segments in the tracker: profiles placed, personas with a name and a face, offers that target them."""

from __future__ import annotations

import random
from datetime import timedelta

from models.segments import BehaviourSegments
from offers import AbandonmentKind, default_policy
from offers.policy_file import parse_policy
from streams.core.insights import LiveFacts, compute, facts_of
from streams.core.lifecycle import customer_view
from streams.core.segmentation import behaviour_of, named, placed, sizes
from streams.core.state import CustomerState, Profile

from builders import T0


def _hours(peak: int, n: int) -> tuple[int, ...]:
    return tuple(n if h == peak else 0 for h in range(24))


def profile(kind: str, rng: random.Random) -> Profile:
    """Weekend bargain hunters, weekday full-price regulars, and night-time lookers from social."""
    last = T0 - timedelta(days=rng.uniform(0, 20))
    if kind == "hunter":
        orders = rng.randint(2, 4)
        return Profile(first_seen=last - timedelta(days=90), last_seen=last, sessions=orders + 1, orders=orders,
                       revenue=25.0 * orders, discount_orders=orders, first_order_at=last - timedelta(days=60),
                       last_order_at=last, order_days=orders - 1, gap_days_total=60.0, product_views=4 * orders,
                       visit_weekdays=(0, 0, 0, 0, 0, orders, 1), visit_hours=_hours(11, orders + 1),
                       categories=(("shoes", 3),), channels=(("email", 2),), session_seconds=300.0 * orders)
    if kind == "regular":
        orders = rng.randint(8, 14)
        return Profile(first_seen=last - timedelta(days=300), last_seen=last, sessions=orders, orders=orders,
                       revenue=180.0 * orders, first_order_at=last - timedelta(days=280), last_order_at=last,
                       order_days=orders - 1, gap_days_total=280.0, product_views=2 * orders,
                       visit_weekdays=(orders, 0, 0, 0, 0, 0, 0), visit_hours=_hours(14, orders),
                       categories=(("jackets", 5),), channels=(("organic", 4),), session_seconds=120.0 * orders)
    sessions = rng.randint(3, 6)
    return Profile(first_seen=last - timedelta(days=30), last_seen=last, sessions=sessions,
                   product_views=10 * sessions, page_views=12 * sessions, visit_weekdays=(0, sessions, 0, 0, 0, 0, 0),
                   visit_hours=_hours(2, sessions), categories=(("toys", 6),), channels=(("social", 3),),
                   session_seconds=900.0 * sessions)


def shop(n: int = 240, seed: int = 5) -> list[tuple[str, Profile]]:
    rng = random.Random(seed)
    return [(f"{kind}-{i}", profile(kind, rng)) for i in range(n) for kind in (("hunter", "regular", "looker")[i % 3],)]


def trained(profiles: list[tuple[str, Profile]]) -> BehaviourSegments:
    model = BehaviourSegments(min_segments=2, warm_up=90, refresh_every=30, seed=1)
    for _ in range(2):
        for customer_id, p in profiles:
            model.learn_one(behaviour_of(p, facts_of(customer_id, p), model.vocabulary))
    return model


def test_every_customer_is_placed_and_each_kind_keeps_together():
    """Three kinds of behaviour make three behavioural segments; nobody of one kind is elsewhere."""
    profiles = shop()
    insights = compute(profiles, T0, trained(profiles))
    placed_in = insights.described.behaviour_of
    assert set(placed_in) == {customer_id for customer_id, _ in profiles}
    for kind in ("hunter", "regular", "looker"):
        assert len({s for c, s in placed_in.items() if c.startswith(kind)}) == 1
    assert len(insights.behaviour_segments) == 3


def test_personas_have_a_name_a_portrait_traits_a_face_and_a_typical_member():
    """The weekend bargain hunters are named for when they come, with figures beside the average and a real customer."""
    profiles = shop()
    insights = compute(profiles, T0, trained(profiles))
    cards = {card["name"]: card for card in insights.behaviour_cards()}
    hunters = next(card for card in cards.values() if card["typical_customer"].startswith("hunter-"))
    assert hunters["name"].startswith("Weekend")
    assert hunters["avatar"].startswith("<svg") and hunters["sentence"].startswith(hunters["name"])
    assert any("activity at weekends: 100 % (average 33 %)" == t["text"] for t in hunters["traits"])
    lookers = next(card for card in cards.values() if card["typical_customer"].startswith("looker-"))
    assert "Night-Owl" in lookers["name"]
    assert 0.0 < hunters["spend_share"] < 0.2  # the regulars bring most of the money


def test_rfm_personas_get_a_name_and_a_face_too():
    profiles = shop()
    cards = compute(profiles, T0, trained(profiles)).persona_cards()
    assert cards and all(card["name"] and card["avatar"].startswith("<svg") for card in cards)
    assert all(card["typical_customer"] for card in cards)


def test_without_a_model_the_insights_still_have_rfm_portraits_and_no_behaviour():
    insights = compute(shop(30), T0)
    assert insights.behaviour_segments == {} and insights.behaviour_cards() == []
    assert all("name" in card for card in insights.persona_cards())


def test_a_placed_customer_carries_segment_and_traits_to_the_offer_policy():
    """customer_view hands the placement to the policy; a rule naming the traits matches it, a replay ignores it."""
    profiles = shop()
    model = trained(profiles)
    customer_id, p = next((c, p) for c, p in profiles if c.startswith("hunter"))
    state = placed(CustomerState(customer_id, p), facts_of(customer_id, p), model)
    assert state.profile.behaviour_segment is not None
    assert {"bargain_hunter", "weekend"} <= set(state.profile.behaviour_traits)
    customer = customer_view(state)
    assert customer.behaviour_segment == state.profile.behaviour_segment
    policy = parse_policy('version = "v1"\n[[rules]]\nname = "weekend_hunters"\n'
                          'behaviour_traits = ["weekend", "bargain_hunter"]\nincentive = "percent_off"\npercent = 10\n'
                          '[[rules]]\nname = "others"\nincentive = "reminder"\n')
    assert policy.rules[0].matches(AbandonmentKind.CART, customer)
    assert not policy.rules[0].matches(AbandonmentKind.CART, customer_view(state, scores=False))


def test_placing_again_without_change_returns_the_same_state():
    profiles = shop()
    model = trained(profiles)
    customer_id, p = profiles[0]
    once = placed(CustomerState(customer_id, p), facts_of(customer_id, p), model)
    assert placed(once, facts_of(customer_id, once.profile), model) is once


def test_before_the_model_has_segments_nobody_is_placed():
    customer_id, p = shop(3)[0]
    state = CustomerState(customer_id, p)
    assert placed(state, facts_of(customer_id, p), BehaviourSegments()) is state


def test_a_new_channel_trait_is_named_after_the_customers_channel():
    assert named(("channel:other",), (), (("tiktok", 4),), ["channel:email"]) == ("channel:tiktok",)
    assert named(("category:other",), (("shoes", 1),), (), ["category:shoes"]) == ("category:other",)


def test_sizes_count_active_customers_only():
    profiles = shop()
    insights = compute(profiles, T0, trained(profiles))
    everyone = sizes(insights.described, insights.facts, T0, timedelta(days=30))
    recent = sizes(insights.described, insights.facts, T0, timedelta(days=5))
    assert sum(s.customers for s in everyone) == len(profiles)
    assert 0 < sum(s.customers for s in recent) < len(profiles)
    assert abs(sum(s.share for s in recent) - 1.0) < 1e-9
    assert all(s.name and s.centre for s in everyone)


def test_the_shipped_policy_still_loads():
    assert default_policy().rules


def test_a_live_profile_has_the_features_of_its_facts():
    """The worker's cheap view of a profile gives the behaviour features its CustomerFacts give, bit for bit."""
    rng = random.Random(3)
    vocabulary = ("category:shoes", "category:toys", "channel:email", "channel:social")
    profiles = [profile(kind, rng) for kind in ("hunter", "regular", "looker") for _ in range(20)]
    profiles += [Profile(), Profile(sessions=2, refunded=5.0, revenue=0.0), Profile(ratings=3, rating_total=11,
                                                                                   intent=0.25, offers=4, conversions=1)]
    for p in profiles:
        assert repr(behaviour_of(p, LiveFacts(p), vocabulary)) == repr(behaviour_of(p, facts_of("c", p), vocabulary))


def test_the_personas_write_money_in_the_shop_s_currency():
    """Portraits and their traits write the shop's currency: dollars for USD, pounds by default."""
    import json

    profiles = shop()
    model = trained(profiles)
    for currency, sign, other in (("USD", "$", "£"), ("GBP", "£", "$")):
        insights = compute(profiles, T0, model, currency=currency)
        written = json.dumps([*insights.persona_cards(), *insights.behaviour_cards()], ensure_ascii=False)
        assert sign in written and other not in written

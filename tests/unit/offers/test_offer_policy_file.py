"""Policy files: the shipped default, custom files, and errors that name the file and the line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from offers import (
    CUSTOMER_TYPES,
    POLICY_VERSION,
    SEGMENTS,
    AbandonmentKind,
    Incentive,
    OfferError,
    PolicyError,
    default_policy,
    load_policy,
)

SHIPPED = Path(__file__).resolve().parents[3] / "offers" / "default_policy.toml"

# A valid policy; tests replace one line of it (line numbers are 1-based, as in editors).
VALID = """\
version = "test-1"

[quiet_hours]
start = 22
end = 7

[holdout]
percent = 5
salt = "exp-2"

[kinds.cart_abandoned]
validity_minutes = 30
call_to_action = "Buy within 30 minutes"

[[rules]]
name = "at_risk"
# segments = ["Champs"] is only a comment and must not be blamed
segments = ["At Risk", "Can't Lose Them"]
incentive = "percent_off"
percent = 15

[[rules]]
name = "loyal"
customer_types = ["loyal"]
incentive = "reminder"

[[rules]]
name = "everyone"
incentive = "reminder"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def with_line(line: int, new: str, text: str = VALID) -> str:
    """VALID with line ``line`` replaced by ``new`` (which may span several lines)."""
    lines = text.splitlines()
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, text))
    return str(caught.value)


def test_shipped_default_policy_loads_with_the_documented_defaults():
    """The default policy is version POLICY_VERSION, 21→8 quiet hours, 10 % hold-out, 24 h cap, 60 min."""
    policy = default_policy()
    assert policy.version == POLICY_VERSION
    assert (policy.quiet_hours.start, policy.quiet_hours.end) == (21, 8)
    assert policy.holdout_percent == 10
    assert policy.frequency_cap == timedelta(hours=24)
    assert set(policy.validity.values()) == {timedelta(minutes=60)}
    assert policy.rules[-1].name == "reminder" and not policy.rules[-1].kinds and not policy.rules[-1].bounds
    assert load_policy(SHIPPED) == policy


def test_custom_file_sets_every_value(tmp_path):
    """Quiet hours, hold-out, validity, call to action and rules come from the file; the rest defaults."""
    policy = load_policy(write(tmp_path, VALID))
    assert policy.version == "test-1"
    assert (policy.quiet_hours.start, policy.quiet_hours.end, policy.holdout_percent, policy.holdout_salt) == (
        22, 7, 5.0, "exp-2")
    assert policy.validity[AbandonmentKind.CART] == timedelta(minutes=30)
    assert policy.validity[AbandonmentKind.BROWSE] == timedelta(minutes=60)
    assert policy.calls_to_action[AbandonmentKind.CART] == "Buy within 30 minutes"
    assert policy.frequency_cap == timedelta(hours=24)
    assert [rule.name for rule in policy.rules] == ["at_risk", "loyal", "everyone"]
    assert policy.rules[0].segments == {"At Risk", "Can't Lose Them"}
    assert policy.rules[0].incentive == Incentive(type="percent_off", value=15)


def test_toml_syntax_error_names_the_line(tmp_path):
    """A broken TOML line is reported with its line number."""
    message = error_of(tmp_path, with_line(12, "validity_minutes = = 30"))
    assert "policy.toml, line 12: not valid TOML" in message


def test_unknown_segment_names_the_line_and_the_expected_words(tmp_path):
    """A misspelt segment is blamed on its own line (not on a comment above) with the valid names."""
    message = error_of(tmp_path, with_line(18, 'segments = ["At Risk", "Champs"]'))
    assert message.endswith(f"policy.toml, line 18: unknown segment 'Champs' (expected one of: {', '.join(SEGMENTS)})")


def test_unknown_value_in_a_multiline_list_names_its_own_line(tmp_path):
    """In a list spread over lines, the line of the bad value is named."""
    message = error_of(tmp_path, with_line(18, 'segments = [\n  "At Risk",\n  "Sleepy",\n]'))
    assert "policy.toml, line 20: unknown segment 'Sleepy'" in message


def test_unknown_customer_type(tmp_path):
    """A customer type not in the vocabulary is named with its line."""
    message = error_of(tmp_path, with_line(24, 'customer_types = ["loyal", "whale"]'))
    assert f"policy.toml, line 24: unknown customer type 'whale' (expected one of: {', '.join(CUSTOMER_TYPES)})" in message


def test_unknown_incentive_type(tmp_path):
    """An incentive that is not reminder / free_shipping / percent_off is named with its line."""
    message = error_of(tmp_path, with_line(25, 'incentive = "gift"'))
    assert "policy.toml, line 25: unknown incentive type 'gift'" in message


def test_unknown_kind_in_a_rule(tmp_path):
    """A kind that is not an abandonment kind is named with its line."""
    message = error_of(tmp_path, with_line(23, 'name = "loyal"\nkinds = ["basket_abandoned"]'))
    assert "policy.toml, line 24: unknown kind 'basket_abandoned' (expected one of: checkout_abandoned," in message


def test_unknown_kind_table(tmp_path):
    """A [kinds.<name>] table for an unknown kind is blamed on its header."""
    message = error_of(tmp_path, with_line(11, "[kinds.cart_abandonned]"))
    assert "policy.toml, line 11: unknown kind 'cart_abandonned' in [kinds]" in message


def test_unknown_key_in_a_rule_names_the_line_and_the_rule(tmp_path):
    """A misspelt condition is not ignored (it would silently match everyone): it is an error."""
    message = error_of(tmp_path, with_line(24, 'customer_typs = ["loyal"]'))
    assert "policy.toml, line 24: unknown key 'customer_typs' in rule 'loyal' (expected one of: name, why," in message


def test_same_key_name_in_another_rule_is_not_blamed(tmp_path):
    """The error points into the rule that has the problem, not an earlier rule with the same key."""
    message = error_of(tmp_path, with_line(29, 'incentive = "reminder"\nsegments = ["Top"]'))
    assert "policy.toml, line 30: unknown segment 'Top'" in message


def test_unknown_key_in_a_table(tmp_path):
    """An unknown key in [quiet_hours] names its line and the keys that exist."""
    message = error_of(tmp_path, with_line(4, "begin = 22"))
    assert "policy.toml, line 4: unknown key 'begin' in [quiet_hours] (expected one of: start, end)" in message


def test_unknown_top_level_table(tmp_path):
    """A table the policy does not have is named by its header line."""
    message = error_of(tmp_path, VALID + "\n[quiet]\nstart = 1\n")
    assert "policy.toml, line 31: unknown key 'quiet' at the top level" in message


@pytest.mark.parametrize(("line", "new", "expected"), [
    (4, "start = 24", "line 4: quiet hours 'start' must be a whole local hour from 0 to 23, got 24"),
    (5, "end = 7.5", "line 5: quiet hours 'end' must be a whole local hour from 0 to 23, got 7.5"),
    (8, "percent = 150", "line 8: 'percent' must be from 0 to 100, got 150"),
    (8, "percent = true", "line 8: 'percent' must be a number, got True"),
    (12, "validity_minutes = 0", "line 12: 'validity_minutes' must be at least 1, got 0"),
    (13, "call_to_action = 5", "line 13: 'call_to_action' must be a string, got 5"),
    (20, "percent = 0", "line 20: 'percent' in rule 'at_risk' must be above 0"),
    (20, "", "line 19: rule 'at_risk' offers percent_off but says no 'percent'"),
    (25, 'incentive = "reminder"\npercent = 5', "line 26: 'percent' in rule 'loyal' needs incentive = \"percent_off\""),
    (25, 'incentive = "reminder"\nsuppress = "nope"',
     "line 26: rule 'loyal' needs exactly one of 'incentive' or 'suppress'"),
    (25, "", "line 22: rule 'loyal' needs exactly one of 'incentive' or 'suppress'"),
    (25, 'suppress = "Not Interested"', "line 25: 'suppress' in rule 'loyal' must be a reason in lower_snake_case"),
    (23, 'name = "Loyal Ones"', "line 23: a rule needs a 'name' in lower_snake_case, got 'Loyal Ones'"),
    (23, 'name = "at_risk"', "line 23: rule name 'at_risk' is used twice"),
    (24, 'customer_types = "loyal"', "line 24: 'customer_types' must be a list of strings"),
    (24, "intent_at_least = 0.6\nintent_below = 0.5",
     "line 25: in rule 'loyal', intent_at_least = 0.6 and intent_below = 0.5 can never both hold"),
    (24, 'intent_at_least = "high"', "line 24: 'intent_at_least' must be a number, got 'high'"),
    (1, "version = 3", "line 1: 'version' must be a non-empty string"),
])
def test_bad_values_name_the_line(tmp_path, line, new, expected):
    """Every value the policy cannot use is reported with the file, the line and what was expected."""
    assert f"policy.toml, {expected}" in error_of(tmp_path, with_line(line, new))


def test_missing_version_and_rules_name_the_file(tmp_path):
    """What is missing has no line; the file is still named."""
    assert error_of(tmp_path, "[[rules]]\nname = 'a'\nincentive = 'reminder'\n").endswith(
        "policy.toml: 'version' must be a non-empty string")
    assert "policy.toml: the policy needs at least one [[rules]] table" in error_of(tmp_path, 'version = "v"\n')


def test_unreadable_file_is_a_policy_error_naming_it(tmp_path):
    """A missing file is a PolicyError that names the path, not a bare OSError."""
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(PolicyError, match="nowhere.toml: cannot read the policy file"):
        load_policy(missing)


def test_policy_error_is_an_offer_error_and_a_value_error():
    """Callers can catch PolicyError, OfferError or ValueError."""
    assert issubclass(PolicyError, OfferError) and issubclass(PolicyError, ValueError)


def test_rules_may_name_behavioural_traits_and_segment_ids(tmp_path):
    """Behavioural segments are named by their traits (all must hold) or by a stable id."""
    policy = load_policy(write(tmp_path, with_line(24, 'customer_types = ["loyal"]\nbehaviour_traits = ["weekend", '
                                                   '"bargain_hunter", "channel:tiktok"]\nbehaviour_segments = ["B3"]')))
    rule = policy.rules[1]
    assert rule.behaviour_traits == {"weekend", "bargain_hunter", "channel:tiktok"}
    assert rule.behaviour_segments == {"B3"}


def test_an_unknown_behaviour_trait_names_the_line_and_the_words(tmp_path):
    """A trait no segment can carry fails at load time, with the file, the line and the valid words."""
    message = error_of(tmp_path, with_line(24, 'behaviour_traits = ["weekend", "weekender"]'))
    assert "policy.toml, line 24: unknown behaviour trait 'weekender' (expected one of: bargain_hunter," in message
    assert "category:<name> or channel:<name>" in message


def test_a_behaviour_segment_that_is_not_an_id_names_the_line(tmp_path):
    """Segment names are learned and change; an id is what a policy can pin, so anything else is refused."""
    message = error_of(tmp_path, with_line(24, 'behaviour_segments = ["Weekend Bargain Hunter"]'))
    assert "policy.toml, line 24: behavioural segment id 'Weekend Bargain Hunter' (expected B followed by" in message
    assert "use behaviour_traits" in message


def test_the_shipped_policy_documents_every_behaviour_trait():
    """The default policy's comment lists the trait words a policy may use: it stays current."""
    from offers import BEHAVIOUR_TRAITS

    text = SHIPPED.read_text(encoding="utf-8")
    assert all(trait in text for trait in BEHAVIOUR_TRAITS)

"""The generator's random draws: weighted choices, days, client wealth, and made-up
names and identity numbers shaped like the real ones.

Every draw takes the one ``random.Random`` of the run and uses integer arithmetic
only, so the same seed gives the same values on every platform.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TypeVar

T = TypeVar("T")


def weighted(rng: random.Random, table: tuple[tuple[T, int], ...]) -> T:
    """Pick from ``(value, integer weight)`` pairs with integer arithmetic only."""
    ticket = rng.randrange(sum(weight for _, weight in table))
    for value, weight in table:
        if ticket < weight:
            return value
        ticket -= weight
    raise AssertionError("unreachable: the ticket is below the total weight")


def between(rng: random.Random, first: date, last: date) -> date:
    """A uniformly random day in ``[first, last]`` (``first`` when the range is empty)."""
    return first + timedelta(days=rng.randrange(max(1, (last - first).days + 1)))


# Wealth of a client in yuan: bucket probabilities of a Pareto distribution with
# x_m = 10,000 and alpha = 1.16 (the "80-20" shape: about a fifth of the clients hold
# four fifths of the assets). Edges grow by sqrt(2); weights are per million. The
# table is written out so that no platform's pow() enters the stream.
# fmt: off
WEALTH_BUCKETS: tuple[tuple[tuple[int, int], int], ...] = (
    ((10_000, 14_142), 331_029), ((14_142, 20_000), 221_459), ((20_000, 28_284), 148_140),
    ((28_284, 40_000), 99_106), ((40_000, 56_569), 66_297), ((56_569, 80_000), 44_348),
    ((80_000, 113_137), 29_668), ((113_137, 160_000), 19_847), ((160_000, 226_274), 13_277),
    ((226_274, 320_000), 8_882), ((320_000, 452_548), 5_942), ((452_548, 640_000), 3_975),
    ((640_000, 905_097), 2_659), ((905_097, 1_280_000), 1_779), ((1_280_000, 1_810_193), 1_190),
    ((1_810_193, 2_560_000), 796), ((2_560_000, 3_620_387), 532), ((3_620_387, 5_120_000), 356),
    ((5_120_000, 7_240_773), 238), ((7_240_773, 10_240_000), 159), ((10_240_000, 14_481_547), 107),
    ((14_481_547, 20_480_000), 71), ((20_480_000, 28_963_094), 48), ((28_963_094, 40_960_000), 32),
    ((40_960_000, 57_926_188), 21), ((57_926_188, 81_920_000), 14), ((81_920_000, 115_852_375), 10),
    ((115_852_375, 163_840_000), 6), ((163_840_000, 231_704_750), 4), ((231_704_750, 327_680_000), 9),
)
# fmt: on


def wealth_fen(rng: random.Random) -> int:
    """A Pareto-distributed client wealth, in fen."""
    low, high = weighted(rng, WEALTH_BUCKETS)
    return rng.randrange(low * 100, high * 100)


# Names and identity numbers: made up, but shaped like the real ones.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文博宇浩然欣怡子涵梓轩晨"
CITIES = ("上海", "北京", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "宁波", "无锡")
TRADES = (
    "华盛",
    "恒远",
    "嘉禾",
    "瑞丰",
    "新联",
    "东方",
    "宏达",
    "金桥",
    "天和",
    "锦程",
    "同泰",
    "汇通",
)
INDUSTRIES = ("贸易", "科技", "实业", "物流", "电子", "医药", "建材", "纺织", "食品", "机械")
REGIONS = ("310101", "310104", "310115", "110105", "110108", "440305", "330106", "320102", "510107")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def person_name(rng: random.Random) -> str:
    """A plausible Chinese personal name."""
    given_length = 1 + rng.randrange(2)
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(given_length))


def company_name(rng: random.Random) -> str:
    """A plausible company name: city, trade name, industry."""
    return f"{rng.choice(CITIES)}{rng.choice(TRADES)}{rng.choice(INDUSTRIES)}有限公司"


def resident_id(rng: random.Random) -> str:
    """An 18-character resident identity number with a valid check character."""
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(53 * 365))
    body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    check = sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS, strict=True)) % 11
    return body + ID_CHECK[check]


def credit_code(rng: random.Random) -> str:
    """An 18-character unified social credit code (check character not computed)."""
    return "91" + rng.choice(REGIONS) + "".join(rng.choice(USCC_CHARS) for _ in range(10))

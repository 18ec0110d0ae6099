"""Chinese names for fictitious demo and test people: surnames weighted by their share of the
population (公安部 户籍统计, rounded), given names from common characters."""

from __future__ import annotations

import random

# surname, share in per mille (top surnames; the rest is spread over the tail)
SURNAMES = [
    ("王", 72), ("李", 70), ("张", 68), ("刘", 54), ("陈", 46), ("杨", 32), ("黄", 24),
    ("赵", 23), ("吴", 20), ("周", 19), ("徐", 14), ("孙", 14), ("马", 13), ("朱", 12),
    ("胡", 11), ("郭", 11), ("何", 10), ("林", 9), ("高", 9), ("罗", 9), ("郑", 8),
    ("梁", 8), ("谢", 7), ("宋", 7), ("唐", 7), ("许", 6), ("韩", 6), ("邓", 6), ("冯", 6),
    ("曹", 6), ("彭", 5), ("曾", 5), ("肖", 5), ("田", 5), ("董", 5), ("潘", 4), ("袁", 4),
    ("蔡", 4), ("蒋", 4), ("余", 4), ("于", 4), ("杜", 4), ("叶", 4), ("程", 4), ("魏", 3),
    ("苏", 3), ("吕", 3), ("丁", 3), ("任", 3), ("卢", 3), ("姚", 3), ("沈", 3), ("钟", 3),
    ("姜", 3), ("崔", 3), ("谭", 3), ("陆", 3), ("范", 2), ("汪", 2), ("廖", 2), ("石", 2),
    ("金", 2), ("韦", 2), ("贾", 2), ("夏", 2), ("付", 2), ("方", 2), ("邹", 2), ("熊", 2),
    ("白", 2), ("孟", 2), ("秦", 2), ("邱", 2), ("侯", 2), ("江", 2), ("尹", 2), ("薛", 2),
    ("闫", 2), ("段", 2), ("雷", 2), ("龙", 1), ("黎", 1), ("史", 1), ("陶", 1), ("贺", 1),
    ("毛", 1), ("郝", 1), ("顾", 1), ("龚", 1), ("邵", 1), ("万", 1), ("覃", 1), ("武", 1),
    ("钱", 1), ("戴", 1), ("严", 1), ("莫", 1), ("孔", 1), ("向", 1), ("常", 1), ("汤", 1),
    ("康", 1), ("易", 1), ("乔", 1), ("赖", 1), ("文", 1), ("柯", 1), ("欧阳", 1), ("司马", 1),
]  # fmt: skip
MALE = (
    "伟强军磊洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志成文东兴海德才福贵明亮"
)
FEMALE = "芳娜敏静丽艳娟霞秀英玲桂兰红梅琳雪燕婷慧玉萍莉颖倩洁琴云莹晶欣悦佳蓉凤翠丹媛"
NEUTRAL = "子一小春新安文晓永建家宏金玉思雨嘉"

_names = [s for s, _ in SURNAMES]
_weights = [w for _, w in SURNAMES]


def surname(rng: random.Random) -> str:
    return rng.choices(_names, _weights)[0]


def given(rng: random.Random, sex: str) -> str:
    pool = MALE if sex == "M" else FEMALE
    if rng.random() < 0.3:
        return rng.choice(pool)
    return rng.choice(NEUTRAL + pool) + rng.choice(pool)


def full(rng: random.Random, sex: str, family: str | None = None) -> str:
    return (family or surname(rng)) + given(rng, sex)

"""Believable Chinese demo values (names, mobiles, plates, VINs), deterministic
for a given random generator.  Used by ``seed_demo``, the benchmarks and tests."""

from __future__ import annotations

import random

from accounts.validators import VIN_ALPHABET, vin_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉鹏飞宇浩然思雨子涵欣怡梓萱一诺嘉怡俊杰晨曦佳琪雨桐"
MOBILE_PREFIXES = ("130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 170 171 173 175 176 177 "
                   "178 180 181 182 183 184 185 186 187 188 189 191 193 195 198 199").split()
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
COLOURS = ["白色", "黑色", "银色", "灰色", "蓝色", "红色", "棕色"]


def chinese_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return rng.choice(SURNAMES) + given


def mobile_for(index: int) -> str:
    """A valid, unique-per-index mainland mobile number (index < 10**8 per prefix)."""
    prefix = MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]
    return f"{prefix}{(index * 7919 + 1234567) % 10**8:08d}"


def plate_for(index: int, province: str = "粤", letter: str = "B", new_energy: bool = False) -> str:
    """A valid plate unique per (province, letter, index) for index < 34**4 * 10."""
    body = ""
    n = index
    for _ in range(4):
        body = PLATE_ALNUM[n % len(PLATE_ALNUM)] + body
        n //= len(PLATE_ALNUM)
    digit = str(n % 10)
    if new_energy:  # small new-energy car: D/F, one letter or digit, four digits (unique for index < 680000)
        kind = "D" if index % 2 else "F"
        return f"{province}{letter}{kind}{PLATE_ALNUM[(index // 2) % 34]}{(index // 68) % 10000:04d}"
    return f"{province}{letter}{digit}{body}"


def vin_for(index: int, wmi: str = "LSV") -> str:
    """A VIN with a correct ISO 3779 check digit, unique per (wmi, index)."""
    serial = f"{index % 10**6:06d}"
    year = VIN_ALPHABET[10 + (index // 10**6) % 20]  # model-year letter
    descriptor = "AB12C"
    partial = f"{wmi}{descriptor}0{year}X{serial}"
    return partial[:8] + vin_check_digit(partial) + partial[9:]

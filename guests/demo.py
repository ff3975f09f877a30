"""Realistic synthetic guests for the demo archive and the benchmarks.

Surnames follow their real frequency roughly (王, 李, 张 and 刘 are a fifth of
China), with compound surnames and surnames whose reading differs (单, 曾, 仇) so
lookups meet the cases they meet at a real front desk.
"""

import random

SURNAMES = (
    ("王", 72), ("李", 72), ("张", 68), ("刘", 52), ("陈", 46), ("杨", 34), ("黄", 24), ("赵", 20), ("吴", 19),
    ("周", 19), ("徐", 14), ("孙", 14), ("马", 13), ("朱", 13), ("胡", 12), ("郭", 12), ("何", 11), ("林", 10),
    ("高", 10), ("罗", 9), ("郑", 9), ("梁", 8), ("谢", 7), ("宋", 7), ("唐", 7), ("许", 6), ("韩", 6), ("冯", 6),
    ("邓", 6), ("曹", 6), ("彭", 5), ("曾", 5), ("肖", 5), ("田", 5), ("董", 5), ("潘", 4), ("袁", 4), ("蔡", 4),
    ("蒋", 4), ("余", 4), ("于", 4), ("杜", 4), ("叶", 4), ("程", 3), ("魏", 3), ("苏", 3), ("吕", 3), ("丁", 3),
    ("任", 3), ("卢", 3), ("姚", 3), ("沈", 3), ("钟", 3), ("姜", 3), ("崔", 3), ("谭", 3), ("陆", 2), ("范", 2),
    ("汪", 2), ("廖", 2), ("石", 2), ("金", 2), ("韦", 2), ("贾", 2), ("夏", 2), ("付", 2), ("方", 2), ("邹", 2),
    ("单", 1), ("仇", 1), ("解", 1), ("朴", 1), ("查", 1), ("区", 1), ("盖", 1), ("覃", 1), ("乐", 1), ("缪", 1),
    ("欧阳", 1), ("司马", 1), ("上官", 1), ("诸葛", 1), ("东方", 1), ("皇甫", 1), ("尉迟", 1), ("慕容", 1),
    ("长孙", 1), ("令狐", 1),
)  # fmt: skip
GIVEN_CHARS_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志成海峰东晨昊天文博"
GIVEN_CHARS_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英梅琳雪婷慧颖倩洁玉萍红燕丹晶莉琴云佳悦彤欣怡蕾薇晓"
HONORIFIC_TITLES_MALE = ("总", "总", "总", "董", "局", "处", "主任", "经理", "先生", "老师", "行长", "院长")
HONORIFIC_TITLES_FEMALE = ("总", "总", "女士", "女士", "经理", "主任", "老师", "姐")
TITLES = {
    "总": "总经理", "董": "董事长", "局": "局长", "处": "处长", "主任": "主任", "经理": "销售经理",
    "行长": "行长", "院长": "院长", "老师": "教师", "先生": "", "女士": "", "姐": "",
}  # fmt: skip
COMPANY_PLACES = ("北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "武汉", "苏州", "西安", "天津", "重庆")
COMPANY_CORES = (
    "华信", "恒通", "中鼎", "瑞丰", "金桥", "博远", "宏达", "新创", "永泰", "海川", "东方明", "嘉禾", "天宇", "汇丰源",
    "安信", "远景", "长城", "正大", "众合", "锦程",
)  # fmt: skip
COMPANY_KINDS = (
    "科技有限公司", "实业集团", "建设集团", "贸易有限公司", "投资控股", "律师事务所", "文化传媒", "医药股份", "置业有限公司",
)  # fmt: skip
INSTITUTIONS = (
    "市财政局",
    "区人民医院",
    "市税务局",
    "市第一中学",
    "工商银行分行",
    "市发改委",
    "省电力公司",
    "市交通局",
)
DISHES = (
    "清蒸石斑鱼", "北京烤鸭", "白切鸡", "红烧肉", "东坡肉", "佛跳墙", "蒜蓉粉丝蒸扇贝", "上汤西兰花", "松鼠桂鱼",
    "麻婆豆腐", "宫保鸡丁", "剁椒鱼头", "蟹粉豆腐", "烧鹅", "避风塘炒蟹", "鲍汁扣辽参", "虾饺", "小笼包", "干炒牛河",
)  # fmt: skip
DRINKS = ("茅台", "五粮液", "剑南春", "红酒（波尔多）", "青岛啤酒", "普洱茶", "龙井", "铁观音", "鲜榨橙汁", "苏打水")
TABOOS = ("不吃辣", "不吃香菜", "不吃猪肉", "少盐", "不吃葱姜蒜", "素食", "不喝白酒", "不吃内脏", "清真")
ALLERGIES = ("海鲜过敏", "花生过敏", "芒果过敏", "乳糖不耐受", "坚果过敏")
SEATING = ("牡丹厅", "靠窗", "安静包间", "大圆桌包间", "吸烟包间", "大厅卡座")
TASTES = ("清淡", "偏辣", "偏甜", "重口味", "粤式", "川湘")
REGIONS = ("北京", "上海", "广东", "浙江", "江苏", "四川", "湖北", "香港")

_SURNAME_POOL = [s for s, weight in SURNAMES for _ in range(weight)]


class GuestFaker:
    """Deterministic for a seed, so a benchmark can be repeated on the same archive."""

    def __init__(self, seed: int = 2026):
        self.rng = random.Random(seed)

    def person(self) -> dict:
        rng = self.rng
        surname = rng.choice(_SURNAME_POOL)
        female = rng.random() < 0.35
        chars = GIVEN_CHARS_FEMALE if female else GIVEN_CHARS_MALE
        given = "".join(rng.choice(chars) for _ in range(rng.choice((1, 2, 2, 2))))
        title_key = rng.choice(HONORIFIC_TITLES_FEMALE if female else HONORIFIC_TITLES_MALE)
        if rng.random() < 0.25:
            company = rng.choice(COMPANY_PLACES) + rng.choice(INSTITUTIONS)
            org_type = "government"
        else:
            company = rng.choice(COMPANY_PLACES) + rng.choice(COMPANY_CORES) + rng.choice(COMPANY_KINDS)
            org_type = "company"
        mobile = rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
        return {
            "name": surname + given,
            "surname": surname,
            "honorific": surname + title_key,
            "gender": "F" if female else "M",
            "mobile": "1" + mobile,
            "company": company,
            "title": TITLES[title_key],
            "org_type": org_type,
            "tier": rng.choices("ABC", weights=(8, 27, 65))[0],
        }

    def preferences(self) -> dict:
        rng = self.rng
        some = lambda pool, most: "、".join(rng.sample(pool, rng.randint(0, most)))  # noqa: E731
        return {
            "favourite_dishes": some(DISHES, 3),
            "favourite_drinks": some(DRINKS, 2),
            "taboos": some(TABOOS, 1) if rng.random() < 0.3 else "",
            "allergies": rng.choice(ALLERGIES) if rng.random() < 0.08 else "",
            "seating": rng.choice(SEATING) if rng.random() < 0.4 else "",
            "taste": rng.choice(TASTES) if rng.random() < 0.5 else "",
            "region": rng.choice(REGIONS),
        }

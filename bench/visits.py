"""Visits and complaints at archive scale: seed them with COPY, then time the guest profile and the managers' lists.

    .venv/bin/python bench/visits.py                          # 1,000,000 visits over 100,000 guests (keshi_bench)
    .venv/bin/python bench/visits.py --visits 10000000 --guests 1000000 \\
        --database-url postgres://postgres@127.0.0.1:5432/keshi_bench_1m
    .venv/bin/python bench/visits.py --reset --samples 60 --explain
    .venv/bin/python bench/visits.py --what-if                # then again with candidate covering indexes
    .venv/bin/python bench/visits.py --only profile           # only the guest profile's cases

Runs against its own database (name must contain "bench"; created and migrated if
missing). Guests come from bench/seed.py, skipped when their count matches. Visits,
companions at the table, complaints and their steps are generated in worker processes
and streamed with COPY, secondary indexes and foreign keys dropped for the load and
restored after it, all in one transaction; skipped when the archive already holds
--visits visits and the 2,000-visit guest (--reset reseeds). Then, as a logged-in
manager through django.test.Client (middleware, session, ATOMIC_REQUESTS, template), it
times the profile of the 2,000-visit guest, the visits list and the complaint list with
typical filters, and prints median, p95 and SQL statements per page, with the plan of
the slowest statement where a target is missed. --what-if then creates the covering
indexes of WHAT_IF_INDEXES, times everything again and drops them. Targets: profile
p95 <= 50 ms, list pages p95 <= 100 ms. See bench/README.md.
"""

import argparse
import datetime
import io
import itertools
import logging
import math
import multiprocessing
import os
import random
import re
import statistics
import sys
import time
import warnings
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.lookup import Tee, configure, ensure_database, ms  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/keshi_bench"
SETTINGS_MODULE = "bench.settings_pages"
MANAGER_USERNAME = "bench_manager"
SUPERVISORS = ("bench_supervisor_1", "bench_supervisor_2", "bench_supervisor_3")
HEAVY_VISITS = 2_000
COMPLAINT_EVERY = 200  # visits whose id is a multiple of this get a complaint; plus 10 % with no visit
CHUNK = 50_000
YEARS = 3
TARGET_PROFILE_MS = 50.0
TARGET_LIST_MS = 100.0
VISIT_TABLES = ("visits_visit", "visits_visit_companions", "visits_complaint", "visits_complaintevent")

# --------------------------------------------------------------------------- what the archive looks like

DISHES_CLASSIC = (
    "清蒸石斑鱼", "北京烤鸭", "白切鸡", "红烧肉", "佛跳墙", "蒜蓉粉丝蒸扇贝", "上汤西兰花", "麻婆豆腐", "宫保鸡丁",
    "剁椒鱼头", "烧鹅", "避风塘炒蟹", "鲍汁扣辽参", "糖醋里脊", "水煮鱼", "葱烧海参", "清炒时蔬", "扬州炒饭",
    "酸菜鱼", "白灼虾", "XO酱炒带子", "干锅花菜", "老火例汤", "椒盐濑尿虾",
)  # fmt: skip
DISHES_JIANGNAN = (
    "松鼠桂鱼", "东坡肉", "蟹粉豆腐", "龙井虾仁", "西湖醋鱼", "叫花鸡", "蟹粉狮子头", "腌笃鲜", "响油鳝丝",
    "清炒河虾仁", "酱鸭", "油焖春笋", "糖醋小排", "桂花糖藕", "荠菜馄饨", "阳春面",
)  # fmt: skip
DISHES_CANTONESE = (
    "虾饺", "烧卖", "叉烧包", "鲜虾肠粉", "豉汁凤爪", "干炒牛河", "菠萝包", "云吞面", "艇仔粥", "葡式蛋挞",
    "烧鹅", "白切鸡", "马拉糕", "萝卜糕", "流沙包", "皮蛋瘦肉粥",
)  # fmt: skip
DISHES_BANQUET = (
    "鲍汁扣辽参", "佛跳墙", "清蒸东星斑", "北京烤鸭", "蒜蓉粉丝蒸扇贝", "避风塘炒蟹", "上汤西兰花", "鸿运乳猪",
    "寿桃", "长寿面", "发财好市", "金汤花胶", "椒盐大虾", "荷塘小炒", "四喜丸子", "水果拼盘",
)  # fmt: skip
DISHES_BAR = ("果盘", "坚果拼盘", "提拉米苏", "芝士蛋糕", "总汇三明治", "薯条", "司康饼", "马卡龙")
DRINKS_TABLE = ("茅台", "五粮液", "剑南春", "红酒（波尔多）", "青岛啤酒", "普洱茶", "龙井", "铁观音", "鲜榨橙汁",
                "苏打水", "绍兴黄酒", "汾酒")  # fmt: skip
DRINKS_TEA = ("普洱茶", "铁观音", "菊花茶", "港式奶茶", "冻柠茶", "鸳鸯", "豆浆")
DRINKS_BAR = ("拿铁", "美式咖啡", "英式红茶", "莫吉托", "威士忌", "苏打水", "鲜榨橙汁", "香槟")

NOTES = (
    "客人生日，赠送长寿面。", "自带酒水，开瓶费已免。", "商务宴请，需安静。", "要求靠窗位置。",
    "提前预订，菜单已确认。", "小孩同行，需要儿童椅。", "客人对海鲜过敏，已提醒厨房。", "结账开公司发票。",
)  # fmt: skip
WAITER_NAMES = ("周", "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "吴", "徐", "孙", "马", "朱", "胡", "郭")
WAITER_GIVEN = ("小燕", "晓东", "丽华", "建平", "海燕", "志强", "雪梅", "文静", "春花", "国庆", "秀英", "明亮")

# Meal periods as local minutes of the day a waiter logs them in.
MEAL_MINUTES = {"breakfast": (420, 585), "lunch": (660, 825), "tea": (840, 1005), "dinner": (1020, 1245),
                "late": (1260, 1410)}  # fmt: skip
PARTY = {  # (sizes, weights) per kind of service; banquets are whole tables of ten
    "table": ((1, 2, 3, 4, 5, 6, 8, 10, 12), (4, 22, 14, 18, 8, 12, 10, 8, 4)),
    "cafe": ((1, 2, 3, 4, 5, 6), (15, 35, 20, 18, 6, 6)),
    "banquet": (tuple(range(20, 310, 10)), (6,) * 8 + (3,) * 10 + (1,) * 11),
    "bar": ((1, 2, 3, 4), (30, 45, 15, 10)),
}
PAYMENTS = ("cash", "card", "mobile", "account")
PAYMENT_WEIGHTS = {"A": (2, 23, 30, 45), "B": (5, 25, 50, 20), "C": (15, 15, 68, 2)}
TIER_WEIGHT = {"A": 8.0, "B": 3.0, "C": 1.0}


@dataclass(frozen=True)
class OutletPlan:
    code: str  # ASCII, for the waiters' usernames
    name: str
    kind: str
    share: int  # relative share of all visits
    meals: dict
    party: str
    rooms: tuple  # private rooms and halls: (name, seats)
    tables: tuple  # open tables
    waiters: int
    dishes: tuple
    drinks: tuple
    per_head: tuple  # yuan per head for tiers A, B, C


OUTLETS = (
    OutletPlan("yuefu", "悦府中餐厅", "restaurant", 35, {"lunch": 40, "dinner": 55, "late": 5}, "table",
               (("牡丹厅", 16), ("芙蓉厅", 12), ("兰亭", 10), ("竹韵", 10), ("梅香", 8), ("菊苑", 8), ("荷风", 12),
                ("松涛", 20)), tuple(f"A{n:02d}" for n in range(1, 25)), 10, DISHES_CLASSIC, DRINKS_TABLE,
               (620, 330, 170)),
    OutletPlan("jiangnan", "江南小馆", "restaurant", 25, {"lunch": 45, "dinner": 55}, "table",
               (("西湖厅", 12), ("姑苏厅", 10), ("秦淮厅", 10), ("扬州厅", 8)), tuple(f"B{n:02d}" for n in range(1, 17)),
               8, DISHES_JIANGNAN, DRINKS_TABLE, (520, 290, 150)),
    OutletPlan("canton", "粤港茶餐厅", "restaurant", 20,
               {"breakfast": 30, "lunch": 30, "tea": 25, "dinner": 10, "late": 5}, "cafe",
               (), tuple(f"C{n:02d}" for n in range(1, 21)), 6, DISHES_CANTONESE, DRINKS_TEA, (190, 120, 80)),
    OutletPlan("lobby", "大堂吧", "bar", 12, {"tea": 50, "dinner": 15, "late": 35}, "bar",
               (), tuple(f"吧台{n}" for n in range(1, 13)), 4, DISHES_BAR, DRINKS_BAR, (160, 110, 80)),
    OutletPlan("ballroom", "金色大宴会厅", "banquet", 8, {"lunch": 35, "dinner": 65}, "banquet",
               (("宴会一厅", 200), ("宴会二厅", 120), ("宴会全厅", 320)), (), 6, DISHES_BANQUET, DRINKS_TABLE,
               (880, 520, 320)),
)  # fmt: skip

COMPLAINT_TEXT = {
    "food": ("上菜太慢，等了四十分钟。", "鱼不新鲜。", "汤太咸了。", "菜里吃出头发。", "烤鸭皮不脆，和上次差很多。"),
    "service": ("服务员态度冷淡，叫了三次才来。", "结账时多收了一道菜的钱。", "预订的包间被别人占了。",
                "上错菜，还坚持说没错。"),
    "facilities": ("包间空调太冷。", "洗手间不干净。", "停车场没有车位，也没人引导。", "音响声音太大，谈不了事。"),
    "other": ("发票抬头开错了。", "会员积分没有到账。", "生日优惠没有兑现。"),
}  # fmt: skip
DEPARTMENT = {"food": "厨房", "service": "前厅", "facilities": "工程部", "other": "财务部"}
MAIN_PATH = ("received", "accepted", "assigned", "proposed", "approved", "carried_out", "reaction", "closed")
REJECT_PATH = ("received", "rejected", "closed")
ACTION = {"accepted": "accept", "rejected": "reject", "assigned": "assign", "proposed": "propose",
          "approved": "approve", "carried_out": "carry_out", "reaction": "reaction", "closed": "close"}  # fmt: skip
# Final status by the complaint's age: new ones are still moving, old ones are closed.
STATUS_BY_AGE = (
    (1, {"received": 55, "accepted": 25, "assigned": 20}),
    (14, {"received": 12, "accepted": 8, "assigned": 15, "proposed": 15, "approved": 10, "carried_out": 10,
          "reaction": 10, "closed": 15, "rejected": 5}),
    (None, {"closed": 85, "received": 2, "rejected": 2, "assigned": 3, "proposed": 3, "reaction": 5}),
)  # fmt: skip

VISIT_COLUMNS = ("id", "guest_id", "outlet_id", "room_id", "visited_at", "meal_period", "party_size", "dishes",
                 "drinks", "spend", "payment_method", "served_by_id", "satisfaction", "notes", "created_by_id",
                 "created_at", "host_tier")  # fmt: skip
COMPANION_COLUMNS = ("id", "visit_id", "guest_id")
COMPLAINT_COLUMNS = ("id", "category", "severity", "description", "received_at", "due_at", "first_answered_at",
                     "status", "department", "cause", "remedy", "guest_reaction", "summary", "closed_at",
                     "assignee_id", "guest_id", "outlet_id", "received_by_id", "visit_id")  # fmt: skip
EVENT_COLUMNS = ("id", "action", "from_status", "to_status", "at", "note", "actor_id", "complaint_id")

# Set in the parent before the workers fork: the guests and the outlets, read-only.
_STATE: dict = {}


def _cum(weights) -> list[float]:
    return list(itertools.accumulate(weights))


def _stamp(ts: float) -> str:
    """A timestamp in COPY text, in the hotel's fixed UTC offset."""
    t = time.gmtime(ts + _STATE["offset"])
    return (f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
            f"{_STATE['offset_text']}")  # fmt: skip


def _spend(rng: random.Random, per_head: float, party: int) -> str:
    total = max(1.0, per_head * party * min(3.0, rng.lognormvariate(0, 0.35)))
    shape = rng.random()
    if shape < 0.5:
        return f"{round(total)}.00"  # most bills are whole yuan
    if shape < 0.7:
        return f"{round(total, -1):.2f}"
    return f"{total:.2f}"


def _visit_chunk(job: tuple) -> tuple[int, str, int, str]:
    """Visits first_id .. first_id + count - 1 (and their companions) as COPY text; deterministic per chunk."""
    seed, index, first_id, count, heavy = job
    s = _STATE
    rng = random.Random(seed * 104_729 + index)
    ids, created, tiers, now, offset = s["ids"], s["created"], s["tiers"], s["now"], s["offset"]
    n = len(ids)
    outlets = s["outlets"]
    if heavy is None:
        picks = rng.choices(range(n), cum_weights=s["guest_cum"], k=count)
        outlet_cum = s["outlet_cum"]
    else:
        picks = [heavy] * count
        outlet_cum = s["heavy_outlet_cum"]
    null = "\\N"
    visits, companions = [], []
    for offset_in_chunk, gi in enumerate(picks):
        visit_id = first_id + offset_in_chunk
        guest_id, tier, since = ids[gi], tiers[gi], created[gi]
        o = rng.choices(outlets, cum_weights=outlet_cum)[0]
        meal = rng.choices(o["meals"], cum_weights=o["meal_cum"])[0]
        sizes, size_cum = o["party"]
        party = rng.choices(sizes, cum_weights=size_cum)[0]
        # A day between the guest's creation and now, at a minute of the meal period.
        base = since + rng.random() * (now - since)
        day = math.floor((base + offset) / 86_400)
        lo, hi = MEAL_MINUTES[meal]
        at = day * 86_400 - offset + rng.randint(lo, hi) * 60
        if at > now:
            at -= 86_400
        at = max(at, since)
        if o["kind"] == "banquet":
            room = rng.choice(o["rooms"])
        elif o["rooms"] and party >= 6 and rng.random() < 0.9:
            room = rng.choice(o["rooms"])
        elif o["tables"] and rng.random() < (0.7 if o["kind"] == "bar" else 0.85):
            room = rng.choice(o["tables"])
        else:
            room = null
        dishes = o["dishes"]
        how_many = {"banquet": 10, "bar": rng.randint(1, 2)}.get(o["kind"], rng.randint(2, 6))
        drinks = rng.sample(o["drinks"], rng.choice((0, 1, 1, 2)))
        waiter = rng.choice(o["waiters"])
        companion_ids = set()
        if party >= 2 and rng.random() < 0.12:
            for _ in range(rng.randint(1, min(3, party - 1))):
                other = ids[rng.randrange(n)]
                if other != guest_id:
                    companion_ids.add(other)
        for j, other in enumerate(sorted(companion_ids)):
            companions.append(f"{visit_id * 4 + j}\t{visit_id}\t{other}")
        satisfaction = null if rng.random() < 0.65 else str(rng.choices((5, 4, 3, 2, 1), (50, 32, 12, 4, 2))[0])
        visits.append("\t".join((
            str(visit_id), str(guest_id), o["id"], str(room), _stamp(at), meal, str(party),
            "、".join(rng.sample(dishes, min(how_many, len(dishes)))), "、".join(drinks),
            _spend(rng, o["per_head"][tier], party), rng.choices(PAYMENTS, cum_weights=s["payments"][tier])[0], waiter,
            satisfaction, rng.choice(NOTES) if rng.random() < 0.06 else "", waiter,
            _stamp(min(now, at + rng.randint(300, 3 * 3600))), tier,
        )))  # fmt: skip
    visits.append("")
    companions.append("")
    return count, "\n".join(visits), len(companions) - 1, "\n".join(companions)


# --------------------------------------------------------------------------- staff, outlets, guests


def ensure_staff() -> dict:
    """Outlets with their rooms and tables, waiters who belong to them, managers; created once."""
    from django.contrib.auth.models import Group

    from staff import roles
    from staff.models import Outlet, Room, User

    waiter_group, manager_group = Group.objects.get(name=roles.WAITER), Group.objects.get(name=roles.MANAGER)
    plan = []
    names = itertools.cycle(itertools.product(WAITER_NAMES, WAITER_GIVEN))
    for o in OUTLETS:
        outlet, _ = Outlet.objects.get_or_create(name=o.name, defaults={"kind": o.kind})
        rooms = [Room.objects.get_or_create(outlet=outlet, name=name, defaults={"seats": seats})[0].pk
                 for name, seats in o.rooms]  # fmt: skip
        tables = [Room.objects.get_or_create(outlet=outlet, name=name, defaults={"is_private": False, "seats": 4})[0].pk
                  for name in o.tables]  # fmt: skip
        waiters = []
        for n in range(1, o.waiters + 1):
            last, first = next(names)
            user, created = User.objects.get_or_create(
                username=f"bench_waiter_{o.code}_{n:02d}", defaults={"last_name": last, "first_name": first}
            )
            if created:
                user.set_unusable_password()
                user.save()
                user.groups.add(waiter_group)
                user.outlets.set([outlet])
            waiters.append(user.pk)
        plan.append({"id": outlet.pk, "plan": o, "rooms": rooms, "tables": tables, "waiters": waiters})
    managers = []
    for username in (MANAGER_USERNAME, *SUPERVISORS):
        user, created = User.objects.get_or_create(username=username, defaults={"last_name": "经理"})
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(manager_group)
        managers.append(user.pk)
    return {"outlets": plan, "managers": managers}


def heavy_guest_id(cursor) -> int | None:
    """The guest given exactly HEAVY_VISITS visits: the longest-known A guest (not one bench/followups.py moves)."""
    cursor.execute(
        "SELECT id FROM guests_guest WHERE tier = 'A' AND anonymised_at IS NULL AND id %% %s <> 0 "
        "ORDER BY created_at, id LIMIT 1",
        [100],
    )
    row = cursor.fetchone()
    return row[0] if row else None


def seeded_state(cursor) -> dict:
    cursor.execute(
        "SELECT (SELECT count(*) FROM visits_visit), (SELECT count(*) FROM visits_complaint), "
        "(SELECT count(*) FROM (SELECT 1 FROM visits_visit_companions LIMIT 1) c)"
    )
    visits, complaints, companions = cursor.fetchone()
    heavy = heavy_guest_id(cursor)
    cursor.execute("SELECT count(*) FROM visits_visit WHERE guest_id = %s", [heavy])
    return {"visits": visits, "complaints": complaints, "companions": companions, "heavy": heavy,
            "heavy_visits": cursor.fetchone()[0]}  # fmt: skip


def _check_columns(model, columns) -> None:
    """Every column of the table is generated: a new column must be added here, not left to chance."""
    actual = {f.column for f in model._meta.concrete_fields}
    if actual != set(columns):
        raise RuntimeError(f"{model._meta.db_table}: the seed writes {sorted(columns)}, the table has {sorted(actual)}")


# --------------------------------------------------------------------------- seeding


def seed_visits(*, connection, visits: int, seed: int, log) -> dict:
    """Replace every visit, companion, complaint and complaint step with a generated archive."""
    from django.conf import settings
    from django.db import transaction

    from bench.seed import _secondary_indexes
    from guests import searchkeys
    from visits.development import developed_rebuild
    from visits.models import Complaint, ComplaintEvent, Visit
    from visits.recent import recent_spend_rebuild
    from visits.totals import visit_totals_rebuild

    _check_columns(Visit, VISIT_COLUMNS)
    _check_columns(Visit.companions.through, COMPANION_COLUMNS)
    _check_columns(Complaint, COMPLAINT_COLUMNS)
    _check_columns(ComplaintEvent, EVENT_COLUMNS)
    if visits < HEAVY_VISITS:
        raise SystemExit(f"--visits must be at least {HEAVY_VISITS} (the heavy guest alone has that many).")
    started = time.perf_counter()
    staff = ensure_staff()
    now = time.time()
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    offset = int(datetime.datetime.now(zone).utcoffset().total_seconds())
    with connection.cursor() as cursor:
        heavy = heavy_guest_id(cursor)
        cursor.execute(
            "SELECT id, tier, extract(epoch FROM created_at)::float8 FROM guests_guest "
            "WHERE anonymised_at IS NULL ORDER BY id"
        )
        rows = cursor.fetchall()
        indexes = [(table, name, sql) for table in VISIT_TABLES for name, sql in _secondary_indexes(cursor, table)]
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [list(VISIT_TABLES)],
        )
        foreign_keys = cursor.fetchall()
        # Other apps' tables that point at visits (a booking's visit, a till's bill): TRUNCATE refuses
        # while their foreign keys stand, so they are dropped and restored with the others, and the
        # seed refuses to run if any of their rows links a visit it is about to replace.
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), a.attname FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY(%s) "
            "AND NOT c.conrelid::regclass::text = ANY(%s)",
            [list(VISIT_TABLES) + ["visits_historicalvisit"], list(VISIT_TABLES)],
        )
        for table, name, definition, column in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" IS NOT NULL')
            if linked := cursor.fetchone()[0]:
                raise SystemExit(f"{linked:,} rows of {table} link a visit ({column}); reseeding the visits would "
                                 f"break them: use another bench database.")  # fmt: skip
            foreign_keys.append((table, name, definition))
    if heavy is None:
        raise SystemExit("No tier-A guest to give 2,000 visits to; seed the guests first.")
    ids = [r[0] for r in rows]
    tiers = "".join(r[1] for r in rows)
    created = [r[2] for r in rows]
    del rows
    heavy_index = ids.index(heavy)
    rng = random.Random(seed)
    weights = []
    for guest_id, tier, since in zip(ids, tiers, created, strict=True):
        # ~70 % of guests have been back; the more valuable and the longer known, the more often.
        if guest_id == heavy or rng.random() >= 0.7:
            weights.append(0.0)
        else:
            weights.append(TIER_WEIGHT[tier] * max(now - since, 86_400) * min(5.0, rng.lognormvariate(0, 0.6)))
    outlets = []
    for entry in staff["outlets"]:
        o = entry["plan"]
        sizes, size_weights = PARTY[o.party]
        outlets.append({
            "id": str(entry["id"]), "kind": o.kind, "meals": list(o.meals), "meal_cum": _cum(o.meals.values()),
            "party": (sizes, _cum(size_weights)), "rooms": entry["rooms"], "tables": entry["tables"],
            "waiters": [str(w) for w in entry["waiters"]], "dishes": o.dishes, "drinks": o.drinks,
            "per_head": dict(zip("ABC", o.per_head, strict=True)),
        })  # fmt: skip
    _STATE.clear()
    _STATE.update(
        ids=ids, tiers=tiers, created=created, guest_cum=_cum(weights), now=now, offset=offset,
        offset_text=f"{'+' if offset >= 0 else '-'}{abs(offset) // 3600:02d}:{abs(offset) % 3600 // 60:02d}",
        outlets=outlets, outlet_cum=_cum(o.share for o in OUTLETS),
        # The heavy guest hosts in the Chinese restaurant and the ballroom, seldom elsewhere.
        heavy_outlet_cum=_cum({"yuefu": 60, "jiangnan": 15, "canton": 5, "lobby": 5, "ballroom": 15}[o.code]
                              for o in OUTLETS),
        payments={tier: _cum(w) for tier, w in PAYMENT_WEIGHTS.items()},
    )  # fmt: skip
    del weights
    random_visits = visits - HEAVY_VISITS
    jobs = [(seed, i, first, min(CHUNK, random_visits + 1 - first), None)
            for i, first in enumerate(range(1, random_visits + 1, CHUNK))]  # fmt: skip
    jobs.append((seed, len(jobs), random_visits + 1, HEAVY_VISITS, heavy_index))
    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    log(f"  {len(ids):,} guests, heavy guest id {heavy}; {len(jobs)} chunks on {workers} worker processes")
    connection.close()  # fork the generators before this process holds a connection
    phases = {}
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        chunks = pool.imap(_visit_chunk, jobs)
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg2's, for copy_expert
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            # Foreign keys are checked once, set-based, when they are added back below; dropped before
            # the TRUNCATE, which refuses a table another one's foreign key points at.
            for table, name, _definition in foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            cursor.execute("TRUNCATE visits_complaintevent, visits_complaint, visits_visit_companions, visits_visit, "
                           "visits_historicalvisit RESTART IDENTITY")  # fmt: skip
            for _table, name, _sql in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            # The generators write visits in guest-drawing order; a real table fills in the order
            # visits are logged, so ids and the heap follow created_at (the last 30 days are the
            # table's last pages, a regular's visits are spread over all of it). Load into temp
            # tables, then copy over sorted, with ids renumbered in that order.
            cursor.execute("CREATE TEMP TABLE bench_visit_load (LIKE visits_visit) ON COMMIT DROP")
            cursor.execute("CREATE TEMP TABLE bench_companion_load (LIKE visits_visit_companions) ON COMMIT DROP")
            loaded = companions = 0
            for count, text, companion_count, companion_text in chunks:
                raw.copy_expert(f"COPY bench_visit_load ({', '.join(VISIT_COLUMNS)}) FROM STDIN", io.StringIO(text))
                raw.copy_expert(
                    f"COPY bench_companion_load ({', '.join(COMPANION_COLUMNS)}) FROM STDIN",
                    io.StringIO(companion_text),
                )
                loaded += count
                companions += companion_count
                if loaded % (CHUNK * 10) == 0 or loaded == visits:
                    log(f"  generated {loaded:,}/{visits:,} visits ({time.perf_counter() - started:.0f} s)")
            phases["visits generated"] = time.perf_counter() - started
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(
                "CREATE TEMP TABLE bench_visit_ids ON COMMIT DROP AS "
                "SELECT id AS generated, row_number() OVER (ORDER BY created_at, id) AS id FROM bench_visit_load"
            )
            others = ", ".join(f"v.{c}" for c in VISIT_COLUMNS if c != "id")
            cursor.execute(
                f"INSERT INTO visits_visit ({', '.join(VISIT_COLUMNS)}) SELECT m.id, {others} "
                f"FROM bench_visit_load v JOIN bench_visit_ids m ON m.generated = v.id ORDER BY m.id"
            )
            cursor.execute(
                "INSERT INTO visits_visit_companions (id, visit_id, guest_id) "
                "SELECT row_number() OVER (ORDER BY m.id, c.guest_id), m.id, c.guest_id "
                "FROM bench_companion_load c JOIN bench_visit_ids m ON m.generated = c.visit_id ORDER BY 1"
            )
            cursor.execute("DROP TABLE bench_visit_ids, bench_companion_load, bench_visit_load")
            log(f"  copied {loaded:,} visits in the order they were logged ({time.perf_counter() - started:.0f} s)")
            phases["visits copied"] = time.perf_counter() - started
            complaints, events = _complaints(cursor, staff=staff, seed=seed, log=log)
            phases["complaints"] = time.perf_counter() - started
            for _table, name, sql in indexes:
                log(f"  rebuilding {name}")
                cursor.execute(sql)
            phases["indexes rebuilt"] = time.perf_counter() - started
            for table, name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            phases["foreign keys checked"] = time.perf_counter() - started
            for table in VISIT_TABLES:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"GREATEST((SELECT max(id) FROM {table}), 1))")  # fmt: skip
            # Last visit and last seen of every guest, from the visits just loaded (as
            # visits.services._refresh_guest_recency computes them), in one UPDATE. Without the
            # lookup's triggers, which would move each guest's prefix keys one guest at a time (more
            # than ten minutes at a million guests): the keys are made again at once after it.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                """
                UPDATE guests_guest g SET last_visit_at = v.last, last_seen_at = COALESCE(v.last, g.created_at)
                  FROM guests_guest g0
                  LEFT JOIN (SELECT guest_id, max(visited_at) AS last FROM visits_visit GROUP BY guest_id) v
                         ON v.guest_id = g0.id
                 WHERE g0.id = g.id
                   AND (g.last_visit_at IS DISTINCT FROM v.last OR g.last_seen_at <> COALESCE(v.last, g.created_at))
                """
            )
            updated = cursor.rowcount
            cursor.execute("SET LOCAL session_replication_role = origin")
            phases["guests' last visit"] = time.perf_counter() - started
            if updated:
                searchkeys.rebuild(cursor)
                phases["search keys"] = time.perf_counter() - started
            visit_totals_rebuild()
            phases["day totals"] = time.perf_counter() - started
            developed_rebuild()
            phases["guests developed"] = time.perf_counter() - started
            recent_spend_rebuild(force=True)
            phases["spend over 30 days"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        for table in VISIT_TABLES:
            # As autovacuum leaves an insert-mostly table: statistics and visibility map up to date.
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        if updated:
            # The UPDATE left a dead copy of each guest it changed; a real archive's table is compact.
            cursor.execute("VACUUM FULL ANALYZE guests_guest")
    phases["vacuumed"] = time.perf_counter() - started
    log(f"Seeded {visits:,} visits ({companions:,} companion rows), {complaints:,} complaints ({events:,} steps) "
        f"in {phases['vacuumed']:.0f} s; {updated:,} guests got their last visit updated.")  # fmt: skip
    log("  " + ", ".join(f"{name} at {seconds:.0f} s" for name, seconds in phases.items()))
    return phases


def _complaints(cursor, *, staff: dict, seed: int, log) -> tuple[int, int]:
    """~1 complaint per COMPLAINT_EVERY visits, plus 10 % more with no visit, each with its steps so far."""
    rng = random.Random(seed + 1)
    s = _STATE
    now = s["now"]
    waiters = {str(entry["id"]): entry["waiters"] for entry in staff["outlets"]}
    outlet_ids = list(waiters)
    managers = staff["managers"]
    cursor.execute(
        "SELECT id, guest_id, outlet_id, extract(epoch FROM visited_at)::float8, served_by_id FROM visits_visit "
        "WHERE id %% %s = 0 ORDER BY id",
        [COMPLAINT_EVERY],
    )
    sources = [(visit_id, guest_id, str(outlet_id), at, served) for visit_id, guest_id, outlet_id, at, served in
               cursor.fetchall()]  # fmt: skip
    for _ in range(len(sources) // 10):
        gi = rng.randrange(len(s["ids"]))
        since = s["created"][gi]
        outlet = rng.choice(outlet_ids) if rng.random() < 0.7 else None
        sources.append((None, s["ids"][gi], outlet, since + rng.random() * (now - since), None))
    sources.sort(key=lambda source: source[3])
    null = "\\N"
    complaints, events = [], []
    event_id = 0
    for complaint_id, (visit_id, guest_id, outlet, at, served) in enumerate(sources, start=1):
        category = rng.choices(("food", "service", "facilities", "other"), (40, 35, 15, 10))[0]
        received = min(now - 60, at + rng.uniform(600, 2 * 86_400))
        age_days = (now - received) / 86_400
        statuses = next(table for limit, table in STATUS_BY_AGE if limit is None or age_days < limit)
        final = rng.choices(list(statuses), list(statuses.values()))[0]
        path = REJECT_PATH if final == "rejected" or (final == "closed" and rng.random() < 0.08) else MAIN_PATH
        steps = path[: path.index(final) + 1]
        # The first answer within 0.3 to 30 hours (some late), later steps hours to days apart,
        # squeezed so that the last one is not after now.
        gaps = [rng.uniform(0.3, 30) * 3600] + [rng.uniform(1, 72) * 3600 for _ in steps[2:]]
        room = (now - received) * 0.95
        if sum(gaps) > room:
            gaps = [gap * room / sum(gaps) for gap in gaps]
        times = [received]
        for gap in gaps[: len(steps) - 1]:
            times.append(times[-1] + gap)
        receiver = served if served else (rng.choice(waiters[outlet]) if outlet else rng.choice(managers))
        assignee = rng.choice(managers) if "assigned" in steps else None
        text = {"department": DEPARTMENT[category] if assignee else "", "cause": "", "remedy": "",
                "guest_reaction": "", "summary": ""}  # fmt: skip
        if "proposed" in steps:
            text |= {"cause": "当班人员疏忽。", "remedy": "致电道歉，下次到店赠送果盘。"}
        if "reaction" in steps:
            text["guest_reaction"] = rng.choice(("客人表示理解。", "客人接受道歉。", "客人仍不满意。"))
        if final == "closed":
            text["summary"] = "已处理完毕，纳入班前会案例。"
        complaints.append("\t".join((
            str(complaint_id), category, rng.choices(("low", "medium", "high"), (30, 50, 20))[0],
            rng.choice(COMPLAINT_TEXT[category]), _stamp(received), _stamp(received + 86_400),
            _stamp(times[1]) if len(times) > 1 else null, final, text["department"], text["cause"], text["remedy"],
            text["guest_reaction"], text["summary"], _stamp(times[-1]) if final == "closed" else null,
            str(assignee) if assignee else null, str(guest_id), outlet or null, str(receiver),
            str(visit_id) if visit_id else null,
        )))  # fmt: skip
        for i, (status, at_step) in enumerate(zip(steps, times, strict=True)):
            event_id += 1
            actor = receiver if i == 0 else (assignee if status in ("proposed", "carried_out", "reaction") else
                                             rng.choice(managers))  # fmt: skip
            events.append("\t".join((
                str(event_id), "record" if i == 0 else ACTION[status], "" if i == 0 else steps[i - 1], status,
                _stamp(at_step), "经核实，投诉不成立。" if status == "rejected" else "", str(actor), str(complaint_id),
            )))  # fmt: skip
    raw = cursor.cursor
    raw.copy_expert(f"COPY visits_complaint ({', '.join(COMPLAINT_COLUMNS)}) FROM STDIN",
                    io.StringIO("\n".join(complaints) + "\n"))  # fmt: skip
    raw.copy_expert(f"COPY visits_complaintevent ({', '.join(EVENT_COLUMNS)}) FROM STDIN",
                    io.StringIO("\n".join(events) + "\n"))  # fmt: skip
    log(f"  copied {len(complaints):,} complaints and {len(events):,} steps")
    return len(complaints), len(events)


def ensure_guest_history(cursor, *, heavy: int, log) -> None:
    """A creation record per guest, as guest_create leaves one, and 30 changes for the heavy guest.

    COPY-seeded guests have no history rows; the profile shows a manager the latest changes.
    Idempotent: only guests without any history row get one.
    """
    from guests.models import Guest
    from staff.models import User

    hidden = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}
    columns = [f.column for f in Guest.history.model._meta.concrete_fields if f.name not in hidden]
    listed = ", ".join(columns)
    started = time.perf_counter()
    cursor.execute(
        f"INSERT INTO guests_historicalguest ({listed}, history_date, history_type) "
        f"SELECT {listed}, created_at, '+' FROM guests_guest g "
        f"WHERE NOT EXISTS (SELECT 1 FROM guests_historicalguest h WHERE h.id = g.id)"
    )
    created = cursor.rowcount
    cursor.execute("SELECT count(*) FROM guests_historicalguest WHERE id = %s", [heavy])
    changes = 0
    if cursor.fetchone()[0] < 2:
        manager = User.objects.get(username=MANAGER_USERNAME).pk
        noted = [c if c != "notes" else "'第' || n || '次更新：偏好已核对'" for c in columns]
        cursor.execute(
            f"INSERT INTO guests_historicalguest ({listed}, history_date, history_type, history_user_id) "
            f"SELECT {', '.join(noted)}, created_at + (now() - created_at) * n / 31, '~', %s "
            f"FROM guests_guest, generate_series(1, 30) n WHERE id = %s",
            [manager, heavy],
        )
        changes = cursor.rowcount
    if created or changes:
        cursor.execute("ANALYZE guests_historicalguest")
        log(f"  guest history: {created:,} creation records, {changes} changes of the heavy guest "
            f"({time.perf_counter() - started:.1f} s)")  # fmt: skip


# --------------------------------------------------------------------------- timing


@dataclass(eq=False)
class Row:
    group: str  # "profile", "visits" or "complaints"
    label: str
    path: str
    draw: object  # rng -> query parameters
    target: float
    times: list = field(default_factory=list)
    cpu: list = field(default_factory=list)  # process_time of each request: less disturbed by other work
    params: list = field(default_factory=list)
    matches: list = field(default_factory=list)
    queries: int = 0
    sql_ms: float = 0.0
    total_ms: float = 0.0
    top_rerun_ms: float = 0.0
    top_sql: tuple = (0.0, "", {})


def manager_client():
    from django.test import Client

    from staff.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=MANAGER_USERNAME), backend="staff.backends.CachedPermissionBackend")
    return client


def build_rows(cursor, *, heavy: int, seed: int) -> list[Row]:
    from django.urls import reverse
    from django.utils import timezone

    from staff.models import Outlet, User
    from visits.models import Complaint, MealPeriod

    cursor.execute(
        "SELECT (SELECT count(*) FROM visits_visit WHERE guest_id = %(g)s) "
        "+ (SELECT count(*) FROM visits_complaint WHERE guest_id = %(g)s) "
        "+ (SELECT count(*) FROM followups_followup WHERE guest_id = %(g)s AND completed_at IS NOT NULL)",
        {"g": heavy},
    )
    entries = cursor.fetchone()[0]
    last_page = max(1, math.ceil(entries / 10))
    rng = random.Random(seed)
    cursor.execute("SELECT max(id) FROM guests_guest")
    top = cursor.fetchone()[0]
    cursor.execute(
        "SELECT id FROM guests_guest WHERE id = ANY(%s) AND last_visit_at IS NOT NULL AND id <> %s",
        [rng.sample(range(1, top + 1), min(top, 1000)), heavy],
    )
    typical = [r[0] for r in cursor.fetchall()]
    outlets = list(Outlet.objects.filter(name__in=[o.name for o in OUTLETS]).values_list("pk", flat=True))
    waiters = list(User.objects.filter(username__startswith="bench_waiter_").values_list("pk", flat=True))
    today = timezone.localdate()
    days = YEARS * 365

    def month(r):  # a random 30-day window within the archive
        end = today - datetime.timedelta(days=r.randrange(0, days - 30))
        return {"date_from": (end - datetime.timedelta(days=29)).isoformat(), "date_to": end.isoformat()}

    def spend(r):
        low = r.choice((500, 1000, 2000, 5000))
        return {"spend_min": low, "spend_max": low * r.choice((2, 3, 5))}

    def meal_tier(r):
        return {"meal_period": r.choice(MealPeriod.values), "tier": r.choice("ABC")}

    everything = {"date_from": ""}  # an emptied date field: every date
    # The list pages by cursor (crm.paging.page_keyset): page 100 of all dates is the link that
    # follows the last visit of page 99, as the list itself writes it.
    from crm.paging import keyset_cursor
    from visits.views import VISIT_LIST_CURSOR_SALT, VISIT_LIST_PER_PAGE

    cursor.execute("SELECT visited_at, id FROM visits_visit ORDER BY visited_at DESC, id DESC OFFSET %s LIMIT 1",
                   [99 * VISIT_LIST_PER_PAGE - 1])  # fmt: skip
    deep = {"cursor": keyset_cursor(cursor.fetchone(), salt=VISIT_LIST_CURSOR_SALT)}
    profile, visits, complaints = (reverse("guests:profile", args=[heavy]), reverse("visits:list"),
                                   reverse("visits:complaints"))  # fmt: skip
    statuses = [Complaint.Status.RECEIVED, Complaint.Status.ACCEPTED, Complaint.Status.ASSIGNED,
                Complaint.Status.CLOSED]  # fmt: skip
    p, lst = TARGET_PROFILE_MS, TARGET_LIST_MS
    return [
        Row("profile", f"2,000-visit guest, timeline page 1 of {last_page}", profile, lambda r: {}, p),
        Row("profile", "2,000-visit guest, timeline page 2", profile, lambda r: {"page": 2}, p),
        Row("profile", f"2,000-visit guest, last page ({last_page})", profile, lambda r: {"page": last_page}, p),
        Row("profile", "typical guest with visits", "", lambda r: {"_guest": r.choice(typical)}, p),
        Row("visits", "no filter (default: last 30 days)", visits, lambda r: {}, lst),
        Row("visits", "no filter, all dates (date emptied)", visits, lambda r: dict(everything), lst),
        Row("visits", "30-day range, random month", visits, month, lst),
        Row("visits", "outlet + 30-day range", visits, lambda r: {"outlet": r.choice(outlets)} | month(r), lst),
        Row("visits", "meal period + tier (last 30 days)", visits, meal_tier, lst),
        Row("visits", "meal period + tier, all dates", visits, lambda r: meal_tier(r) | everything, lst),
        Row("visits", "spend range (last 30 days)", visits, spend, lst),
        Row("visits", "spend range, all dates", visits, lambda r: spend(r) | everything, lst),
        Row("visits", "staff (last 30 days)", visits, lambda r: {"served_by": r.choice(waiters)}, lst),
        Row("visits", "staff, all dates", visits, lambda r: {"served_by": r.choice(waiters)} | everything, lst),
        Row("visits", "all dates, page 100", visits, lambda r: everything | deep, lst),
        Row("complaints", "no filter", complaints, lambda r: {}, lst),
        Row("complaints", "overdue", complaints, lambda r: {"overdue": "on"}, lst),
        Row("complaints", "status + category", complaints,
            lambda r: {"status": r.choice(statuses), "category": r.choice(Complaint.Category.values)}, lst),
        Row("complaints", "outlet", complaints, lambda r: {"outlet": r.choice(outlets)}, lst),
    ]  # fmt: skip


def _url(row: Row, params: dict) -> str:
    from django.urls import reverse

    params = dict(params)
    path = reverse("guests:profile", args=[params.pop("_guest")]) if "_guest" in params else row.path
    return f"{path}?{urlencode(params)}" if params else path


TOTALS = re.compile(r'data-testid="totals">\s*<div>[^<]*<strong>([^<]+)</strong>')


def time_row(row: Row, client, samples: int, seed: int) -> None:
    rng = random.Random(f"{seed}-{row.label}")
    for params in [row.draw(rng) for _ in range(2)]:  # untimed: bytecode, plans, buffers
        client.get(_url(row, params))
    for _ in range(samples):
        params = row.draw(rng)
        url = _url(row, params)
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered HTTP {response.status_code}")
        row.times.append(elapsed)
        row.cpu.append(cpu)
        row.params.append(params)
        if row.group == "visits" and len(row.matches) < 10:
            found = TOTALS.search(response.content.decode())
            row.matches.append(int(re.sub(r"\D", "", found.group(1))) if found else -1)


def capture(row: Row, client, params: dict) -> list[dict]:
    """The SQL statements of one request, with their times."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(_url(row, params))
    return captured.captured_queries


def complaint_matches(row: Row) -> None:
    from django.http import QueryDict

    from visits.filters import ComplaintFilter
    from visits.models import Complaint

    for params in row.params[:10]:
        filterset = ComplaintFilter(QueryDict(urlencode(params)), queryset=Complaint.objects.all())
        row.matches.append(filterset.qs.count() if filterset.is_valid() else -1)


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(r[0] for r in cursor.fetchall())


def report(rows: list[Row], log) -> list[Row]:
    header = (f"{'page':<11} {'case':<40} {'n':>3} {'matches':>9}  {'median':>6} {'p95 ms':>6} {'CPU med':>7}  "
              f"{'stmts':>5} {'request':>7} {'SQL':>5} {'top SQL':>7}  target")  # fmt: skip
    log(header)
    log("-" * len(header))
    misses = []
    for row in rows:
        p95 = ms(row.times, 0.95)
        met = p95 <= row.target
        if not met:
            misses.append(row)
        matches = f"{statistics.median(row.matches):,.0f}" if row.matches else "-"
        log(f"{row.group:<11} {row.label:<40} {len(row.times):>3} {matches:>9}  {ms(row.times, 0.5):>6.1f} "
            f"{p95:>6.1f} {ms(row.cpu, 0.5):>7.1f}  {row.queries:>5} {row.total_ms:>7.1f} {row.sql_ms:>5.1f} {row.top_sql[0]:>7.1f}  "
            f"<= {row.target:.0f} ms {'met' if met else 'MISSED'}")  # fmt: skip
    return misses


def measure(rows: list[Row], client, args, log) -> list[Row]:
    """Time every case, count and time the SQL of its slowest request, print the table and the plans."""
    for row in rows:
        time_row(row, client, args.samples, args.seed)
        slowest = max(range(len(row.times)), key=row.times.__getitem__)
        started = time.perf_counter()
        captured = capture(row, client, row.params[slowest])
        row.total_ms = (time.perf_counter() - started) * 1000
        row.queries = len(captured)
        row.sql_ms = sum(float(q["time"]) for q in captured) * 1000
        top = max(captured, key=lambda q: float(q["time"]))
        row.top_sql = (float(top["time"]) * 1000, top["sql"], row.params[slowest])
        row.top_rerun_ms = rerun_ms(top["sql"])
        if row.group == "complaints":
            complaint_matches(row)
    misses = report(rows, log)
    log("")
    log("n = timed requests; matches = median visits/complaints the filter finds (first 10 requests; the visits")
    log("list counts at most 2,000: 2,000 reads 'more than 2,000', the whole archive the planner's estimate). The")
    log("last four columns replay the slowest request once with its SQL captured: statements, the request's time,")
    log("the time of all its SQL and of its slowest statement; request - SQL = Python (ORM, forms, template).")
    log("CPU med = median CPU time of this process per request (time.process_time: Python's own work, which")
    log("other processes on the machine disturb less than the wall-clock figures; PostgreSQL's work is not in it).")
    log("'last 30 days' = no date in the request, so the list applies its default window; 'all dates' sends an")
    log("emptied date field (date_from=), which asks for the whole archive.")
    for row in rows:
        if row not in misses and not args.explain:
            continue
        elapsed, sql, params = row.top_sql
        log("")
        where = f"{row.group}: {row.label}, slowest request {_url(row, params)}"
        if elapsed < row.target / 10 and not args.explain:
            log(f"Not SQL-bound — {where}: {row.total_ms:.0f} ms, of which SQL {row.sql_ms:.0f} ms in "
                f"{row.queries} statements, the slowest {elapsed:.1f} ms; the rest is Python.")  # fmt: skip
            continue
        log(f"EXPLAIN (ANALYZE, BUFFERS) — {where}; its slowest statement took {elapsed:.1f} ms:")
        log(f"  {_short(sql)}")
        log(explain(sql) if sql.lstrip("( ").upper().startswith("SELECT") else "  (not a SELECT; not explained)")
    return misses


def rerun_ms(sql: str, times: int = 5) -> float:
    """Median time of a statement run again on a cursor: the same SQL before and after a change."""
    from django.db import connection

    if not sql.lstrip("( ").upper().startswith("SELECT"):
        return float("nan")
    elapsed = []
    with connection.cursor() as cursor:
        for _ in range(times):
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            elapsed.append(time.perf_counter() - started)
    return statistics.median(elapsed) * 1000


def _short(sql: str) -> str:
    """The statement with a long column list folded, so the WHERE stays readable."""
    head, sep, tail = sql.partition(" FROM ")
    if sep and len(head) > 200:
        head = f"SELECT {{{head.count(', ') + 1} columns}}"
    return (head + sep + tail)[:2000]


# Covering indexes the visits list's totals, its filters and the profile's figures could use:
# with every column the query reads in the index, PostgreSQL answers from the index alone (an
# index-only scan), without visiting the table's rows. The recent and the spend ones of issue 17
# are migrated (visits/0008: visit_recent_idx, visit_spend_idx) and left this list.
WHAT_IF_INDEXES = (
    ("bench_whatif_visit_outlet", "(outlet_id, visited_at DESC) INCLUDE (id, spend, party_size)",
     "instead of visit_outlet_recent_idx"),
    ("bench_whatif_visit_staff", "(served_by_id, visited_at DESC) INCLUDE (id, spend, party_size)",
     "instead of the served_by foreign key's index"),
)  # fmt: skip


def drop_what_if(cursor) -> None:
    for name, _columns, _why in WHAT_IF_INDEXES:
        cursor.execute(f"DROP INDEX IF EXISTS {name}")


def what_if(client, args, heavy: int, before: list[Row], log) -> None:
    """Create WHAT_IF_INDEXES, time every case again, drop them: the bench database stays as migrated."""
    from django.db import connection

    log("")
    log("What if: the same cases with these indexes added (dropped again afterwards):")
    try:
        with connection.cursor() as cursor:
            drop_what_if(cursor)
            started = time.perf_counter()
            for name, columns, why in WHAT_IF_INDEXES:
                cursor.execute(f"CREATE INDEX {name} ON visits_visit {columns}")
                cursor.execute("SELECT pg_size_pretty(pg_relation_size(%s::regclass))", [name])
                log(f"  CREATE INDEX {name} ON visits_visit {columns};  -- {cursor.fetchone()[0]}, {why}")
            cursor.execute("VACUUM (ANALYZE) visits_visit")  # index-only scans need the visibility map
            log(f"  ({time.perf_counter() - started:.0f} s to build; VACUUM ANALYZE visits_visit)")
            rows = [row for row in build_rows(cursor, heavy=heavy, seed=args.seed) if args.only in (None, row.group)]
        log("")
        measure(rows, client, args, log)
        log("")
        log("As migrated -> with the indexes: page p95, and the slowest statement of the as-migrated run's slowest")
        log("request run again on a cursor (median of 5), the same SQL both times:")
        for old, new in zip(before, rows, strict=True):
            log(f"  {old.group:<11} {old.label:<40} p95 {ms(old.times, 0.95):>6.1f} -> {ms(new.times, 0.95):>6.1f} ms"
                f"   statement {old.top_rerun_ms:>6.1f} -> {rerun_ms(old.top_sql[1]):>6.1f} ms")  # fmt: skip
    finally:
        with connection.cursor() as cursor:
            drop_what_if(cursor)


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visits", type=int, default=1_000_000, help="visits to seed (default %(default)s)")
    parser.add_argument("--guests", type=int, default=100_000, help="guests to seed (default %(default)s)")
    parser.add_argument("--reset", action="store_true", help="reseed the visits even if the archive matches")
    parser.add_argument("--samples", type=int, default=40, help="timed requests per case (default %(default)s)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--explain", action="store_true", help="print the plan of every case, not only misses")
    parser.add_argument("--seed-only", action="store_true", help="seed (or check) and stop")
    parser.add_argument("--only", choices=("profile", "visits", "complaints"),
                        help="time only this page's cases (the saved results get its name)")  # fmt: skip
    parser.add_argument("--what-if", action="store_true",
                        help="then time every case again with the covering indexes of WHAT_IF_INDEXES (dropped after)")  # fmt: skip
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="the bench database (its name must contain 'bench'); default %(default)s",
    )  # fmt: skip
    return parser.parse_args(argv)


def setup(database_url: str, log) -> None:
    """Django on the bench database with the page-rendering production settings; static manifest collected."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    configure(database_url)
    ensure_database(database_url, log)
    import django

    django.setup()
    logging.getLogger("axes").setLevel(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    try:  # incremental: a second or two when little changed
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call_command("collectstatic", interactive=False, verbosity=0)
    except Exception as exc:  # the pages timed here may not need the file that failed
        if not manifest.exists():
            raise
        log(f"collectstatic failed ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
            f"using the manifest of an earlier run.")  # fmt: skip


def main(argv=None) -> int:
    args = parse_args(argv)
    if "bench" not in urlsplit(args.database_url).path:
        sys.exit("Refusing to run: the database name must contain 'bench' (the seed truncates the visits).")
    log = Tee()
    setup(args.database_url, log)
    from django.db import connection

    from bench import seed as guest_seed
    from guests.models import Guest

    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        drop_what_if(cursor)  # left over by an interrupted --what-if run
    started = time.perf_counter()
    existing = Guest.objects.count()
    reseeded_guests = existing != args.guests
    if reseeded_guests:
        log(f"Seeding {args.guests:,} guests (found {existing:,}) into {name} ...")
        guest_seed.seed(connection=connection, count=args.guests, seed=args.seed, log=log)
    else:
        log(f"Reusing the {existing:,} guests already in {name}.")
    with connection.cursor() as cursor:
        state = seeded_state(cursor)
    matches = (state["visits"] == args.visits and state["heavy_visits"] == HEAVY_VISITS and state["complaints"]
               and state["companions"])  # fmt: skip
    if args.reset or reseeded_guests or not matches:
        log(f"Seeding {args.visits:,} visits (found {state['visits']:,}, heavy guest {state['heavy_visits']:,}) ...")
        seed_visits(connection=connection, visits=args.visits, seed=args.seed, log=log)
        log(f"Seed total (guests and visits): {time.perf_counter() - started:.0f} s.")
    else:
        log(f"Reusing the {state['visits']:,} visits and {state['complaints']:,} complaints (--reset to reseed).")
    with connection.cursor() as cursor:
        state = seeded_state(cursor)
        ensure_guest_history(cursor, heavy=state["heavy"], log=log)
        cursor.execute(
            "SELECT count(*) FILTER (WHERE visited_at >= now() - interval '30 days'), "
            "count(DISTINCT guest_id), max(visited_at) FROM visits_visit"
        )
        recent, visitors, newest = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM visits_complaint WHERE status = 'received' AND due_at < now()")
        overdue = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('visits_visit'))")
        size = cursor.fetchone()[0]
    log(f"Archive: {Guest.objects.count():,} guests, {state['visits']:,} visits ({size} with indexes) by "
        f"{visitors:,} guests, {recent:,} in the last 30 days (newest {newest:%Y-%m-%d %H:%M}); "
        f"{state['complaints']:,} complaints, {overdue:,} overdue; guest {state['heavy']} has "
        f"{state['heavy_visits']:,} visits.")  # fmt: skip
    if args.seed_only:
        return 0

    from django.conf import settings

    client = manager_client()
    with connection.cursor() as cursor:
        # Other benches (the review, load_visits) leave guest pages that autovacuum, set to start at 2 % of
        # them changed (visits/0011), would have marked by now; the list's tier filter reads the guests'
        # tiers from an index alone only on marked pages.
        started = time.perf_counter()
        cursor.execute("VACUUM (ANALYZE) guests_guest")
        log(f"VACUUM (ANALYZE) guests_guest: {time.perf_counter() - started:.1f} s")
        rows = [row for row in build_rows(cursor, heavy=state["heavy"], seed=args.seed)
                if args.only in (None, row.group)]  # fmt: skip
    log("")
    log(f"Page latency through django.test.Client as {MANAGER_USERNAME} (group manager), settings "
        f"{settings.SETTINGS_MODULE}, {args.samples} requests per case, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    log(f"Targets: profile p95 <= {TARGET_PROFILE_MS:.0f} ms, list pages p95 <= {TARGET_LIST_MS:.0f} ms.")
    log("")
    misses = measure(rows, client, args, log)  # the exit status is about the schema as migrated
    if args.what_if:
        what_if(client, args, state["heavy"], rows, log)
    log("")
    log(f"Load average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores; other work on the machine "
        f"shows in the figures).")  # fmt: skip
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    only = f"-{args.only}" if args.only else ""
    out = results / f"visits-{args.guests}-{args.visits}{only}{'-what-if' if args.what_if else ''}.txt"
    out.write_text("\n".join(log.lines) + "\n", encoding="utf-8")
    print(f"\nSaved to {out.relative_to(ROOT)}.")
    return 0 if not misses else 1


if __name__ == "__main__":
    sys.exit(main())

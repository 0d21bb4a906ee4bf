"""Synthetic corpora for `make bench`: volunteers, groups and issues in realistic Japanese, written fast.

Everything comes from the reference vocabulary (data/skills.json, districts.json, fields.json, the phrases of
data/synonyms.txt) and sentence templates, with a fixed seed: the same size gives the same corpus. Profiles are
written with bulk INSERTs (Core executemany, explicit ids), never one ORM object at a time; the few hundred
issues go through load-json's own code path.
"""

from __future__ import annotations

import json
import random
import re
from datetime import date, timedelta

from sqlalchemy import insert, select

from kyodo_match.extensions import db
from kyodo_match.models import (
    SLOTS,
    ActivityField,
    CivicGroup,
    District,
    Qualification,
    Skill,
    User,
    UserRole,
    VolunteerProfile,
)
from kyodo_match.models.people import (
    group_district,
    group_field,
    group_skill,
    volunteer_district,
    volunteer_field,
    volunteer_skill,
)
from kyodo_match.reference.services import load_data
from kyodo_match.search.analysis import SYNONYMS_FILE

SEED = 20240605
FAMILY = ("佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 清水 山崎 "
          "森 池田 橋本 阿部 石川 後藤 長谷川 近藤 村上 遠藤 青木 坂本 藤井 西村 福田 太田 三浦 岡本 松田 中川").split()
GIVEN = "翔太 陽菜 蓮 結衣 大翔 美咲 悠真 葵 健一 由美子 正樹 恵子 博 和子 誠 洋子 隆 幸子 浩二 久美子 大輔 真由美 " \
        "直樹 明美 拓也 裕子 一郎 花子 勇気 さくら 健太 愛 雅人 香織 亮 千尋 修 節子 茂 典子".split()
QUALIFICATIONS = ["普通自動車免許", "防災士", "介護職員初任者研修修了", "保育士", "看護師", "調理師", "社会福祉士",
                  "手話奉仕員養成講座修了", "日本語教育能力検定試験合格", "ITパスポート", "MOS Excel", "簿記2級",
                  "普通救命講習修了", "小学校教諭一種免許", "管理栄養士", "英検準1級", "書道師範", "ヘルパー2級",
                  "森林インストラクター", "フォークリフト運転技能講習修了", "アマチュア無線技士", "茶道裏千家中級"]
LIFE = ["定年退職して時間ができました。", "子育て中の30代です。",
        "{district}に住んで{n}年になる会社員です。", "パートで働いています。",
        "共働きで、休日を中心に活動したいと思っています。", "自営業なので、時間の融通がききます。",
        "大学で福祉を学んでいる学生です。", "退職後、地域のために何かしたいと思い登録しました。",
        "二人の子どもを育てています。", "農家をしています。",
        "市内の病院に勤めています。", "{district}の自治会の役員です。",
        "孫の世話が一段落しました。", "在宅で仕事をしています。"]
ACTIVITY = ["{p}の経験があります。", "{p}が得意です。", "以前、仕事で{p}をしていました。", "{p}ならお手伝いできます。",
            "{p}に関心があります。", "週末は{p}の活動をしています。", "{p}を長く続けています。", "特技は{p}です。",
            "地域で{p}に取り組んできました。", "{p}を教えたこともあります。"]
HOBBY = ["趣味は釣りと将棋です。", "読書が好きです。", "料理番組をよく見ます。", "毎朝散歩をしています。",
         "旅行が好きです。", "家庭菜園を少しやっています。", "写真を見るのが好きです。", "野球観戦が楽しみです。"]
CLOSING = ["日程が合えば参加します。", "気軽に声をかけてください。",
           "初めての活動でも頑張ります。", "仲間づくりもしたいです。",
           "できることから始めたいです。", "平日の昼間なら動けます。",
           ""]
GROUP_KIND = [("NPO法人", "NPO法人 {d}{w}ネットワーク"), ("ボランティア団体", "{d}{w}の会"),
              ("自治会", "{d}第{n}自治会"), ("老人クラブ", "{d}長寿会"), ("PTA", "{d}小学校PTA"),
              ("企業", "株式会社{f}{w}"), ("ボランティア団体", "{w}サークル{d}")]
GROUP_LINES = ["{d}を拠点に活動する{t}です。", "会員は{n}名です。",
               "月に一度、{p}の活動を行っています。", "{p}に力を入れています。",
               "{p}のできる会員がいます。", "活動範囲は{ds}です。",
               "新しいメンバーも募集しています。", "協働できる事業があればお声がけください。",
               "活動の見学も歓迎します。"]
ISSUE_TITLES = ["{p}のボランティア募集　{d}地区", "{d}地域委員会の{p}サポーター", "{p}を担う団体を募集",
                "{p}と{q}のお手伝い", "市内全域での{p}協力者募集", "{d}で{p}をしてくださる方"]
ISSUE_LINES = ["{d}地区では、{p}の担い手が不足しています。", "{p}の経験がある方、または{q}に関心のある方を募集します。",
               "{when}の活動です。", "初めての方にも担当者が説明します。", "募集数は{n}名程度です。",
               "地域の方と一緒に{p}を行っていただきます。", "道具はこちらで用意します。"]
WHEN = {"am": "午前中", "pm": "午後", "ev": "夜"}
DAY = {"mon": "月曜日", "tue": "火曜日", "wed": "水曜日", "thu": "木曜日", "fri": "金曜日", "sat": "土曜日",
       "sun": "日曜日"}


def vocabulary() -> dict:
    """The reference vocabulary: skills (names), districts, field codes, activity phrases (nouns of synonyms.txt)."""
    skills = [s["name"] for c in load_data("skills.json")["categories"] for s in c["skills"]]
    districts = [c["name"] for c in load_data("districts.json")["committees"]]
    fields = [f["code"] for f in load_data("fields.json")["fields"]]
    departments = [d["name"] for d in load_data("departments.json")["departments"]]
    phrases = []
    for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
        if not line or line[0] in "#~!" or ":" not in line:
            continue
        _head, _, rest = line.partition(":")
        for p in re.split(r"[,、]", rest):
            p = p.strip()
            # Whole nouns only (a phrase ending in kana is often a verb stem: 見守っ, 声をかけて回).
            if len(p) >= 2 and not re.search(r"[\u3041-\u3093]$", p) and not p.isascii():
                phrases.append(p)
    return {"skills": skills, "districts": districts, "fields": fields, "phrases": sorted(set(phrases)),
            "departments": departments}


def _slots(rng: random.Random, lo: int, hi: int) -> list[str]:
    return sorted(rng.sample(SLOTS, rng.randint(lo, hi)), key=SLOTS.index)


def volunteer_record(rng: random.Random, voc: dict, n: int) -> dict:
    home = rng.choice(voc["districts"])
    acts = [rng.choice(voc["phrases"]) for _ in range(rng.randint(1, 3))]
    bio = [rng.choice(LIFE).format(district=home, n=rng.randint(2, 40))]
    bio += [rng.choice(ACTIVITY).format(p=p) for p in acts]
    if rng.random() < 0.5:
        bio.append(rng.choice(HOBBY))
    bio.append(rng.choice(CLOSING))
    skills = list(dict.fromkeys(rng.sample(voc["skills"], rng.randint(0, 3))
                                + rng.sample(voc["phrases"], rng.randint(0, 2))))
    return {
        "key": f"bv-{n:06d}", "name": f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}", "email": f"bv{n:06d}@example.jp",
        "district": home, "activity_districts": list(dict.fromkeys([home, *rng.sample(voc["districts"],
                                                                                       rng.randint(0, 2))])),
        "skills": skills, "qualifications": rng.sample(QUALIFICATIONS, rng.choice([0, 0, 1, 1, 2])),
        "interests": rng.sample(voc["fields"], rng.randint(1, 3)), "availability": _slots(rng, 1, 8),
        "bio": "".join(bio), "public_card": rng.random() < 0.5,
        "expired": rng.random() < 0.05,  # a lapsed registration (never suggested)
    }


def group_record(rng: random.Random, voc: dict, n: int) -> dict:
    home = rng.choice(voc["districts"])
    areas = list(dict.fromkeys([home, *rng.sample(voc["districts"], rng.randint(0, 3))]))
    gtype, pattern = rng.choice(GROUP_KIND)
    word = rng.choice(voc["phrases"])
    acts = [word] + [rng.choice(voc["phrases"]) for _ in range(rng.randint(0, 2))]
    lines = [GROUP_LINES[0].format(d=home, t=gtype), GROUP_LINES[1].format(n=rng.randint(5, 120))]
    lines += [rng.choice(GROUP_LINES[2:5]).format(p=p) for p in acts]
    if len(areas) > 1:
        lines.append(GROUP_LINES[5].format(ds="・".join(areas)))
    lines.append(rng.choice(GROUP_LINES[6:]))
    return {
        "key": f"bg-{n:06d}", "name": pattern.format(d=home, w=word, n=rng.randint(1, 9), f=rng.choice(FAMILY))[:100],
        "group_type": gtype, "districts": areas, "skills": rng.sample(voc["skills"], rng.randint(1, 3)),
        "interests": rng.sample(voc["fields"], rng.randint(1, 2)), "availability": _slots(rng, 1, 6),
        "description": "".join(lines), "verified": rng.random() < 0.9,
    }


def issue_record(rng: random.Random, voc: dict, n: int) -> dict:
    p, q = rng.sample(voc["phrases"], 2)
    districts = [] if rng.random() < 0.2 else rng.sample(voc["districts"], rng.choice([1, 1, 1, 2]))
    d = districts[0] if districts else "市内"
    schedule = _slots(rng, 1, 3)
    day, _, part = schedule[0].partition("_")
    lines = [ISSUE_LINES[0].format(d=d, p=p), ISSUE_LINES[1].format(p=p, q=q),
             ISSUE_LINES[2].format(when=DAY[day] + "の" + WHEN[part]), rng.choice(ISSUE_LINES[3:]).format(
                 n=rng.randint(1, 10), p=q)]
    accepts = rng.choice([["individual", "group"], ["individual", "group"], ["individual"], ["group"]])
    return {
        "key": f"bi-{n:04d}", "title": rng.choice(ISSUE_TITLES).format(p=p, q=q, d=d)[:120],
        "description": "".join(lines), "department": rng.choice(voc["departments"]),
        "field": rng.choice(voc["fields"]), "districts": districts,
        "skills": list(dict.fromkeys([p, *rng.sample(voc["skills"], rng.randint(0, 2))])), "schedule": schedule,
        "needed": rng.randint(1, 5), "accepts": accepts,
    }


def _chunks(rows: list[dict], size: int = 5000):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _bulk(table, rows: list[dict]) -> None:
    for chunk in _chunks(rows):
        db.session.execute(insert(table), chunk)


def write_profiles(n_profiles: int, *, group_share: float = 0.1, seed: int = SEED,
                   today: date | None = None) -> dict[str, int]:
    """Bulk-insert ``n_profiles`` profiles (about ``group_share`` of them groups). Reference data must exist."""
    today = today or date.today()
    rng = random.Random(seed)
    voc = vocabulary()
    district_ids = {d.name: d.id for d in db.session.scalars(select(District))}
    skill_ids = {s.name: s.id for s in db.session.scalars(select(Skill))}
    field_codes = set(db.session.scalars(select(ActivityField.code)))
    n_groups = int(n_profiles * group_share)
    n_vol = n_profiles - n_groups
    first_user = (db.session.scalar(select(db.func.max(User.id))) or 0) + 1
    first_group = (db.session.scalar(select(db.func.max(CivicGroup.id))) or 0) + 1
    users, roles, profiles, quals, links = [], [], [], [], {"vd": [], "vs": [], "vf": [], "gd": [], "gs": [], "gf": []}
    for n in range(n_vol):
        rec = volunteer_record(rng, voc, n)
        uid = first_user + n
        users.append({"id": uid, "email": rec["email"], "display_name": rec["name"], "password_hash": None})
        roles.append({"user_id": uid, "role": "volunteer"})
        known = [s for s in rec["skills"] if s in skill_ids]
        profiles.append({
            "user_id": uid, "external_key": rec["key"], "real_name": rec["name"], "contact_email": rec["email"],
            "home_district_id": district_ids[rec["district"]], "free_tags": [s for s in rec["skills"]
                                                                            if s not in skill_ids],
            "availability": rec["availability"], "bio": rec["bio"], "public_card": rec["public_card"],
            "expires_on": today - timedelta(days=10) if rec["expired"] else today + timedelta(days=700)})
        quals += [{"user_id": uid, "name": q} for q in rec["qualifications"]]
        links["vd"] += [{"user_id": uid, "district_id": district_ids[d]} for d in rec["activity_districts"]]
        links["vs"] += [{"user_id": uid, "skill_id": skill_ids[s]} for s in known]
        links["vf"] += [{"user_id": uid, "field_code": f} for f in rec["interests"] if f in field_codes]
    groups = []
    for n in range(n_groups):
        rec = group_record(rng, voc, n)
        gid = first_group + n
        groups.append({"id": gid, "external_key": rec["key"], "name": rec["name"], "group_type": "volunteer",
                       "status": "verified" if rec["verified"] else "pending", "description": rec["description"],
                       "availability": rec["availability"]})
        links["gd"] += [{"group_id": gid, "district_id": district_ids[d]} for d in rec["districts"]]
        links["gs"] += [{"group_id": gid, "skill_id": skill_ids[s]} for s in rec["skills"] if s in skill_ids]
        links["gf"] += [{"group_id": gid, "field_code": f} for f in rec["interests"] if f in field_codes]
    _bulk(User.__table__, users)
    _bulk(UserRole.__table__, roles)
    _bulk(VolunteerProfile.__table__, profiles)
    _bulk(Qualification.__table__, quals)
    _bulk(CivicGroup.__table__, groups)
    for name, table in (("vd", volunteer_district), ("vs", volunteer_skill), ("vf", volunteer_field),
                        ("gd", group_district), ("gs", group_skill), ("gf", group_field)):
        _bulk(table, links[name])
    db.session.commit()
    return {"volunteers": n_vol, "groups": n_groups}


def issue_records(n_issues: int, *, seed: int = SEED) -> list[dict]:
    rng = random.Random(seed + 1)
    voc = vocabulary()
    return [issue_record(rng, voc, n) for n in range(n_issues)]


if __name__ == "__main__":  # a look at the generated text
    rng, voc = random.Random(SEED), vocabulary()
    print(json.dumps([volunteer_record(rng, voc, 0), group_record(rng, voc, 0), issue_record(rng, voc, 0)],
                     ensure_ascii=False, indent=1))

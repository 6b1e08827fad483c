"""The demo county 青溪县 (fictional; code 610799): regions, service points, departments, windows,
staff on A/B posts for every role at every level, and a few applicants. Idempotent: every object
is looked up by its natural key first, so a second run changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from onewindow.accounts import services as accounts
from onewindow.accounts.choices import ApplicantKind, Role, UserKind
from onewindow.accounts.models import Absence, Post, User
from onewindow.audit.services import audit_record
from onewindow.core.identifiers import USCC_CHARSET, credit_code_check_char, id_number_check_char
from onewindow.org import services as org
from onewindow.org.choices import RegionLevel, ServicePointKind, WindowKind
from onewindow.org.models import Department, Region, ServicePoint, Window

DEMO_PASSWORD = "Qingxi@2026"  # noqa: S105 - published demo credential, demo data only
COUNTY_CODE = "610799000000"
HOURS = "周一至周五 8:30–12:00、14:00–17:30；周六上午延时服务"

TOWNS = [  # code, name, pinyin, villages
    ("610799001000", "城关街道", "chengguan", ["人民路社区", "文化路社区", "北关社区"]),
    ("610799002000", "东城街道", "dongcheng", ["东关社区", "新华社区", "河东村"]),
    ("610799101000", "青石镇", "qingshi", ["青石村", "石桥村", "王家坪村"]),
    ("610799102000", "柳湾镇", "liuwan", ["柳湾村", "杨家庄村", "马河村"]),
    ("610799103000", "白河镇", "baihe", ["白河村", "高坎村", "双庙村"]),
]

DEPARTMENTS = [  # code, name, short name, pinyin
    ("XZSP", "青溪县行政审批服务局", "审批局", "spj"),
    ("SCJG", "青溪县市场监督管理局", "市场监管", "scjg"),
    ("GA", "青溪县公安局", "公安", "ga"),
    ("SW", "国家税务总局青溪县税务局", "税务", "sw"),
    ("RS", "青溪县人力资源和社会保障局", "人社", "rs"),
    ("YB", "青溪县医疗保障局", "医保", "yb"),
    ("MZ", "青溪县民政局", "民政", "mz"),
    ("ZR", "青溪县自然资源局", "自然资源", "zr"),
    ("ZJ", "青溪县住房和城乡建设局", "住建", "zj"),
    ("FG", "青溪县发展和改革局", "发改", "fg"),
    ("HB", "青溪县生态环境分局", "生态环境", "hb"),
    ("WJ", "青溪县卫生健康局", "卫健", "wj"),
    ("JT", "青溪县交通运输局", "交通", "jt"),
    ("WL", "青溪县文化和旅游局", "文旅", "wl"),
    ("JY", "青溪县教育局", "教育", "jy"),
    ("XF", "青溪县消防救援大队", "消防", "xf"),
    ("CL", "青溪县残疾人联合会", "残联", "cl"),
    ("GJJ", "青溪县住房公积金管理中心", "公积金", "gjj"),
    ("CG", "青溪县城市管理综合执法局", "城管", "cg"),
    ("SL", "青溪县水利局", "水利", "sl"),
    ("NY", "青溪县农业农村局", "农业农村", "ny"),
    ("LY", "青溪县林业局", "林业", "ly"),
    ("YJ", "青溪县应急管理局", "应急", "yj"),
]

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
_GIVEN = [
    "建国",
    "秀英",
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "晓燕",
    "文博",
    "思远",
    "雨桐",
    "子涵",
    "浩然",
    "欣怡",
    "宇航",
    "梓萱",
    "嘉怡",
    "俊杰",
    "佳琪",
    "志强",
    "海燕",
    "红梅",
    "国庆",
    "春梅",
    "立新",
    "晓东",
    "玉兰",
    "建华",
    "丽娟",
    "卫东",
    "小红",
    "永红",
    "海涛",
]


def demo_name(n: int) -> str:
    """A distinct name for each n below len(_SURNAMES) * len(_GIVEN)."""
    return _SURNAMES[n % len(_SURNAMES)] + _GIVEN[(n + n // len(_SURNAMES)) % len(_GIVEN)]


def demo_id_number(n: int, *, born: dt.date, female: bool) -> str:
    seq = 100 + (n * 2 % 800)
    seq = seq + (0 if (seq % 2 == 0) == female else 1)
    first17 = f"610799{born:%Y%m%d}{seq:03d}"
    return first17 + id_number_check_char(first17)


def demo_credit_code(n: int, *, kind: str = "91") -> str:
    """A valid code registered in the county: 91 a company, 92 an individual business."""
    org_code = "".join(USCC_CHARSET[(n * 13 + i * 7) % 31] for i in range(9))
    first17 = f"{kind}610799{org_code}"
    return first17 + credit_code_check_char(first17)


@dataclass
class Login:
    username: str
    name: str
    what: str


class DemoBuilder:
    def __init__(self, *, history: bool = True) -> None:
        self.created = 0
        # a year of cases replayed through the services (the test suite leaves it out: tests
        # make the cases they need, and a live-server test reloads the county after it)
        self.history = history
        self._password = make_password(DEMO_PASSWORD)
        self.logins: list[Login] = []

    # -- helpers -----------------------------------------------------------------------------
    def region(self, code: str, name: str, level: str, parent: Region | None) -> Region:
        existing = Region.objects.filter(code=code).first()
        if existing:
            return existing
        self.created += 1
        return org.region_create(actor=None, code=code, name=name, level=level, parent=parent)

    def point(self, region: Region, name: str, kind: str, address: str, phone: str) -> ServicePoint:
        existing = ServicePoint.objects.filter(region=region, name=name).first()
        if existing:
            return existing
        self.created += 1
        return org.service_point_create(
            actor=None,
            region=region,
            name=name,
            kind=kind,
            address=address,
            phone=phone,
            hours=HOURS,
        )

    def window(
        self,
        point: ServicePoint,
        number: str,
        name: str,
        kind: str,
        department: Department | None = None,
    ) -> Window:
        existing = Window.objects.filter(service_point=point, number=number).first()
        if existing:
            return existing
        self.created += 1
        return org.window_create(
            actor=None,
            service_point=point,
            number=number,
            name=name,
            kind=kind,
            department=department,
        )

    def staff(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user:
            return user
        n = User.objects.filter(kind=UserKind.STAFF).count() * 37 + 5
        self.created += 1
        with transaction.atomic():
            user = User.objects.create(
                username=username,
                name=demo_name(n),
                kind=UserKind.STAFF,
                phone=f"139{n * 7919 % 100000000:08d}",
                password=self._password,
            )
            audit_record(
                action="accounts.staff.create",
                obj=user,
                summary=f"演示数据：新增工作人员 {user.name}（{username}）",
            )
        return user

    def post(
        self,
        name: str,
        role: str,
        region: Region,
        a: str,
        b: str,
        department: Department | None = None,
        window: Window | None = None,
    ) -> Post:
        existing = Post.objects.filter(name=name, region=region).first()
        if existing:
            return existing
        self.created += 1
        return accounts.post_create(
            actor=None,
            name=name,
            role=role,
            region=region,
            holder_a=self.staff(a),
            holder_b=self.staff(b),
            department=department,
            window=window,
        )

    # -- the county -----------------------------------------------------------------------------
    def steps(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "县级区划与中心", self.build_county
        yield "部门与窗口", self.build_departments
        yield "乡镇与村（社区）", self.build_towns
        yield "县级岗位（AB岗）", self.build_county_posts
        yield "申请人", self.build_applicants
        yield "离岗示例", self.build_absence
        yield "事项清单", self.build_catalogue
        yield "下沉与窗口授权", self.build_grants
        if self.history:
            yield "一年办件记录", self.build_case_history
            yield "好差评与差评整改", self.build_evaluations
            yield "民情直通车诉求", self.build_appeals
        yield "电子监察预警规则与巡查", self.build_supervision
        yield "Open311 演示客户端", self.build_open311
        yield "登录账号", self.collect_logins

    def build_county(self) -> None:
        self.county = self.region(COUNTY_CODE, "青溪县", RegionLevel.COUNTY, None)
        self.centre = self.point(
            self.county,
            "青溪县政务服务中心",
            ServicePointKind.CENTRE,
            "青溪县城关街道人民路 88 号",
            "0916-5412345",
        )
        for i in range(1, 9):
            self.window(self.centre, f"{i:02d}", f"综合受理窗口 {i:02d}", WindowKind.COMPREHENSIVE)
        self.window(self.centre, "R1", "统一出件窗口", WindowKind.RESULT)
        self.window(self.centre, "R2", "办不成事反映窗口", WindowKind.COMPREHENSIVE)

    def build_departments(self) -> None:
        self.departments: dict[str, Department] = {}
        for i, (code, name, short, _py) in enumerate(DEPARTMENTS, start=1):
            department = Department.objects.filter(code=f"610799-{code}").first()
            if department is None:
                self.created += 1
                department = org.department_create(
                    actor=None,
                    region=self.county,
                    code=f"610799-{code}",
                    name=name,
                    short_name=short,
                    phone=f"0916-54{i:05d}"[:13],
                )
            self.departments[code] = department
            self.window(self.centre, f"D{i:02d}", f"{short}专窗", WindowKind.DEPARTMENT, department)

    def build_towns(self) -> None:
        for code, name, py, villages in TOWNS:
            town = self.region(code, name, RegionLevel.TOWN, self.county)
            point = self.point(
                town,
                f"{name}便民服务中心",
                ServicePointKind.TOWN_CENTRE,
                f"青溪县{name}政府一楼",
                f"0916-54{code[6:9]}00",
            )
            w1 = self.window(point, "01", "综合受理窗口 01", WindowKind.COMPREHENSIVE)
            self.window(point, "02", "综合受理窗口 02", WindowKind.COMPREHENSIVE)
            self.post(f"{name}综窗受理岗", Role.ACCEPTOR, town, f"{py}_sl1", f"{py}_sl2", window=w1)
            self.post(f"{name}审批岗", Role.APPROVER, town, f"{py}_sp1", f"{py}_sl2")
            self.post(f"{name}负责人岗", Role.DEPT_HEAD, town, f"{py}_fzr", f"{py}_sp1")
            self.post(f"{name}导办岗", Role.GUIDE, town, f"{py}_db1", f"{py}_sl1")
            self.post(f"{name}代办岗", Role.AGENT, town, f"{py}_dai1", f"{py}_db1")
            for j, village_name in enumerate(villages, start=1):
                vcode = code[:9] + f"{j:03d}"
                village = self.region(vcode, village_name, RegionLevel.VILLAGE, town)
                room = self.point(
                    village,
                    f"{village_name}便民服务站",
                    ServicePointKind.VILLAGE_ROOM,
                    f"青溪县{name}{village_name}村（居）委会",
                    "",
                )
                vw = self.window(room, "01", "便民服务窗口", WindowKind.COMPREHENSIVE)
                self.post(
                    f"{village_name}代办岗",
                    Role.AGENT,
                    village,
                    f"{py}{j}_daiban",
                    f"{py}_dai1",
                    window=vw,
                )
                self.post(
                    f"{village_name}受理岗",
                    Role.ACCEPTOR,
                    village,
                    f"{py}{j}_shouli",
                    f"{py}{j}_daiban",
                    window=vw,
                )

    def build_county_posts(self) -> None:
        county = self.county
        comprehensive = {w.number: w for w in self.centre.windows.all()}
        for i in range(1, 9):
            self.post(
                f"综窗 {i:02d} 受理岗",
                Role.ACCEPTOR,
                county,
                f"zc{i:02d}",
                f"zc{i % 8 + 1:02d}",
                window=comprehensive[f"{i:02d}"],
            )
        self.post(
            "统一出件岗", Role.ACCEPTOR, county, "chujian1", "chujian2", window=comprehensive["R1"]
        )
        self.post("中心导办岗", Role.GUIDE, county, "daoban1", "daoban2")
        self.post("中心代办岗（项目领办）", Role.AGENT, county, "daiban1", "daiban2")
        self.post("中心电子监察岗", Role.SUPERVISOR, county, "jiancha", "jiancha_b")
        self.post("系统管理员岗", Role.SYSADMIN, county, "xitong", "xitong_b")
        # a second system administrator on duty: a catalogue draft is reviewed and published by
        # someone other than its author (four eyes)
        self.post("系统管理员岗（二）", Role.SYSADMIN, county, "xitong_b", "xitong")
        self.post("安全管理员岗", Role.SECADMIN, county, "anquan", "anquan_b")
        self.post("审计管理员岗", Role.AUDITADMIN, county, "shenji", "shenji_b")
        for i, (code, _name, short, py) in enumerate(DEPARTMENTS, start=1):
            department = self.departments[code]
            window = comprehensive[f"D{i:02d}"]
            self.post(
                f"{short}专窗受理岗",
                Role.ACCEPTOR,
                county,
                f"{py}_ck1",
                f"{py}_ck2",
                department=department,
                window=window,
            )
            self.post(
                f"{short}审批岗",
                Role.APPROVER,
                county,
                f"{py}_sp1",
                f"{py}_sp2",
                department=department,
            )
            self.post(
                f"{short}负责人岗",
                Role.DEPT_HEAD,
                county,
                f"{py}_fzr",
                f"{py}_sp1",
                department=department,
            )

    def build_applicants(self) -> None:
        people = [
            ("李秀英", dt.date(1985, 3, 12), True, "13900000001"),
            ("王建国", dt.date(1962, 10, 1), False, "13900000002"),
            ("张伟", dt.date(1990, 7, 23), False, "13900000003"),
            ("刘芳", dt.date(1995, 12, 5), True, "13900000004"),
            ("陈强", dt.date(1978, 5, 30), False, "13900000005"),
        ]
        for n, (name, born, female, phone) in enumerate(people, start=1):
            if User.objects.filter(kind=UserKind.APPLICANT, phone=phone).exists():
                continue
            self.created += 1
            accounts.applicant_register(
                kind=ApplicantKind.PERSON,
                name=name,
                phone=phone,
                password=DEMO_PASSWORD,
                id_number=demo_id_number(n, born=born, female=female),
            )
        companies = [
            ("青溪县绿源农业科技有限公司", "赵海涛", "13900000011", "91"),
            ("青溪县好味道餐饮店", "孙丽娟", "13900000012", "92"),
            ("陕西青石建设工程有限公司", "周建华", "13900000013", "91"),
        ]
        for n, (name, rep, phone, code_kind) in enumerate(companies, start=1):
            if User.objects.filter(kind=UserKind.APPLICANT, phone=phone).exists():
                continue
            self.created += 1
            accounts.applicant_register(
                kind=ApplicantKind.LEGAL,
                name=name,
                phone=phone,
                password=DEMO_PASSWORD,
                credit_code=demo_credit_code(n, kind=code_kind),
                legal_representative=rep,
            )

    def build_absence(self) -> None:
        absent = User.objects.get(username="scjg_sp1")
        if Absence.objects.filter(user=absent).exists():
            return
        self.created += 1
        head = User.objects.get(username="scjg_fzr")
        accounts.absence_start(actor=head, user=absent, reason="外出参加省级业务培训")

    def build_catalogue(self) -> None:
        """Every demo item published (version 1), with a blank form for each material flagged
        有空白表格 whose kind `demo_forms` knows, then the bundles. Items already published are
        left alone, so a second run changes nothing."""
        from onewindow.catalogue import services as catalogue
        from onewindow.catalogue.demo_forms import attach_forms
        from onewindow.catalogue.demo_items import BUNDLES, ITEMS
        from onewindow.catalogue.models import Bundle, Item

        county = Region.objects.get(code=COUNTY_CODE)
        done = set(Item.objects.filter(published__isnull=False).values_list("code", flat=True))
        for raw in ITEMS:
            if raw["code"] in done:
                continue
            data = dict(raw)
            data["department"] = f"610799-{raw['department']}"
            data["co_departments"] = [f"610799-{c}" for c in raw.get("co_departments", [])]
            self.created += 1
            draft = catalogue.item_draft_from_data(data=data, region=county, actor=None)
            attach_forms(draft)
            catalogue.version_review(version=draft, actor=None)
            catalogue.version_publish(version=draft, actor=None)
        for bundle in BUNDLES:
            if not Bundle.objects.filter(code=bundle["code"]).exists():
                self.created += 1
                catalogue.bundle_save(data=bundle, actor=None)

    # items a county typically devolves to its towns (便民服务中心), and the ones a village room
    # takes in as 代办 for the town: (code, letter, scope in towns, scope in villages or None)
    DEVOLVED = [
        ("005011003000", "青人社发〔2025〕8号", "受理、制卡申请、发卡（全流程）", None),
        (
            "005011004000",
            "青人社发〔2025〕8号",
            "受理、审核、登记（全流程）",
            "代办：收件、初审，转乡镇登记",
        ),
        ("005011005000", "青人社发〔2025〕8号", "受理、审核、登记（全流程）", None),
        (
            "006011001000",
            "青医保发〔2025〕3号",
            "受理、参保登记（全流程）",
            "代办：收件、代为参保登记",
        ),
        (
            "007002003000",
            "青民发〔2025〕5号",
            "受理、入户调查、初审（审核确认由县民政局作出）",
            "代办：政策解释、收件，转乡镇受理",
        ),
        ("007002005000", "青民发〔2025〕5号", "受理、审核、小额临时救助审批", None),
        (
            "017011001000",
            "青残联发〔2025〕2号",
            "受理、初审（评残、发证由县残联办理）",
            "代办：收件、转交",
        ),
        ("002001002000", "青市监发〔2025〕11号", "个体工商户设立登记（全流程，含核发执照）", None),
    ]
    VILLAGE_TOWNS = ("610799101000", "610799102000")  # 青石镇、柳湾镇: villages take 代办

    def build_case_history(self) -> None:
        from onewindow.cases.demo import build_history

        self.created += build_history()

    def build_evaluations(self) -> None:
        """Ratings of the year's finished cases and rectification tasks (onewindow.evaluation)."""
        from onewindow.evaluation.demo import build_ratings

        self.created += build_ratings()

    def build_appeals(self) -> None:
        """A few dozen 民情直通车 appeals over recent working days (onewindow.appeals)."""
        from onewindow.appeals.demo import build_appeals

        self.created += build_appeals()

    def build_open311(self) -> None:
        """The Open311 client whose api_key is demo-open311-key, and the service attributes."""
        from onewindow.open311.demo import build_open311

        self.created += build_open311()

    def build_supervision(self) -> None:
        """The default escalation ladder (again after a test flush emptied it) and, with the
        year of history, one sweep so that the supervision board and its notices show it."""
        from onewindow.cases import clock
        from onewindow.supervision.models import Sweep
        from onewindow.supervision.services import escalation_ladder_seed, supervise

        self.created += escalation_ladder_seed()
        if self.history and not Sweep.objects.filter(day=clock.today()).exists():
            self.created += supervise(run_by="demo").alerts

    def build_grants(self) -> None:
        """Devolution letters to the towns (and 代办 in the villages of two towns), and window
        authorisations: each department's 专窗 accepts and approves its department's items, the
        county's comprehensive windows accept every county item, a town's or village's windows
        accept what was devolved to it. Existing grants (even revoked ones) are left alone."""
        from onewindow.catalogue import grants
        from onewindow.catalogue.models import Devolution, Item, WindowAuthorisation

        items = {
            i.code: i
            for i in Item.objects.filter(published__isnull=False).select_related(
                "published", "department", "region"
            )
        }
        heads = {
            p.department_id: p.holder_a.name
            for p in Post.objects.filter(
                role=Role.DEPT_HEAD, department__isnull=False
            ).select_related("holder_a")
        }
        devolved = set(Devolution.objects.values_list("item__code", "region__code"))
        granted_on = dt.date(2025, 1, 6)
        for code, letter, town_scope, village_scope in self.DEVOLVED:
            item = items.get(code)
            if item is None or item.published is None:
                continue
            seal = f"{item.department.name}行政审批专用章"
            responsible = heads.get(item.department_id, "")
            for town_code, _name, _py, _villages in TOWNS:
                town = Region.objects.get(code=town_code)
                targets = [(town, town_scope, "town")]
                if village_scope and town_code in self.VILLAGE_TOWNS:
                    targets += [
                        (v, village_scope, "village") for v in town.children.order_by("code")
                    ]
                for region, scope, level in targets:
                    if (code, region.code) in devolved or level not in item.published.levels:
                        continue
                    self.created += 1
                    grants.devolution_grant(
                        actor=None,
                        item=item,
                        region=region,
                        letter_no=letter,
                        scope=scope,
                        seal=seal,
                        responsible=responsible or f"{region.name}负责人",
                        granted_on=granted_on,
                    )
        existing = set(WindowAuthorisation.objects.values_list("window_id", "item_id"))

        def authorise(window: Window, item: Item, powers: list[str], letter: str) -> None:
            if (window.pk, item.pk) in existing:
                return
            self.created += 1
            grants.window_authorise(
                actor=None,
                window=window,
                item=item,
                powers=powers,
                letter_no=letter,
                seal=f"{item.department.name}行政审批专用章",
                responsible=heads.get(item.department_id) or "",
                granted_on=granted_on,
            )
            existing.add((window.pk, item.pk))

        county_items = [i for i in items.values() if i.published and "county" in i.published.levels]
        centre = ServicePoint.objects.get(region__code=COUNTY_CODE, kind=ServicePointKind.CENTRE)
        for window in centre.windows.filter(active=True).order_by("number"):
            if window.kind == WindowKind.DEPARTMENT:
                for item in county_items:
                    if item.department_id == window.department_id:
                        authorise(window, item, ["accept", "approve"], "青政务授〔2025〕1号")
            elif window.kind == WindowKind.COMPREHENSIVE and window.number.isdigit():
                for item in county_items:
                    authorise(window, item, ["accept"], "青政务授〔2025〕2号")
        for devolution in Devolution.objects.filter(recalled_on__isnull=True).select_related(
            "item__department", "item__published", "region"
        ):
            for window in Window.objects.filter(
                service_point__region=devolution.region,
                kind=WindowKind.COMPREHENSIVE,
                active=True,
            ):
                authorise(window, devolution.item, ["accept"], "青政务授〔2025〕3号")

    def collect_logins(self) -> None:
        wanted = [
            ("zc01", "综窗 01 受理员（县中心，全县）"),
            ("scjg_sp2", "市场监管审批员（B 岗，A 岗离岗中，正在顶岗）"),
            ("scjg_fzr", "市场监管负责人（可登记离岗/返岗）"),
            ("chengguan_sl1", "城关街道受理员（只看本街道）"),
            ("qingshi1_daiban", "青石村代办员（只看本村）"),
            ("jiancha", "中心电子监察（全县）"),
            ("xitong", "系统管理员（需动态验证码）"),
            ("anquan", "安全管理员（需动态验证码）"),
            ("shenji", "审计管理员（需动态验证码）"),
        ]
        self.logins = [Login(u, str(User.objects.get(username=u)), what) for u, what in wanted]
        self.logins.append(Login("13900000001", "李秀英", "申请人（手机号登录）"))

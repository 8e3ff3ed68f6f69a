"""The pages' languages: Chinese (``zh-CN``, the default) and English.

Every string a page shows goes through ``Words.t(key, **values)``, which looks the key
up in the catalogue of the page's language (``CATALOGUE``, one dict per language) and
fills in ``{name}`` placeholders. Numbers and dates are formatted by Babel for the
language's locale; money stays ``Decimal`` (built from the reads' 2-decimal strings)
and is shown with two decimals. The language comes from ``?lang=`` (which the page
then keeps in the ``lang`` cookie), else that cookie, else the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from scripts.web.i18n_workflows import WORKFLOW_WORDS

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"
LANG_COOKIE = "lang"
_LOCALES = {"zh-CN": "zh_Hans_CN", "en": "en_GB"}

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "app": "RM ledger",
        "lang.other": "中文",
        "nav.pay": "My pay",
        "nav.branch": "Branch",
        "nav.month": "Month",
        "nav.audit": "Audit",
        "signed_in_as": "Signed in as {user} ({role})",
        "role.manager": "manager",
        "role.branch_head": "branch head",
        "role.performance_office": "performance office",
        "role.auditor": "auditor",
        "role.admin": "admin",
        "login.title": "Sign in",
        "login.username": "Username",
        "login.password": "Password",
        "login.submit": "Sign in",
        "login.failed": "Wrong username or password.",
        "logout": "Sign out",
        "download.csv": "Download CSV",
        "download.xlsx": "Download Excel",
        "none": "None.",
        "show": "Show",
        "error.title": "Error {status}",
        "error.403": "You may not see this page.",
        "error.404": "Not found.",
        "error.422": "A value is not right.",
        "error.csrf": "The form has expired or did not come from this site. Reload the page and try again.",
        "home.admin": "An admin manages users and roles with the rmledger users commands; there are no pay pages for this role.",
        "pay.title": "Pay of {manager} ({name})",
        "pay.months": "Months",
        "pay.chart": "Total pay by month",
        "pay.explain": "Explanation",
        "pay.history": "History",
        "col.period": "Month",
        "col.grade": "Grade",
        "col.issued_total": "Issued total",
        "col.restated_total": "Restated total",
        "col.difference": "Difference",
        "col.performance_paid": "Performance paid",
        "col.weighted_profit": "Weighted profit",
        "col.responsibility_profit": "Responsibility profit",
        "col.total": "Total",
        "col.manager": "Manager",
        "col.name": "Name",
        "col.branch": "Branch",
        "col.status": "Status",
        "col.client": "Client",
        "col.client_name": "Client name",
        "col.id_number": "ID number",
        "col.role": "Role",
        "col.since": "Since",
        "col.tier": "Tier",
        "col.level": "Maintenance",
        "col.aum": "AUM",
        "col.date": "Date",
        "col.kind": "Kind",
        "col.ref": "Reference",
        "col.category": "Category",
        "col.class": "Class",
        "col.stock_or_new": "Stock/new",
        "col.share": "Share",
        "col.age": "Age (years)",
        "col.weight": "Weight",
        "col.amount": "Amount",
        "col.handover": "Handover",
        "col.from": "From",
        "col.to": "To",
        "col.opened": "Opened",
        "col.lacks": "Still lacks",
        "col.drop": "Drop",
        "col.started": "Started",
        "col.statements": "Statements",
        "col.user": "User",
        "col.action": "Action",
        "col.target": "Target",
        "col.outcome": "Outcome",
        "col.reason": "Reason",
        "col.when": "When",
        "col.position": "Position",
        "col.facts": "Facts",
        "explain.title": "Explanation of {manager}'s pay for {period}",
        "explain.lines": "Postings and charges",
        "explain.steps": "Arithmetic",
        "explain.issued": "Issued total {issued}; restated on today's data {restated}.",
        "branch.title": "Branch {branch}",
        "branch.managers": "Managers and their pay for {period}",
        "branch.books": "Books",
        "branch.handovers": "Handovers in progress",
        "branch.tiers": "Client tiers on {day}",
        "branch.alerts": "Alerts on {day}",
        "branch.outflows": "Large outflows",
        "branch.grade_fit": "Grade-fit mismatches",
        "lacks.sub_branch_lead": "sub-branch lead's approval",
        "lacks.wealth_centre_head": "wealth centre head's approval",
        "lacks.record": "signed handover record",
        "lacks.filing": "filing",
        "month.title": "Statements of {period}",
        "month.by_branch": "Totals per branch",
        "month.distribution": "Distribution of total pay",
        "month.statements": "Every statement",
        "month.count": "{count} statements",
        "audit.title": "Audit",
        "audit.history": "A manager's history",
        "audit.known_at": "Known at",
        "audit.effective_on": "Effective on",
        "audit.at_position": "At log position",
        "audit.departure": "Departure audit",
        "audit.sql": "SQL console (read-only)",
        "audit.run": "Run",
        "audit.verification": "Verification of the event log",
        "audit.verify": "Verify now",
        "audit.verified": "The event log verifies: no findings.",
        "audit.findings": "The event log has findings.",
        "audit.access_log": "Access log (newest first)",
        "audit.status_on": "Status: {status}; grade: {grade}; log position {position}.",
    },
    "zh-CN": {
        "app": "客户经理台账",
        "lang.other": "English",
        "nav.pay": "我的薪酬",
        "nav.branch": "支行",
        "nav.month": "月度",
        "nav.audit": "审计",
        "signed_in_as": "已登录：{user}（{role}）",
        "role.manager": "客户经理",
        "role.branch_head": "支行行长",
        "role.performance_office": "绩效办公室",
        "role.auditor": "审计员",
        "role.admin": "管理员",
        "login.title": "登录",
        "login.username": "用户名",
        "login.password": "密码",
        "login.submit": "登录",
        "login.failed": "用户名或密码错误。",
        "logout": "退出",
        "download.csv": "下载 CSV",
        "download.xlsx": "下载 Excel",
        "none": "无。",
        "show": "查看",
        "error.title": "错误 {status}",
        "error.403": "您无权查看此页面。",
        "error.404": "未找到。",
        "error.422": "参数有误。",
        "error.csrf": "表单已过期或并非来自本站。请刷新页面后重试。",
        "home.admin": "管理员通过 rmledger users 命令管理用户和角色；此角色没有薪酬页面。",
        "pay.title": "{manager}（{name}）的薪酬",
        "pay.months": "各月",
        "pay.chart": "各月薪酬合计",
        "pay.explain": "明细说明",
        "pay.history": "历史",
        "col.period": "月份",
        "col.grade": "职级",
        "col.issued_total": "已发放合计",
        "col.restated_total": "重算合计",
        "col.difference": "差额",
        "col.performance_paid": "绩效实发",
        "col.weighted_profit": "加权利润",
        "col.responsibility_profit": "责任利润",
        "col.total": "合计",
        "col.manager": "客户经理",
        "col.name": "姓名",
        "col.branch": "支行",
        "col.status": "状态",
        "col.client": "客户",
        "col.client_name": "客户名称",
        "col.id_number": "证件号",
        "col.role": "角色",
        "col.since": "起始日",
        "col.tier": "层级",
        "col.level": "维护级别",
        "col.aum": "资产规模",
        "col.date": "日期",
        "col.kind": "类型",
        "col.ref": "编号",
        "col.category": "科目",
        "col.class": "类别",
        "col.stock_or_new": "存量/增量",
        "col.share": "份额",
        "col.age": "账龄（年）",
        "col.weight": "权重",
        "col.amount": "金额",
        "col.handover": "移交",
        "col.from": "移出",
        "col.to": "接收",
        "col.opened": "发起日",
        "col.lacks": "尚缺",
        "col.drop": "降幅",
        "col.started": "开始日",
        "col.statements": "账单数",
        "col.user": "用户",
        "col.action": "操作",
        "col.target": "对象",
        "col.outcome": "结果",
        "col.reason": "原因",
        "col.when": "时间",
        "col.position": "日志位置",
        "col.facts": "事实",
        "explain.title": "{manager} {period} 薪酬明细说明",
        "explain.lines": "入账与计提",
        "explain.steps": "计算过程",
        "explain.issued": "已发放合计 {issued}；按今日数据重算 {restated}。",
        "branch.title": "支行 {branch}",
        "branch.managers": "客户经理及 {period} 薪酬",
        "branch.books": "名下客户",
        "branch.handovers": "进行中的移交",
        "branch.tiers": "{day} 客户层级",
        "branch.alerts": "{day} 预警",
        "branch.outflows": "大额资金流出",
        "branch.grade_fit": "职级与客户不匹配",
        "lacks.sub_branch_lead": "分支负责人审批",
        "lacks.wealth_centre_head": "财富中心负责人审批",
        "lacks.record": "签署移交记录",
        "lacks.filing": "归档",
        "month.title": "{period} 薪酬账单",
        "month.by_branch": "各支行合计",
        "month.distribution": "薪酬合计分布",
        "month.statements": "全部账单",
        "month.count": "共 {count} 份账单",
        "audit.title": "审计",
        "audit.history": "客户经理历史",
        "audit.known_at": "知悉时点",
        "audit.effective_on": "生效日",
        "audit.at_position": "日志位置",
        "audit.departure": "离职审计",
        "audit.sql": "SQL 控制台（只读）",
        "audit.run": "执行",
        "audit.verification": "事件日志校验",
        "audit.verify": "立即校验",
        "audit.verified": "事件日志校验通过：无异常。",
        "audit.findings": "事件日志存在异常。",
        "audit.access_log": "访问日志（最新在前）",
        "audit.status_on": "状态：{status}；职级：{grade}；日志位置 {position}。",
    },
}

for _lang, _words in WORKFLOW_WORDS.items():
    CATALOGUE[_lang].update(_words)


def pick_language(query: str | None, cookie: str | None) -> str:
    """The page's language: ``?lang=`` when it names one, else the cookie's, else zh-CN."""
    for wanted in (query, cookie):
        if wanted in LANGUAGES:
            return wanted  # type: ignore[return-value]
    return DEFAULT


@dataclass(frozen=True)
class Words:
    """The strings and formats of one language, handed to every template."""

    lang: str

    def t(self, key: str, **values: Any) -> str:
        """The catalogue's text for ``key``, ``{name}`` filled from ``values``."""
        return CATALOGUE[self.lang][key].format(**values)

    @property
    def other(self) -> str:
        """The language the switch link leads to."""
        return "en" if self.lang == "zh-CN" else "zh-CN"

    def money(self, value: str | Decimal | None) -> str:
        """Money (a 2-decimal string or a Decimal) grouped for the locale, two decimals."""
        if value is None or value == "":
            return ""
        return format_decimal(Decimal(value), format="#,##0.00", locale=_LOCALES[self.lang])

    def number(self, value: str | Decimal | int | None) -> str:
        """A count or a ratio as the locale writes numbers."""
        if value is None or value == "":
            return ""
        return format_decimal(Decimal(value), locale=_LOCALES[self.lang])

    def day(self, value: str | date | None) -> str:
        """A date as the locale writes it (medium length)."""
        if value is None or value == "":
            return ""
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        return format_date(day, "medium", locale=_LOCALES[self.lang])

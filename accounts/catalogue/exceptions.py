"""Errors of the vehicle catalogue and their messages (tests assert these)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.exceptions import AccountsError


class CatalogueError(AccountsError):
    """What a caller named is not in the catalogue (``fields`` says which field)."""


# --- naming a car (vehicles, pickers) --------------------------------------------------------------
UNKNOWN_BRAND = _("车型库中没有这个品牌，请从品牌列表中选择。")
UNKNOWN_SERIES = _("车型库中没有这个车系，请先选择品牌，再从车系列表中选择。")
UNKNOWN_SERIES_OF_BRAND = _("该品牌下没有这个车系，请从车系列表中选择。")
AMBIGUOUS_SERIES = _("多个品牌都有这个车系，请同时选择品牌。")
UNKNOWN_MODEL = _("车型库中没有这个车型，请从车型列表中选择。")
MODEL_NOT_OF_SERIES = _("所选车型不属于该车系。")
MODEL_NOT_OF_BRAND = _("所选车型不属于该品牌。")
BRAND_REQUIRED = _("请选择品牌。")
SERIES_REQUIRED = _("请选择车系。")

# --- the spreadsheet (one row per model) ------------------------------------------------------------
MISSING_COLUMNS = _("表格缺少必需的列：%(columns)s。第一行应为表头（可用中文：品牌、车系、车型……）。")
BRAND_NAME_REQUIRED = _("请填写品牌名称。")
BRAND_CODE_REQUIRED = _("新品牌需要填写品牌代码（小写字母、数字或连字符，例如 vw）。")
BRAND_CODE_INVALID = _("品牌代码只能包含小写字母、数字、连字符或下划线。")
BRAND_NAME_TAKEN = _("已有同名品牌（代码 %(code)s），请填写该代码。")
INITIAL_REQUIRED = _("新品牌需要填写首字母（A–Z）或拼音。")
INITIAL_INVALID = _("首字母应为一个字母 A–Z。")
PINYIN_INVALID = _("拼音只能包含字母。")
GROUP_BRAND_INVALID = _("集团品牌请填写“是”或“否”。")
SERIES_CODE_INVALID = _("车系代码只能包含小写字母、数字、连字符或下划线。")
SERIES_CODE_OF_OTHER_BRAND = _("车系代码 %(code)s 已属于其他品牌。")
SERIES_NAME_TAKEN = _("该品牌已有同名车系（代码 %(code)s）。")
SERIES_REQUIRED_FOR_MODEL = _("填写车型时必须填写车系。")
MODEL_FIELD_REQUIRED = _("请填写%(field)s。")
YEAR_INVALID = _("年款应为 1980 到 2100 之间的年份，例如 2025。")
SEATS_INVALID = _("座位数应为 1 到 9 的整数。")
BODY_TYPE_INVALID = _("车身类型应为：%(choices)s。")
ENERGY_TYPE_INVALID = _("能源类型应为：%(choices)s。")
DISPLACEMENT_INVALID = _("排量应为大于 0、小于 10 的升数，例如 1.5。")
BATTERY_INVALID = _("电池容量应为大于 0、小于 300 的千瓦时数，例如 60.5。")
PRICE_INVALID = _("指导价应为大于 0 的金额（元），例如 129900 或 12.99万。")
DISPLACEMENT_REQUIRED = _("%(energy)s车型需要填写排量。")
BATTERY_REQUIRED = _("%(energy)s车型需要填写电池容量。")
DISPLACEMENT_NOT_FOR_ELECTRIC = _("纯电动车型不填排量。")
BATTERY_NOT_FOR_PETROL = _("汽油车型不填电池容量。")
CONFLICTS_WITH_LINE = _("与第 %(line)s 行的%(field)s不一致。")
DUPLICATE_MODEL = _("与第 %(line)s 行是同一车型（车系、年款、车型名称相同）。")

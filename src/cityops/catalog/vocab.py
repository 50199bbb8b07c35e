"""Controlled values of the core metadata (编制指南 6.2) with their Chinese labels and DCAT-AP mappings."""

from __future__ import annotations

from cityops.catalog.models import ComponentStatus, EntryState, OpenType, RequestState, ShareType

SHARE_LABELS = {ShareType.unconditional: "无条件共享", ShareType.conditional: "有条件共享", ShareType.none: "不予共享"}
OPEN_LABELS = {OpenType.open: "无条件开放", OpenType.conditional: "有条件开放", OpenType.closed: "不予开放"}
STATE_LABELS = {EntryState.draft: "草稿", EntryState.published: "已发布", EntryState.withdrawn: "已撤回"}
REQUEST_LABELS = {
    RequestState.submitted: "待答复",
    RequestState.approved: "已同意",
    RequestState.approved_with_conditions: "有条件同意",
    RequestState.refused: "不予同意",
    RequestState.withdrawn: "已撤销",
}
COMPONENT_STATUS_LABELS = {
    ComponentStatus.pending: "待审核",
    ComponentStatus.listed: "上架",
    ComponentStatus.delisted: "下架",
    ComponentStatus.rejected: "审核未通过",
}
COMPONENT_KINDS = {
    "data_service": "数据服务",
    "algorithm": "算法",
    "ai_model": "AI+模型",
    "map_service": "地图服务",
    "notification": "消息通知",
    "identity": "身份认证",
    "other": "其他",
}
FORMAT_CLASSES = ("电子文件", "电子表格", "数据库", "图形图像", "流媒体", "自描述格式", "其他")
ITEM_TYPES = ("字符", "数值", "日期", "日期时间", "布尔", "二进制")
# 更新周期 -> EU frequency authority (dct:accrualPeriodicity)
UPDATE_CYCLES = {
    "实时": "CONT",
    "每日": "DAILY",
    "每周": "WEEKLY",
    "每月": "MONTHLY",
    "每季度": "QUARTERLY",
    "每半年": "ANNUAL_2",
    "每年": "ANNUAL",
    "不定期": "IRREG",
}
# 开放属性 -> EU access-right authority (dct:accessRights)
ACCESS_RIGHTS = {OpenType.open: "PUBLIC", OpenType.conditional: "RESTRICTED", OpenType.closed: "NON_PUBLIC"}
FREQUENCY_BASE = "http://publications.europa.eu/resource/authority/frequency/"
ACCESS_RIGHT_BASE = "http://publications.europa.eu/resource/authority/access-right/"

# Import sheets and forms speak Chinese; these map the labels back to stored values.
SHARE_BY_LABEL = {v: k for k, v in SHARE_LABELS.items()}
OPEN_BY_LABEL = {v: k for k, v in OPEN_LABELS.items()}

"""Input limits as msgspec constraints, one definition each.

Annotating an input Struct's field with one of these makes the API refuse a longer text or
an out-of-range number with 422 naming the field, and publishes the limit in the OpenAPI
schema. Text limits match the storage columns (storage/tables.py); free-text columns are
TEXT and get a limit people can read on one screen.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

MAX_ID = 2**31 - 1  # ids are INTEGER columns

Id = Annotated[int, Meta(ge=1, le=MAX_ID, description="记录编号（正整数）")]
RegionId = Annotated[str, Meta(min_length=1, max_length=40, description="地区标识，如 changji")]
AreaCode = Annotated[
    str, Meta(min_length=1, max_length=12, description="区划代码（GB/T 2260 及其下级）")
]
AreaCodeOrBlank = Annotated[
    str, Meta(max_length=12, description="区划代码（可空：未登记），任一省份")
]
Relation = Annotated[str, Meta(max_length=8, description="与户主关系（可空：不属于任何户）")]
DisabilityType = Annotated[
    str,
    Meta(max_length=4, description="残疾类别：肢体、视力、听力、言语、智力、精神、多重（可空）"),
]
ItemCode = Annotated[str, Meta(min_length=1, max_length=40, description="服务清单事项代码")]
PersonName = Annotated[str, Meta(min_length=1, max_length=60, description="姓名（不能为空）")]
ProviderName = Annotated[
    str, Meta(min_length=1, max_length=100, description="机构名称（不能为空）")
]
Phone = Annotated[str, Meta(max_length=20, description="联系电话")]
IdNumber = Annotated[
    str, Meta(min_length=18, max_length=18, description="公民身份号码（18位，GB 11643）")
]
Tag = Annotated[str, Meta(min_length=1, max_length=40)]
Reason = Annotated[str, Meta(max_length=500, description="原因或说明（最多500字）")]
Note = Annotated[str, Meta(max_length=500, description="备注（最多500字）")]
Notes = Annotated[str, Meta(max_length=2000, description="记录内容（最多2000字）")]
Signer = Annotated[
    str, Meta(min_length=1, max_length=60, description="签字确认人（服务对象或家属）")
]
SignerOrBlank = Annotated[str, Meta(max_length=60, description="签字确认人（服务对象或家属）")]
Signature = Annotated[
    str, Meta(max_length=200_000, description="签名数据（如手写签名的图像 data URL）")
]
Quantity = Annotated[int, Meta(ge=1, le=1000, description="数量（1至1000）")]
Score = Annotated[int, Meta(ge=1, le=5, description="评分（1至5）")]
Minutes = Annotated[int, Meta(ge=1, le=1440, description="服务时长（分钟，1至1440）")]
DisabilityGrade = Annotated[int, Meta(ge=0, le=4, description="残疾等级：0 无，1–4 级")]
HouseholdSize = Annotated[int, Meta(ge=1, le=100, description="家庭人口（1至100）")]
Fen = Annotated[int, Meta(ge=0, le=10**12, description="金额（分）")]
Answer = Annotated[int, Meta(ge=0, le=1000, description="评估指标得分")]

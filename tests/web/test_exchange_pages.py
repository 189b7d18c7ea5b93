"""Data exchange through the pages and the API: upload → dry-run report and error workbook
→ corrected upload → apply; downloads masked by role and audited; OpenAPI."""

from __future__ import annotations

import csv
import io
from datetime import date

from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from jiuzhu.core import idcard
from jiuzhu.core.services.users import create_token
from jiuzhu.core.storage.tables import audit_log, persons
from tests.exchange.helpers import BAD_CELLS, PERSON_HEADERS, person_row, to_csv

from .conftest import World, csrf, sign_in

AREA = "150602"


def roster(bad: bool) -> bytes:
    rows = [person_row(i, AREA, date(1961, 2, 3)) for i in range(3)]
    if bad:
        rows[1][PERSON_HEADERS.index("救助类别")] = BAD_CELLS["救助类别"]
        rows[2][PERSON_HEADERS.index("身份证号")] = BAD_CELLS["身份证号"]
    return to_csv(PERSON_HEADERS, rows, "gbk")


def upload(client: TestClient[Litestar], data: bytes, name: str = "名单.csv"):
    token = csrf(client.get("/exchange").text)
    return client.post(
        "/exchange/import",
        data={"kind": "persons", "_csrf_token": token},
        files={"file": (name, data, "text/csv")},
    )


def count(world: World) -> int:
    with world.svc.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(persons)).scalar_one()


def test_upload_report_errors_then_corrected_upload_applies(
    world: World, client: TestClient[Litestar]
) -> None:
    sign_in(client, "ordos-admin")
    page = client.get("/exchange")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    before = count(world)
    report = upload(client, roster(bad=True))
    assert report.status_code == 200
    assert "2 行有问题" in report.text and "未写入任何数据" in report.text
    assert "外星人" in report.text and "校验位" in report.text
    link = report.text.split('id="errors-link" href="')[1].split('"')[0]
    book = client.get(link)
    assert book.status_code == 200 and "attachment" in book.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(book.content))["数据"]
    assert ws.cell(row=1, column=len(PERSON_HEADERS) + 1).value == "问题"
    assert "救助类别" in ws.cell(row=3, column=len(PERSON_HEADERS) + 1).value
    assert count(world) == before
    # nobody else reaches this upload or its workbook
    other = TestClient(client.app, base_url="https://testserver.local")
    with other:
        sign_in(other, "ordos-officer")
        assert other.get(link).status_code == 404
        assert other.get("/exchange").status_code == 403

    clean = upload(client, roster(bad=False))
    assert "试导入没有发现问题" in clean.text and count(world) == before
    action = clean.text.split('id="apply-form"')[0].rsplit('action="', 1)[1].split('"')[0]
    applied = client.post(action, data={"_csrf_token": csrf(clean.text)})
    assert applied.status_code == 200 and "已全部写入" in applied.text
    assert count(world) == before + 3
    again = upload(client, roster(bad=False))
    assert "没有需要写入的变化" in again.text


def test_unreadable_upload_is_a_chinese_message(world: World, client: TestClient[Litestar]) -> None:
    sign_in(client, "ordos-admin")
    answer = upload(client, b"\xd0\xcf\x11\xe0old", "old.xls")
    assert answer.status_code == 422 and ".xls" in answer.text and "Traceback" not in answer.text


def test_downloads_are_masked_by_role_and_audited(
    world: World, client: TestClient[Litestar]
) -> None:
    sign_in(client, "ordos-supervisor")
    answer = client.get("/exchange/export/cases?format=csv")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    column = rows[0].index("身份证号")
    assert idcard.mask(world.id_number) in {r[column] for r in rows[1:]}
    assert world.id_number not in answer.text
    stats = client.get("/exchange/export/statistics?format=xlsx&area=150602")
    assert stats.status_code == 200
    assert load_workbook(io.BytesIO(stats.content)).worksheets[0]["A1"].value == "月份"
    with world.svc.engine.connect() as conn:
        audited = conn.execute(
            select(audit_log.c.username, audit_log.c.path, audit_log.c.detail).where(
                audit_log.c.action == "export"
            )
        ).all()
    assert [(a.username, a.detail["ids"]) for a in audited] == [
        ("ordos-supervisor", "masked"),
        ("ordos-supervisor", "masked"),
    ]
    assert all(a.detail["via"].startswith("/exchange/export/") for a in audited)
    assert client.get("/exchange/export/nothing").status_code == 422


def test_api_import_and_export(world: World, client: TestClient[Litestar]) -> None:
    token = create_token(world.svc, "ordos-admin")
    auth = {"Authorization": f"Bearer {token}"}
    answer = client.post("/api/import/persons", headers=auth, content=roster(bad=True))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["applied"] is False
    assert {(p["row"], p["column"]) for p in body["problems"]} == {(3, "救助类别"), (4, "身份证号")}
    answer = client.post("/api/import/persons?apply=true", headers=auth, content=roster(bad=False))
    assert answer.json()["applied"] is True and answer.json()["new"] == 3
    export = client.get("/api/export/orders?format=csv", headers=auth)
    assert export.status_code == 200 and export.content.decode("utf-8-sig").startswith("工单号")
    officer = create_token(world.svc, "ordos-clerk")
    refused = client.post(
        "/api/import/persons",
        headers={"Authorization": f"Bearer {officer}"},
        content=roster(bad=False),
    )
    assert refused.status_code == 403
    schema = client.get("/schema/openapi.json", headers=auth).json()
    assert "/api/import/{kind}" in schema["paths"] and "/api/export/{kind}" in schema["paths"]


def test_download_buttons_on_the_lists_and_statistics(
    world: World, client: TestClient[Litestar]
) -> None:
    sign_in(client, "ordos-officer")
    for path, kinds in (
        ("/stats", ["statistics"]),
        ("/persons", ["cases"]),
        ("/dispatch", ["orders", "deliveries"]),
    ):
        html = client.get(path).text
        for kind in kinds:
            for fmt in ("xlsx", "csv"):
                href = f"/exchange/export/{kind}?format={fmt}"
                assert f'href="{href}"' in html, (path, href)
                assert client.get(href).status_code == 200
    # an evaluator reads statistics but no case: only the statistics button
    other = TestClient(client.app, base_url="https://testserver.local")
    with other:
        sign_in(other, "ordos-evaluator")
        assert "/exchange/export/statistics" in other.get("/stats").text
        assert other.get("/exchange/export/cases").status_code == 403

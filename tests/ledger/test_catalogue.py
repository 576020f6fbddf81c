"""The product catalogue (DOMAIN §5): deliveries and floor prices name catalogue products,
so a misspelt name never slips past a floor price. Through the API, the pages and the
import; the free-text products of an existing database migrate into the catalogue."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from salesdesk.core.models import AuditEntry
from salesdesk.ledger.models import Delivery, FloorPrice, Product
from tests.factories import CustomerFactory, PlantFactory, ProductFactory, ProjectFactory
from tests.imports.builders import run_import, write_xlsx

D = dt.date


def post(api, path, body):
    return api.post(f"/api/v1/{path}", body, content_type="application/json")


@pytest.fixture
def shop(people):
    plant = PlantFactory(code="PL01", name="一号站")
    customer = CustomerFactory(code="C1", owner=people.sales1)
    project = ProjectFactory(code="P1", customer=customer, plant=plant)
    c30 = ProductFactory(code="C30", name="C30 商品混凝土")
    return project, c30


# The API ---------------------------------------------------------------------------------


def test_it_lists_the_catalogue_to_anyone_signed_in(people, shop, api_for):
    body = api_for(people.sales3).get("/api/v1/products").json()

    assert body["items"] == [
        {"code": "C30", "name": "C30 商品混凝土", "unit": "m3", "grade": "C30"}
    ]
    assert api_for(people.supply).get("/api/v1/products/C30").json()["name"] == "C30 商品混凝土"
    assert api_for(people.supply).get("/api/v1/products/NOPE").status_code == 404


@pytest.mark.parametrize("persona", ["finance", "admin"])
def test_it_lets_finance_and_admin_add_and_edit_products(persona, people, shop, api_for):
    api = api_for(getattr(people, persona))

    created = post(api, "products", {"code": "C35", "name": " C35  商品混凝土 ", "grade": "C35"})
    again = post(api, "products", {"code": "C35", "name": "C35 商品混凝土", "grade": "C35"})
    other = post(api, "products", {"code": "C35", "name": "C35 细石混凝土", "grade": "C35"})
    edited = api.patch("/api/v1/products/C35", {"unit": "t"}, content_type="application/json")

    assert created.status_code == 201
    assert created.json() == {"code": "C35", "name": "C35 商品混凝土", "unit": "m3", "grade": "C35"}
    assert again.status_code == 200
    assert other.status_code == 409
    assert edited.status_code == 200
    assert edited.json()["unit"] == "t" and edited.json()["name"] == "C35 商品混凝土"
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"product_create", "product_update"} <= actions


@pytest.mark.parametrize("persona", ["sales1", "manager1", "supply", "marketing", "legal"])
def test_it_refuses_catalogue_edits_to_other_roles(persona, people, shop, api_for):
    api = api_for(getattr(people, persona))

    assert post(api, "products", {"code": "X1", "name": "X"}).status_code == 403
    patch = api.patch("/api/v1/products/C30", {"name": "Y"}, content_type="application/json")
    assert patch.status_code == 403
    assert list(Product.objects.values_list("code", "name")) == [("C30", "C30 商品混凝土")]


def test_it_refuses_a_second_product_whose_name_differs_only_in_width_case_or_spaces(
    people, shop, api_for
):
    response = post(api_for(people.finance), "products", {"code": "X30", "name": "ｃ30商品混凝土"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "name"
    assert "C30" in response.json()["detail"][0]["message"]


def test_it_takes_a_delivery_by_product_code_and_refuses_an_unknown_product(people, shop, api_for):
    api = api_for(people.supply)
    body = {"ticket": "T1", "project": "P1", "date": "2026-11-02", "quantity": "10",
            "unit_price": "400"}  # fmt: skip

    unknown = post(api, "deliveries", body | {"product": "c30混凝土"})
    known = post(api, "deliveries", body | {"product": "C30"})

    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["field"] == "product"
    assert "unknown product c30混凝土" in unknown.json()["detail"][0]["message"]
    assert known.status_code == 201
    assert (known.json()["product"], known.json()["product_name"]) == ("C30", "C30 商品混凝土")


# The case: "C30 商品混凝土" vs "c30混凝土" at ¥1.00 -------------------------------


def test_a_misspelt_product_cannot_slip_past_the_floor_price(
    people, shop, api_for, page_for, tmp_path
):
    _project, c30 = shop
    ProductFactory(code="C30X", name="C30 混凝土")  # another product, its own floor
    post(api_for(people.manager1), "floor-prices",
         {"product": "C30", "price": "400.00", "effective_from": "2026-01-01"})  # fmt: skip
    post(api_for(people.manager1), "floor-prices",
         {"product": "C30X", "price": "390.00", "effective_from": "2026-01-01"})  # fmt: skip
    body = {"project": "P1", "date": "2026-11-02", "quantity": "1", "unit_price": "1.00"}

    # The API names products by code; a name is not a code.
    api = api_for(people.supply)
    assert (
        post(api, "deliveries", body | {"ticket": "A1", "product": "c30混凝土"}).status_code == 422
    )
    by_api = post(api, "deliveries", body | {"ticket": "A2", "product": "C30"}).json()
    assert by_api["floor_price"] == "400.00"
    # The page offers the catalogue only.
    page = page_for(people.supply).post(
        "/projects/P1/deliveries/new/",
        {"delivery-ticket": "W1", "delivery-date": "2026-11-02", "delivery-product": "c30混凝土",
         "delivery-quantity": "1", "delivery-unit": "m3", "delivery-unit_price": "1.00"},
    )  # fmt: skip
    assert page.status_code == 200 and page.context["form"].errors["product"]
    # The import folds width, case and spaces: both spellings are a catalogue product, each
    # below its floor; a name of no product is an error.
    sheets = {
        "deliveries": [
            ["ticket", "project", "date", "product", "quantity", "unit_price"],
            ["I1", "P1", "2026-11-02", "C30 商品混凝土", "1", "1.00"],
            ["I2", "P1", "2026-11-02", "ｃ30商品混凝土", "1", "1.00"],
            ["I3", "P1", "2026-11-02", "c30混凝土", "1", "1.00"],
        ]
    }
    outcome = run_import(write_xlsx(tmp_path / "book.xlsx", sheets))
    assert outcome.code == 0, outcome.err
    floors = dict(
        Delivery.objects.filter(ticket__startswith="I").values_list("ticket", "floor_price")
    )
    assert {ticket: str(floor) for ticket, floor in floors.items()} == {
        "I1": "400.00", "I2": "400.00", "I3": "390.00",
    }  # fmt: skip
    assert Delivery.objects.get(ticket="I2").product == c30

    sheets["deliveries"].append(["I4", "P1", "2026-11-02", "C30 商混", "1", "1.00"])
    failed = run_import(write_xlsx(tmp_path / "bad.xlsx", sheets))
    assert failed.code == 2
    assert "sheet deliveries row 5 column product: unknown product C30 商混" in failed.err_lines


def test_it_imports_the_products_sheet_and_updates_a_known_code(people, shop, tmp_path):
    sheets = {
        "products": [
            ["code", "name", "unit", "grade"],
            ["C30", "C30 商品混凝土", None, "C30"],
            ["PO425", "P.O 42.5 水泥", "t", None],
        ],
        "deliveries": [
            ["ticket", "project", "date", "product", "quantity", "unit_price", "unit"],
            ["T1", "P1", "2026-11-02", "po425", "3", "400", "t"],
        ],
    }

    outcome = run_import(write_xlsx(tmp_path / "book.xlsx", sheets))

    assert outcome.code == 0, outcome.err
    assert "products: 1 created, 0 updated, 1 unchanged" in outcome.out_lines
    cement = Product.objects.get(code="PO425")
    assert (cement.name, cement.unit, cement.grade) == ("P.O 42.5 水泥", "t", "")
    assert Delivery.objects.get(ticket="T1").product == cement

    sheets["products"][2][2] = "吨"
    assert (
        "products: 0 created, 1 updated, 1 unchanged"
        in run_import(write_xlsx(tmp_path / "again.xlsx", sheets)).out_lines
    )
    assert Product.objects.get(code="PO425").unit == "吨"


# The pages ---------------------------------------------------------------------------------


def test_the_catalogue_page_lists_to_all_and_lets_finance_add_and_edit(people, shop, page_for):
    sales = page_for(people.sales1)
    assert "C30 商品混凝土" in sales.get("/products/").content.decode()
    assert sales.get("/products/").context["form"] is None
    assert sales.post("/products/", {"code": "X", "name": "X"}).status_code == 403
    assert sales.get("/products/C30/edit/").status_code == 403

    finance = page_for(people.finance)
    added = finance.post("/products/", {"code": "M10", "name": "M10 预拌砂浆", "unit": "m3",
                                        "grade": "M10"})  # fmt: skip
    duplicate = finance.post("/products/", {"code": "M11", "name": "m10预拌砂浆", "unit": "m3"})
    edited = finance.post("/products/M10/edit/", {"name": "M10 干混砂浆", "unit": "m3",
                                                  "grade": "M10"})  # fmt: skip

    assert added.status_code == 302 and edited.status_code == 302
    assert duplicate.status_code == 200 and duplicate.context["form"].errors["name"]
    assert Product.objects.get(code="M10").name == "M10 干混砂浆"
    assert finance.get("/products/NOPE/edit/").status_code == 404


# Migration ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_migrates_free_text_products_into_the_catalogue_keeping_every_record():
    executor = MigrationExecutor(connection)
    # Apps built on the ledger's later migrations (compensation) step back to zero first.
    above = ("compensation",)
    kept = [
        node
        for node in executor.loader.graph.leaf_nodes()
        if node[0] != "ledger" and node[0] not in above
    ]
    before = [("ledger", "0002_expensereversal"), *kept]
    executor.migrate([*before, *((app, None) for app in above)])
    old = executor.loader.project_state(before).apps
    plant = old.get_model("core", "Plant").objects.create(code="PL01", name="一号站")
    user = old.get_model("core", "User").objects.create(username="u1", name="U")
    customer = old.get_model("customers", "Customer").objects.create(
        code="C1", name="华东建工有限公司", owner=user, search_key="x", name_key="x", name_head="x"
    )
    project = old.get_model("customers", "Project").objects.create(
        code="P1", customer=customer, name="工程", owner=user, payment_terms_days=30
    )
    OldDelivery = old.get_model("ledger", "Delivery")
    for n, text in enumerate(["C30 混凝土", "c30混凝土", "Ｃ30 混凝土", "C35 混凝土"], start=1):
        OldDelivery.objects.create(
            ticket=f"T{n}", project=project, plant=plant, date=D(2026, 1, n), product=text,
            quantity=1, unit="m3", unit_price=400, amount=400,
        )  # fmt: skip
    OldFloor = old.get_model("ledger", "FloorPrice")
    OldFloor.objects.create(product="C30 混凝土", price=390, effective_from=D(2026, 1, 1))
    OldFloor.objects.create(product="c30 混凝土", price=395, effective_from=D(2026, 1, 1))
    OldFloor.objects.create(product="M10 砂浆", price=300, effective_from=D(2026, 1, 1))

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    products = {p.name: p for p in Product.objects.all()}
    assert set(products) == {"C30 混凝土", "C35 混凝土", "M10 砂浆"}
    assert Delivery.objects.count() == 4
    by_ticket = dict(Delivery.objects.values_list("ticket", "product__name"))
    assert by_ticket == {"T1": "C30 混凝土", "T2": "C30 混凝土", "T3": "C30 混凝土",
                         "T4": "C35 混凝土"}  # fmt: skip
    # Two floors of one product on one day: the stricter one stays.
    floors = sorted(FloorPrice.objects.values_list("product__name", "price"))
    assert [(name, str(price)) for name, price in floors] == [
        ("C30 混凝土", "395.00"), ("M10 砂浆", "300.00"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/products"), ("get", "/api/v1/products/C30"), ("post", "/api/v1/products"),
     ("patch", "/api/v1/products/C30"), ("post", "/api/v1/projects/P1/delivery-overrides")],
)  # fmt: skip
def test_it_answers_401_to_an_anonymous_caller(method, path, shop, client):
    assert getattr(client, method)(path, {}, content_type="application/json").status_code == 401

from ninja import Schema


class UserRef(Schema):
    username: str
    name: str


class MeOut(Schema):
    username: str
    name: str
    email: str
    roles: list[str]
    manager: str | None
    plant: str | None
    sees_company: bool


class PolicyValueOut(Schema):
    key: str
    value: str
    kind: str
    label: str


class PolicyOut(Schema):
    as_of: str
    values: list[PolicyValueOut]


class ErrorOut(Schema):
    detail: str

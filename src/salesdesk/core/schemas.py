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


class TokenOut(Schema):
    id: int
    user: str
    name: str
    prefix: str
    created_at: str
    expires_at: str
    last_used_at: str | None
    revoked_at: str | None
    state: str
